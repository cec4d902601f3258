"""Broadcasts' words on pages: kinds, states and what the audit log calls their steps."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

KIND_LABELS = {
    "trade_suggestion": _l("Trade suggestion"),
    "daily_comment": _l("Daily comment"),
    "weekly_comment": _l("Weekly comment"),
    "monthly_report": _l("Monthly report"),
    "seminar_invite": _l("Seminar invitation"),
    "risk_notice": _l("Risk notice"),
}

STATE_LABELS = {
    "draft": _l("Draft"),
    "submitted": _l("Submitted"),
    "approved": _l("Approved"),
    "rejected": _l("Rejected"),
    "scheduled": _l("Scheduled"),
    "sending": _l("Sending"),
    "paused": _l("Paused"),
    "completed": _l("Completed"),
    "cancelled": _l("Cancelled"),
    "missed": _l("Missed"),
}

# where a broadcast is, in a sentence: the note over its progress bar, which follows the send without a reload
STATE_NOTES = {
    "scheduled": _l("Scheduled. The worker sends it at the time given."),
    "sending": _l("Sending: the worker is handing the messages over."),
    "paused": _l("Paused."),
    "completed": _l("Completed: every message was handed over; delivery reports may still come in."),
    "cancelled": _l("Cancelled; what was not yet handed over will not be sent."),
    "missed": _l("Missed: it was not sent. Decide whether to schedule it again."),
}

AUDIT_LABELS = {
    "broadcast.create": _l("Broadcast drafted"),
    "broadcast.edit": _l("Broadcast edited"),
    "broadcast.submit": _l("Broadcast submitted"),
    "broadcast.approve": _l("Broadcast approved"),
    "broadcast.reject": _l("Broadcast rejected"),
    "broadcast.schedule": _l("Broadcast scheduled"),
    "broadcast.start": _l("Broadcast started"),
    "broadcast.pause": _l("Broadcast paused"),
    "broadcast.resume": _l("Broadcast resumed"),
    "broadcast.cancel": _l("Broadcast cancelled"),
    "broadcast.missed": _l("Broadcast missed"),
    "broadcast.complete": _l("Broadcast completed"),
    "broadcast.test_send": _l("Test SMS sent to the author's own mobile"),
    "broadcast.clone": _l("Broadcast cloned into a new draft"),
    "broadcast.delete": _l("Draft deleted"),
}

OBJECT_LABELS = {
    "broadcast": _l("Broadcast"),
}


EXCLUSION_LABELS = {
    "too_low": _l("Risk tolerance too low"),
    "expired": _l("Assessment expired"),
    "no_assessment": _l("No assessment"),
}


# every field of a broadcast, under the label the compose form gives it, for the messages that name a field
# (core.templating.problem_text): 标题 为必填项, never title 为必填项
FIELD_LABELS = {
    "kind": _l("Kind"),
    "risk_level": _l("Risk level"),
    "title": _l("Title"),
    "body": _l("SMS text"),
    "language": _l("Language of the opt-out line"),
    "note_markdown": _l("Full research note (Markdown, optional)"),
    "suggestion": _l("Trade suggestion"),
    "contract": _l("Contract"),
    "direction": _l("Direction"),
    "entry": _l("Entry"),
    "stop": _l("Stop loss"),
    "targets": _l("Targets"),
    "position_pct": _l("Position (percent of equity)"),
    "valid_until": _l("Valid until (local time)"),
    "risk_statement": _l("Risk statement"),
    "audience": _l("Audience"),
    "tiers": _l("Tiers"),
    "branches": _l("Branches"),
    "staff_codes": _l("Business staff"),
    "include": _l("Also send to (account numbers)"),
    "exclude": _l("Never send to (account numbers)"),
    "include_dormant": _l("Include dormant clients"),
    "author": _l("Author"),
    "send_at": _l("Send at (local time)"),
    "comment": _l("Comment"),
}


def init_app(app) -> None:
    from broadcast.appropriateness import kind_default
    from broadcast.models import BroadcastKind
    from clients.appropriateness import RiskLevel
    from clients.labels import RISK_LEVEL_LABELS
    from core.templating import register_labels

    @app.context_processor
    def risk_levels() -> dict:
        """R1 中低风险 ... and each kind's default level (the least it may carry) as the settings say now."""
        suggestion = RiskLevel(str(app.config.get("SUGGESTION_RISK_LEVEL") or "R4").strip().upper())
        return {"RISK_LEVEL_NAMES": {level.value: str(name) for level, name in RISK_LEVEL_LABELS.items()},
                "RISK_DEFAULTS": {k.value: kind_default(k, suggestion).value for k in BroadcastKind},
                "EXCLUSION_LABELS_JSON": {k: str(v) for k, v in EXCLUSION_LABELS.items()}}
    from broadcast.placeholders import ALLOWED

    app.jinja_env.globals["PLACEHOLDERS"] = ALLOWED  # the compose page lists every one there is
    register_labels(app, EXCLUSION_LABELS=EXCLUSION_LABELS, KIND_LABELS=KIND_LABELS, STATE_LABELS=STATE_LABELS,
                    STATE_NOTES=STATE_NOTES, AUDIT_LABELS=AUDIT_LABELS,
                    OBJECT_LABELS=OBJECT_LABELS, FIELD_LABELS=FIELD_LABELS)
