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
}

OBJECT_LABELS = {
    "broadcast": _l("Broadcast"),
}


def init_app(app) -> None:
    from core.templating import register_labels

    register_labels(app, KIND_LABELS=KIND_LABELS, STATE_LABELS=STATE_LABELS, AUDIT_LABELS=AUDIT_LABELS,
                    OBJECT_LABELS=OBJECT_LABELS)
