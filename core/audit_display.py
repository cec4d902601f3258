"""The audit log as a reader reads it, on the page and in its export: who (a person, or what acted without one,
named in the reader's language), details as "label: value" with Chinese as itself and times in TIMEZONE.

Entries keep what code wrote ("worker", "send_at": an ISO time in UTC); only the display translates, so the
sealed records (records/) never change.
"""
from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any

from flask import current_app, has_app_context
from flask_babel import lazy_gettext as _l

from core.roles import ROLE_LABELS
from core.timeutil import to_local

# what acted without a signed-in person (AuditEntry.actor_label)
ACTOR_LABELS = {
    "cli": _l("command line"),
    "worker": _l("sending worker"),
    "sms reply": _l("the client's SMS reply"),
    "sms gateway": _l("SMS gateway"),
}

# the keys of details that recur; a key not listed is shown as written
DETAIL_LABELS = {
    "title": _l("Title"), "kind": _l("Kind"), "risk_level": _l("Risk level"), "from": _l("Previous state"),
    "to": _l("New state"),
    "fields": _l("Fields"), "version": _l("Version"), "comment": _l("Comment"), "send_at": _l("Send at"),
    "reason": _l("Reason"), "recipients": _l("Recipients"), "late_seconds": _l("Late by (seconds)"),
    "recurrence": _l("Recurrence"), "recurrence_of": _l("Repeat of"), "messages_cancelled": _l("Messages cancelled"),
    "via": _l("Via"), "how": _l("How"), "message": _l("Message number"), "text": _l("Text"), "email": _l("Email"),
    "roles": _l("Roles"), "role": _l("Role"), "expires_at": _l("Expires at"), "quarter": _l("Quarter"),
    "clients": _l("Clients"), "file": _l("File"), "created": _l("Created"), "updated": _l("Updated"),
    "unchanged": _l("Unchanged"), "rejected": _l("Rejected"), "active": _l("Active"), "at": _l("Step"),
    "by": _l("Means"), "sessions_ended": _l("Sessions ended"), "forced": _l("Forced"),
    "source": _l("Cloned from broadcast"), "source_version": _l("Version cloned"), "message_id": _l("Message number"),
    "segments": _l("Segments"), "mobile": _l("Mobile"), "old_mobile": _l("Previous mobile"),
    "new_mobile": _l("New mobile"), "queue": _l("Queue"), "automatic": _l("Resolved automatically for"),
    "confirmed_duplicate": _l("Sent again knowingly (the same text within 24 hours)"),
    "submitted_at": _l("Submitted at"),
}

# keys whose values are a domain's codes: the jinja global (registered by that domain's labels.py, which core may
# not import) that names them, so that "from: draft" reads "原状态: 草稿" and "kind: daily_comment" "类型: 日评"
VALUE_MAPS = {"from": "STATE_LABELS", "to": "STATE_LABELS", "kind": "KIND_LABELS", "fields": "FIELD_LABELS",
              "queue": "QUEUE_LABELS", "automatic": "CATEGORY_LABELS"}

# values written in English words that recur
VALUE_LABELS = {
    "bad credentials": _l("wrong email or password"), "inactive": _l("account deactivated"),
    "enrolment": _l("enrolment"), "sign-in": _l("sign-in"), "sms": _l("SMS"),
    "totp": _l("authenticator code"), "recovery": _l("recovery code"),
    True: _l("yes"), False: _l("no"),
}

_ISO_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?([+-]\d\d:\d\d|Z)")


def actor_text(entry) -> str:
    """Who acted: the person's name, else what acted in the reader's language, else the name given (a failed
    sign-in's email)."""
    if entry.actor is not None:
        return entry.actor.name
    label = entry.actor_label or ""
    return str(ACTOR_LABELS.get(label, label))


def value_text(value: Any, timezone: str) -> str:
    if isinstance(value, bool) or (isinstance(value, str) and value in VALUE_LABELS):
        return str(VALUE_LABELS[value])
    if isinstance(value, str) and _ISO_TIME.fullmatch(value):
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        return to_local(moment, timezone).strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, list):
        return "、".join(value_text(v, timezone) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    return "" if value is None else str(value)


def detail_items(detail: dict[str, Any] | None, timezone: str) -> list[tuple[str, str]]:
    """(label, value) of each detail, in the order written."""
    if not detail:
        return []
    return [(str(DETAIL_LABELS.get(key, key)), value_text(_coded(key, value), timezone))
            for key, value in detail.items() if value is not None]  # "none" says nothing a reader needs


def _coded(key: str, value: Any) -> Any:
    """A value that is a code (a role, a state, a kind, a field, a queue) as the pages name it; else as written."""
    if key in ("role", "roles"):
        return _roles(value)
    names = current_app.jinja_env.globals.get(VALUE_MAPS[key], {}) if key in VALUE_MAPS and has_app_context() else {}
    if isinstance(value, list):
        return [str(names.get(v, v)) if isinstance(v, str) else v for v in value]
    return str(names[value]) if isinstance(value, str) and value in names else value


def _roles(value: Any) -> Any:
    """Role codes as the staff pages name them."""
    if isinstance(value, list):
        return [_roles(v) for v in value]
    return str(ROLE_LABELS.get(value, value)) if isinstance(value, str) else value


def detail_text(detail: dict[str, Any] | None, timezone: str) -> str:
    return "; ".join(f"{label}: {value}" for label, value in detail_items(detail, timezone))
