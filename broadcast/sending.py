"""A broadcast's side of sending: the audience snapshot into the outbox, what may be claimed, finishing.

The outbox itself (claiming, handing over, callbacks) is messaging's. One recipient gets one message per
broadcast, held by a unique constraint. Functions take a session and an explicit `now`; they flush or commit
where the comment says so.
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timezone

import sqlalchemy as sa

from broadcast import audience as audiences
from broadcast.appropriateness import fit_of
from broadcast.models import Broadcast, BroadcastState
from broadcast.settings import Settings
from broadcast.texts import NOTE_TOKEN_BYTES, final_text, render_for
from clients.imports import chunks
from clients.models import Client
from core import audit
from messaging.models import MessagePurpose, MessageState, OutboundMessage
from sms.segments import measure
from staff.models import Staff

SNAPSHOT_BATCH = 2000


@dataclass(frozen=True)
class _Owner:
    name: str
    phone: str | None


@dataclass(frozen=True)
class _Recipient:
    """What rendering a text needs of a client (see texts.render_for)."""

    name: str
    owner: _Owner | None


def snapshot(session, b: Broadcast, settings: Settings, now: datetime) -> int:
    """Resolve the audience once into one pending message per recipient; returns how many were made.

    Only clients appropriateness lets receive the broadcast's risk level on the day of `now` get a row; how
    many it left out, by tier and reason, is kept on the broadcast for its report. Safe to run twice:
    recipients that already have a row are skipped (and the unique constraint would refuse them anyway).
    The caller commits.
    """
    have = set(session.scalars(sa.select(OutboundMessage.client_id).where(OutboundMessage.broadcast_id == b.id)))
    audience, fit = audiences.parse(b.audience), fit_of(b, settings, now)
    # a record of the snapshot, not a change of state: written as it is, without bumping the version
    session.execute(sa.update(Broadcast).where(Broadcast.id == b.id)
                    .values(risk_excluded=audiences.excluded(session, audience, fit))
                    .execution_options(synchronize_session=False))
    # plain rows, not ORM objects: 100,000 recipients are read in a fraction of the time
    query = (audiences.recipients_query(audience, fit)
             .with_only_columns(Client.id, Client.name, Client.mobile, Client.tier, Staff.name, Staff.phone)
             .outerjoin(Staff, Staff.id == Client.owner_id).order_by(Client.id))
    rows = []
    for client_id, name, mobile, tier, staff_name, staff_phone in session.execute(query):
        if client_id in have:
            continue
        client = _Recipient(name, _Owner(staff_name, staff_phone) if staff_name is not None else None)
        token = secrets.token_urlsafe(NOTE_TOKEN_BYTES) if b.note_markdown else None
        link = f"{settings.public_base_url}/n/{token}" if token else None
        text = final_text(b, render_for(b, client, settings, note_link=link), settings)
        rows.append({"broadcast_id": b.id, "purpose": MessagePurpose.broadcast, "client_id": client_id, "to": mobile,
                     "tier": tier.value if tier else None, "body": text,
                     "segments": measure(text).segments, "state": MessageState.pending, "attempts": 0,
                     "note_token": token, "note_opens": 0, "created_at": now, "updated_at": now})
    if rows and session.get_bind().dialect.name == "postgresql":
        _copy_rows(session, rows)
    else:
        for chunk in chunks(rows, SNAPSHOT_BATCH):
            # the table, not the ORM class: a plain executemany, without per-row ORM bookkeeping
            session.execute(sa.insert(OutboundMessage.__table__), chunk)
    return len(rows)


_COPY_COLUMNS = ("broadcast_id", "purpose", "client_id", "to", "tier", "body", "segments", "state", "attempts", "note_token",
                 "note_opens", "created_at", "updated_at")


def _copy_rows(session, rows: list[dict]) -> None:
    """PostgreSQL's COPY, in the session's own transaction: several times faster than INSERTs for the
    100,000 rows of a large audience. Values are written as the column types store them (naive UTC times,
    enum names)."""
    columns = ", ".join(f'"{c}"' for c in _COPY_COLUMNS)
    raw = session.connection().connection.driver_connection
    with raw.cursor() as cursor, cursor.copy(f"COPY outbound_messages ({columns}) FROM STDIN") as copy:
        for row in rows:
            values = dict(row, state=row["state"].value, purpose=row["purpose"].value,
                          created_at=row["created_at"].astimezone(timezone.utc).replace(tzinfo=None),
                          updated_at=row["updated_at"].astimezone(timezone.utc).replace(tzinfo=None))
            copy.write_row(tuple(values[c] for c in _COPY_COLUMNS))


def claimable(now: datetime) -> sa.ColumnElement[bool]:
    """The hold broadcasts put on the outbox (messaging.dispatch.claim): a broadcast's message goes only
    while its broadcast is sending, and a suggestion's only until it expires (the sweep marks it expired)."""
    sending = sa.select(Broadcast.id).where(Broadcast.state == BroadcastState.sending,
                                            sa.or_(Broadcast.valid_until.is_(None), Broadcast.valid_until > now))
    return sa.or_(OutboundMessage.broadcast_id.is_(None), OutboundMessage.broadcast_id.in_(sending))


def sweep(session, now: datetime) -> None:
    """Expire what a suggestion can no longer say, and finish broadcasts with nothing left to hand over.
    The caller commits."""
    for b in session.scalars(sa.select(Broadcast).where(Broadcast.state == BroadcastState.sending)):
        if b.valid_until is not None and b.valid_until <= now:
            session.execute(sa.update(OutboundMessage)
                            .where(OutboundMessage.broadcast_id == b.id,
                                   OutboundMessage.state == MessageState.pending)
                            .values(state=MessageState.expired, updated_at=now,
                                    error_message="the suggestion expired before it could be handed over"))
        open_ = session.scalar(sa.select(sa.func.count()).select_from(OutboundMessage).where(
            OutboundMessage.broadcast_id == b.id,
            OutboundMessage.state.in_([MessageState.pending, MessageState.handing_over])))
        if not open_ and finish(session, b, now):
            audit.record(session, "broadcast.complete", actor_label="worker", obj_type="broadcast", obj_id=b.id)


def finish(session, b: Broadcast, now: datetime) -> bool:
    """Mark `b` completed if it is still sending at the version read: a person who paused or cancelled it
    meanwhile wins, and the worker leaves it as they left it. The version is bumped like any change."""
    result = session.execute(sa.update(Broadcast)
                             .where(Broadcast.id == b.id, Broadcast.state == BroadcastState.sending,
                                    Broadcast.version == b.version)
                             .values(state=BroadcastState.completed, finished_at=now, updated_at=now,
                                     version=Broadcast.version + 1)
                             .execution_options(synchronize_session=False))
    session.expire(b)  # read again when next used, never flushed from what was read
    return result.rowcount == 1


def cancel_pending(session, b: Broadcast, now: datetime) -> int:
    """What was not yet handed over is not sent. Caller commits."""
    result = session.execute(sa.update(OutboundMessage)
                             .where(OutboundMessage.broadcast_id == b.id, OutboundMessage.state == MessageState.pending)
                             .values(state=MessageState.cancelled, updated_at=now))
    return result.rowcount or 0
