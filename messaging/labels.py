"""The outbox's words on pages: what each message state and purpose means to a person."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

MESSAGE_STATE_LABELS = {
    "pending": _l("Waiting"),
    "handing_over": _l("Being handed over"),
    "queued": _l("Queued at the provider"),
    "sent": _l("Sent to the carrier"),
    "delivered": _l("Delivered"),
    "undelivered": _l("Undelivered"),
    "failed": _l("Failed"),
    "suppressed": _l("Suppressed"),
    "expired": _l("Expired"),
    "cancelled": _l("Cancelled"),
    "unknown": _l("Unknown (check by hand)"),
}


PURPOSE_LABELS = {
    "broadcast": _l("Broadcast"),
    "reply": _l("Reply"),
    "service": _l("Automatic answer"),
}


def init_app(app) -> None:
    from core.templating import register_labels

    register_labels(app, MESSAGE_STATE_LABELS=MESSAGE_STATE_LABELS, PURPOSE_LABELS=PURPOSE_LABELS)
