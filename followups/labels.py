"""The words the follow-up pages show for categories, queues, statuses and thread entries, translated lazily."""
from __future__ import annotations

import re

from flask_babel import gettext as _
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

# what the system writes into an event's body, stored in English as written; shown in the reader's language
EVENT_BODIES = {
    "service card sent": _l("service card sent"),
    "reopened by a new reply from the client": _l("reopened by a new reply from the client"),
}

# an item the system resolved by itself, said by what (the resolve event's detail "automatic": the category)
AUTO_RESOLVED = {
    "opt_out": _l("resolved automatically: opt-out reply"),
    "opt_in": _l("resolved automatically: opt-in reply"),
    "help": _l("resolved automatically: help request (the service card was sent)"),
}


def event_body(body: str | None) -> str:
    """An event's body: the system's own words translated, a person's (a note, a reason, the client's text) as
    written."""
    if not body:
        return ""
    return str(EVENT_BODIES[body]) if body in EVENT_BODIES else body


def _last(entries, *kinds: str):
    return next((e for e in reversed(entries) if e.kind in kinds), None)


def held_note(item, entries) -> str:
    """How the assignee came to hold the item, beside their name: given in turn, claimed, claimed by replying,
    assigned; from the last claim or assignment of the conversation."""
    if item.assignee_id is None:
        return ""
    if item.claimed_at is None:
        return _("(given in turn, not yet claimed)")
    last = _last(entries, "claim", "assign")
    if last is None:
        return ""
    if last.kind == "assign":
        return _("(assigned by %(name)s)", name=last.who or "") if last.who else _("(assigned)")
    return _("(claimed when they replied)") if last.detail.get("via") == "reply" else _("(claimed)")


def resolution(item, entries) -> str:
    """Who or what resolved a resolved item: a person by name, or the system and why (opt-out, opt-in, help)."""
    if item.status.value != "resolved":
        return ""
    last = _last(entries, "resolve")
    automatic = (last.detail.get("automatic") if last is not None else None) or (
        item.category.value if last is None and item.category.value in AUTO_RESOLVED else None)
    if automatic in AUTO_RESOLVED:
        return str(AUTO_RESOLVED[automatic])
    if last is not None and last.who:
        return _("resolved by %(name)s", name=last.who)
    return ""


_RULE_SHAPES = (
    (re.compile(r"^\w+: whole reply “(?P<text>.*)”$"), lambda m: _("the whole reply is “%(text)s”", **m)),
    (re.compile(r"^\w+: whole-reply pattern “(?P<text>.*)”$"), lambda m: _("the whole reply matches “%(text)s”", **m)),
    (re.compile(r"^\w+: keyword “(?P<text>.*)”$"), lambda m: _("keyword “%(text)s”", **m)),
    (re.compile(r"^\w+: pattern “(?P<text>.*)”$"), lambda m: _("pattern “%(text)s”", **m)),
    (re.compile(r"^feedback: asks to stop messages “(?P<text>.*)”$"), lambda m: _("asks to stop messages: “%(text)s”", **m)),
    (re.compile(r"^research_question: question about a trade suggestion$"),
     lambda m: _("a question in answer to a trade suggestion")),
    (re.compile(r"^feedback: nothing matched$"), lambda m: _("no rule matched")),
    (re.compile(r"^routing failed: (?P<error>.*)$"), lambda m: _("routing failed (%(error)s)", **m)),
    (re.compile(r"^corrected by (?P<name>.*)$"), lambda m: _("corrected by %(name)s", **m)),
    (re.compile(r"^handed over to (?P<queue>research|business)$"),
     lambda m: _("handed over to %(queue)s", queue=QUEUE_LABELS[m["queue"]])),
)
_PREFIXES = {"unknown number": _l("unknown number"), "several clients share this number":
             _l("several clients share this number")}


def rule_label(rule: str | None) -> str:
    """The rule that decided an item's category, in the reader's language (it is stored in the English form
    classify.py writes, which the API gives as it is)."""
    if not rule:
        return ""
    head, sep, rest = rule.partition("; ")
    if sep and head in _PREFIXES:
        return f"{_PREFIXES[head]}; {rule_label(rest)}"
    for shape, say in _RULE_SHAPES:
        found = shape.match(rule)
        if found:
            return say(found.groupdict())
    return rule


AUDIT_LABELS = {
    "followup.number_shown": _l("Mobile number shown (follow-up)"),
    "followups.canned_answer": _l("Canned answer saved"),
    "followups.rules": _l("Routing rules changed"),
}


def init_app(app) -> None:
    """Follow-ups' words for the templates, the reply categories a broadcast's report counts among them."""
    from core.templating import register_labels

    register_labels(app, AUDIT_LABELS=AUDIT_LABELS, CATEGORY_LABELS=CATEGORY_LABELS, QUEUE_LABELS=QUEUE_LABELS,
                    FOLLOWUP_STATUS_LABELS=STATUS_LABELS, PRIORITY_LABELS=PRIORITY_LABELS,
                    URGENCY_LABELS=URGENCY_LABELS, EVENT_LABELS=EVENT_LABELS, REPLY_LABELS=CATEGORY_LABELS,
                    AUTO_RESOLVED_LABELS=AUTO_RESOLVED)
    app.jinja_env.globals.update(rule_label=rule_label, event_body=event_body, held_note=held_note,
                                 resolution=resolution)
