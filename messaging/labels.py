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
    "test": _l("Test send (to staff)"),
}


# what an error code from the gateway (Twilio's, which the simulator uses too) means to a person; a code not
# listed is shown as it is (https://www.twilio.com/docs/api/errors)
ERROR_CODE_LABELS = {
    "20429": _l("too many requests to the provider (throttled)"),
    "21211": _l("invalid number"),
    "21408": _l("sending to this region is not enabled"),
    "21610": _l("the client unsubscribed at the carrier"),
    "21612": _l("the provider cannot route to this number"),
    "21614": _l("not a mobile number"),
    "21617": _l("text too long (over 1600 characters)"),
    "30001": _l("provider queue overflow"),
    "30002": _l("provider account suspended"),
    "30003": _l("unreachable handset (off or out of coverage)"),
    "30004": _l("blocked by the recipient or the carrier"),
    "30005": _l("unknown or inactive number"),
    "30006": _l("landline or unreachable carrier"),
    "30007": _l("filtered by the carrier as spam"),
    "30008": _l("unknown error at the carrier"),
    "unsure": _l("unknown whether the provider took it (checked by hand)"),
}


def error_label(code: object) -> str:
    """"30005 unknown or inactive number" in the reader's language; the code alone when it is not known."""
    text = "" if code is None else str(code)
    meaning = ERROR_CODE_LABELS.get(text)
    if meaning is None:
        return text
    return f"{text} {meaning}" if text.isdigit() else str(meaning)


def init_app(app) -> None:
    from core.templating import register_labels

    register_labels(app, MESSAGE_STATE_LABELS=MESSAGE_STATE_LABELS, PURPOSE_LABELS=PURPOSE_LABELS)
    app.jinja_env.filters["error_label"] = error_label
