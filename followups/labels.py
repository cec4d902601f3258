"""The words the follow-up pages show for categories, queues, statuses and thread entries, translated lazily."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

CATEGORY_LABELS = {
    "opt_out": _l("Opt-out"),
    "opt_in": _l("Opt-in"),
    "help": _l("Help request"),
    "research_question": _l("Research question"),
    "complaint": _l("Complaint"),
    "account_service": _l("Account service"),
    "feedback": _l("Feedback"),
}

QUEUE_LABELS = {
    "research": _l("Research"),
    "business": _l("Business"),
    "triage": _l("Triage"),
}

STATUS_LABELS = {
    "open": _l("Open"),
    "answered": _l("Answered"),
    "resolved": _l("Resolved"),
}

PRIORITY_LABELS = {
    "high": _l("High"),
    "normal": _l("Normal"),
}

# the deadline mark: a word beside the colour, so it does not rely on colour alone
URGENCY_LABELS = {
    "overdue": _l("Overdue"),
    "near": _l("Due soon"),
    "ok": _l("On time"),
    "none": "",
}

EVENT_LABELS = {
    "in": _l("Client"),
    "out": _l("Sent to the client"),
    "note": _l("Internal note — not sent to the client"),
    "claim": _l("Claimed"),
    "assign": _l("Assigned"),
    "reroute": _l("Handed over"),
    "category": _l("Category corrected"),
    "resolve": _l("Resolved"),
    "reopen": _l("Reopened"),
    "opt_out": _l("Opted out by SMS"),
    "opt_in": _l("Opted in by SMS"),
    "auto_reply": _l("Automatic answer"),
}

PURPOSE_LABELS = {
    "broadcast": _l("Broadcast"),
    "reply": _l("Reply"),
    "service": _l("Automatic answer"),
}


def template_globals() -> dict:
    return {"CATEGORY_LABELS": CATEGORY_LABELS, "QUEUE_LABELS": QUEUE_LABELS, "FOLLOWUP_STATUS_LABELS": STATUS_LABELS,
            "PRIORITY_LABELS": PRIORITY_LABELS, "URGENCY_LABELS": URGENCY_LABELS, "EVENT_LABELS": EVENT_LABELS,
            "PURPOSE_LABELS": PURPOSE_LABELS}
