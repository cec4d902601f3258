"""Inbound messages at the door: the provider's webhook fields checked, the message stored exactly as sent
(idempotent on the provider's SID) and committed before anything else, then handed to the handler the
domains registered (follow-ups' routing, see messaging.hooks).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from core.errors import N_, Problem
from messaging import hooks
from messaging.models import InboundMessage

MAX_BODY_CHARS = 1600  # Twilio's limit for one (concatenated) message
_SID = re.compile(r"^[A-Za-z]{2}[A-Za-z0-9]{8,62}$")
_NUMBER = re.compile(r"^\+?[0-9]{3,20}$")


class BadWebhook(Problem):
    pass


@dataclass(frozen=True)
class Incoming:
    sid: str
    from_number: str
    to_number: str
    body: str
    num_segments: int


def parse_webhook(form: dict[str, str]) -> Incoming:
    """The fields of Twilio's incoming-message webhook, checked; BadWebhook (400) names what is wrong."""
    sid = form.get("MessageSid") or form.get("SmsSid") or ""
    if not _SID.match(sid):
        raise BadWebhook(N_("MessageSid is missing or malformed"))
    from_number = (form.get("From") or "").strip()
    if not _NUMBER.match(from_number):
        raise BadWebhook(N_("From is missing or not a phone number"))
    to_number = (form.get("To") or "").strip()[:32]
    body = form.get("Body")
    if body is None:
        raise BadWebhook(N_("Body is missing"))
    if len(body) > MAX_BODY_CHARS:
        raise BadWebhook(N_("Body is longer than %(limit)s characters"), limit=MAX_BODY_CHARS)
    if any("\x00" in value for value in (body, to_number)):
        raise BadWebhook(N_("the request holds a NUL character"))
    segments = form.get("NumSegments") or "1"
    return Incoming(sid, from_number, to_number, body, int(segments) if segments.isdigit() else 1)


@dataclass(frozen=True)
class Stored:
    """What routing needs of a stored reply (so that it is not read back)."""

    id: int
    sid: str
    from_number: str
    body: str


def store(session, incoming: Incoming, now: datetime) -> Stored | None:
    """Store the reply exactly as sent and COMMIT; None when this SID is stored already (a replay, perhaps
    a concurrent one: the unique SID decides, in one statement on both databases)."""
    insert = postgresql_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    stmt = insert(InboundMessage).values(
        provider_sid=incoming.sid, from_number=incoming.from_number, to_number=incoming.to_number,
        body=incoming.body, num_segments=incoming.num_segments, received_at=now)
    new_id = session.scalar(stmt.on_conflict_do_nothing(index_elements=["provider_sid"]).returning(InboundMessage.id))
    session.commit()
    if new_id is None:
        return None
    return Stored(new_id, incoming.sid, incoming.from_number, incoming.body)


def receive(app, session, incoming: Incoming, now: datetime) -> str:
    """Store `incoming` (committed) and, unless it was stored already, hand it to the registered handler;
    returns the text to answer the provider with ("" for none). Used by the webhook and by the simulator's
    client phone alike."""
    stored = store(session, incoming, now)
    handler = hooks.of(app).inbound
    if stored is None or handler is None:
        return ""
    return handler(session, stored, now, app.config) or ""
