"""Sending: the audience snapshot, claiming messages, recording what the provider said, finishing.

The message row is the outbox. A message is marked handing_over and committed before the provider is
called, so a crash between the two leaves evidence: such a message becomes unknown and is never resent
on its own. One recipient gets one message per broadcast, held by a unique constraint.
Functions take a session and an explicit `now`; they flush or commit where the comment says so.
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timezone

import sqlalchemy as sa

from broadcast import audience as audiences
from broadcast import delivery
from broadcast.models import Broadcast, BroadcastState, MessagePurpose, MessageState, OutboundMessage
from broadcast.settings import Settings
from broadcast.texts import NOTE_TOKEN_BYTES, final_text, render_for
from clients.imports import chunks
from clients.models import Client
from core import audit
from sms.gateway import GatewayError, Sent
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

    Safe to run twice: recipients that already have a row are skipped (and the unique constraint would
    refuse them anyway). The caller commits.
    """
    have = set(session.scalars(sa.select(OutboundMessage.client_id).where(OutboundMessage.broadcast_id == b.id)))
    # plain rows, not ORM objects: 100,000 recipients are read in a fraction of the time
    query = (audiences.recipients_query(audiences.parse(b.audience))
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
        rows.append({"broadcast_id": b.id, "client_id": client_id, "to": mobile,
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


_COPY_COLUMNS = ("broadcast_id", "client_id", "to", "tier", "body", "segments", "state", "attempts", "note_token",
                 "note_opens", "created_at", "updated_at")


def _copy_rows(session, rows: list[dict]) -> None:
    """PostgreSQL's COPY, in the session's own transaction: several times faster than INSERTs for the
    100,000 rows of a large audience. Values are written as the column types store them (naive UTC times,
    enum names)."""
    columns = ", ".join(f'"{c}"' for c in _COPY_COLUMNS)
    raw = session.connection().connection.driver_connection
    with raw.cursor() as cursor, cursor.copy(f"COPY outbound_messages ({columns}) FROM STDIN") as copy:
        for row in rows:
            values = dict(row, state=row["state"].value,
                          created_at=row["created_at"].astimezone(timezone.utc).replace(tzinfo=None),
                          updated_at=row["updated_at"].astimezone(timezone.utc).replace(tzinfo=None))
            copy.write_row(tuple(values[c] for c in _COPY_COLUMNS))


# error_code of a message whose last attempt timed out after the request may have reached the provider:
# the next attempt first asks the provider whether it has the message, and only sends when it has not
UNSURE = "unsure"


@dataclass(frozen=True)
class Claimed:
    id: int
    to: str
    body: str
    attempts: int
    check_first: bool = False  # the last attempt may have got through; look before sending again


def _due(now: datetime, broadcasts: bool):
    """The messages a worker may take now (see `claim`), with what the claim checks of their client."""
    answer = OutboundMessage.broadcast_id.is_(None)
    return (sa.select(OutboundMessage.id, OutboundMessage.to, OutboundMessage.purpose, Client.mobile,
                      Client.opted_out, Client.mobile_invalid_at)
            .outerjoin(Broadcast, Broadcast.id == OutboundMessage.broadcast_id)
            .join(Client, Client.id == OutboundMessage.client_id)
            .where(answer if not broadcasts else sa.or_(answer, Broadcast.state == BroadcastState.sending),
                   OutboundMessage.state == MessageState.pending,
                   sa.or_(Broadcast.valid_until.is_(None), Broadcast.valid_until > now),
                   sa.or_(OutboundMessage.next_attempt_at.is_(None), OutboundMessage.next_attempt_at <= now)))


def claim(session, limit: int, now: datetime, broadcasts: bool = True, worker_id: int | None = None) -> list[Claimed]:
    """Take up to `limit` due messages (of sending broadcasts, and answers to follow-ups) and mark them
    handing_over, claimed by `worker_id`; COMMITS, so that the mark is durable before any provider is
    called. `broadcasts=False` (quiet hours) takes only answers to clients who wrote in.

    Each move is conditional (`WHERE state = 'pending'`), so a cancel or pause that commits meanwhile wins.
    A suggestion past its valid-until is not claimed (the sweep marks it expired); a client who opted out
    or whose number was refused since the snapshot is suppressed, except for the automatic answers the
    client asked for (an opt-out confirmation). On PostgreSQL, rows another worker holds are skipped
    (FOR UPDATE SKIP LOCKED), so any number of workers claim side by side and never the same message."""
    answer = OutboundMessage.broadcast_id.is_(None)
    query = _due(now, broadcasts).order_by(OutboundMessage.id).limit(limit)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True, of=OutboundMessage)
    rows = session.execute(query).all()
    suppress = [r.id for r in rows if (r.opted_out and r.purpose != MessagePurpose.service)
                or r.mobile_invalid_at is not None or r.mobile != r.to]
    take = [r.id for r in rows if r.id not in set(suppress)]
    pending = OutboundMessage.state == MessageState.pending
    if suppress:
        session.execute(sa.update(OutboundMessage).where(OutboundMessage.id.in_(suppress), pending)
                        .values(state=MessageState.suppressed, updated_at=now,
                                error_message="the client opted out or the number changed before it was sent")
                        .execution_options(synchronize_session=False))
    claimed: list[Claimed] = []
    if take:
        still_sending = sa.or_(answer, OutboundMessage.broadcast_id.in_(
            sa.select(Broadcast.id).where(Broadcast.state == BroadcastState.sending)))
        result = session.execute(
            sa.update(OutboundMessage).where(OutboundMessage.id.in_(take), pending, still_sending)
            .values(state=MessageState.handing_over, attempts=OutboundMessage.attempts + 1, updated_at=now,
                    claimed_by=worker_id)
            .returning(OutboundMessage.id, OutboundMessage.to, OutboundMessage.body, OutboundMessage.attempts,
                       OutboundMessage.error_code)
            .execution_options(synchronize_session=False))
        claimed = [Claimed(r.id, r.to, r.body, r.attempts, r.error_code == UNSURE) for r in result]
    session.commit()
    return sorted(claimed, key=lambda c: c.id)


def record_all(session, answers: list[tuple[Claimed, Sent | GatewayError]], now: datetime, max_attempts: int) -> None:
    """What the provider answered for a batch, as `record` does for each, but the usual case (accepted, no
    callback came first) in one statement for the batch. Safe to run again on the same answers. The caller
    commits."""
    ids = [claimed.id for claimed, _ in answers]
    states = dict(session.execute(sa.select(OutboundMessage.id, OutboundMessage.state)
                                  .where(OutboundMessage.id.in_(ids)).with_for_update()).all())
    plain = [{"m_id": c.id, "sid": o.sid} for c, o in answers
             if isinstance(o, Sent) and states.get(c.id) == MessageState.handing_over]
    done: set[int] = set()
    if plain:
        # still conditional: on PostgreSQL the rows are locked above, but SQLite has no row locks (and pysqlite
        # reads outside a transaction), so a status callback may have moved a row since it was read
        table = OutboundMessage.__table__
        session.execute(table.update().where(table.c.id == sa.bindparam("m_id"),
                                             table.c.state == MessageState.handing_over)
                        .values(state=MessageState.queued, provider_sid=sa.bindparam("sid"), handed_over_at=now,
                                updated_at=now, error_code=None, error_message=None), plain)
        plain_ids = [row["m_id"] for row in plain]
        done = set(session.scalars(sa.select(OutboundMessage.id).where(
            OutboundMessage.id.in_(plain_ids), OutboundMessage.state == MessageState.queued,
            OutboundMessage.handed_over_at == now)))
    for claimed, outcome in answers:
        if claimed.id not in done:
            record(session, claimed, outcome, now, max_attempts)


def record(session, claimed: Claimed, outcome: Sent | GatewayError, now: datetime, max_attempts: int) -> MessageState:
    """What the provider answered for one handed-over message. The caller commits.

    The move out of handing_over is conditional: a status callback that got there first is never undone.
    A message the leader marked unknown meanwhile (this worker could not reach the database for longer than
    WORKER_DEAD_AFTER_SECONDS) becomes queued if the provider took it: the answer is better evidence than
    the guess; otherwise it stays unknown. Safe to run twice for the same answer."""
    m = session.get(OutboundMessage, claimed.id, populate_existing=True, with_for_update=True)
    if m.state != MessageState.handing_over:  # a callback overtook the answer; keep what it said
        if isinstance(outcome, Sent):
            m.provider_sid = m.provider_sid or outcome.sid
            m.handed_over_at = m.handed_over_at or now
            if m.state == MessageState.unknown:  # judged lost while this worker could not reach the database
                m.state = MessageState.queued
                m.error_code = m.error_message = None
        return m.state
    if isinstance(outcome, Sent):
        m.state = MessageState.queued
        m.provider_sid = outcome.sid
        m.handed_over_at = now
        m.error_code = m.error_message = None
        return m.state
    m.error_code = UNSURE if outcome.ambiguous else (outcome.code or (str(outcome.status) if outcome.status else None))
    m.error_message = str(outcome)[:300]
    if outcome.retryable and claimed.attempts < max_attempts:
        m.state = MessageState.pending
        m.next_attempt_at = delivery.retry_at(now, claimed.attempts)
        return m.state
    if outcome.ambiguous:  # out of attempts and the provider may have it: a person must look
        m.state = MessageState.unknown
        return m.state
    m.state = MessageState.failed
    if outcome.code in ("21211", "21614"):  # not a valid (mobile) number: not tried again until it changes
        client = session.get(Client, m.client_id)
        if client.mobile == m.to and client.mobile_invalid_at is None:
            client.mobile_invalid_at = now
    if outcome.code == "21610":  # the carrier says the recipient unsubscribed: respect it everywhere
        client = session.get(Client, m.client_id)
        if not client.opted_out:
            client.opted_out = True
            client.opted_out_at = now
            client.opt_out_source = "carrier 21610"
            audit.record(session, "client.opt_out", actor_label="sms gateway", obj_type="client",
                         obj_id=client.account_no, detail={"how": "carrier 21610", "message": m.id})
    return m.state


def handing_over_holders(session) -> set[int | None]:
    """The workers (None: claimed before workers registered) that have messages in handing_over."""
    return set(session.scalars(sa.select(OutboundMessage.claimed_by).distinct()
                               .where(OutboundMessage.state == MessageState.handing_over)))


def recover_after_crash(session, now: datetime, holders: set[int | None] | None = None) -> int:
    """Messages left handing_over by workers that died (`holders`, None for every worker): the provider may
    have them, so they become unknown, for a person to look at; never resent. Caller commits."""
    where = [OutboundMessage.state == MessageState.handing_over]
    if holders is not None:
        ids = [h for h in holders if h is not None]
        which = OutboundMessage.claimed_by.in_(ids)
        where.append(sa.or_(which, OutboundMessage.claimed_by.is_(None)) if None in holders else which)
    result = session.execute(
        sa.update(OutboundMessage).where(*where)
        .values(state=MessageState.unknown, updated_at=now,
                error_message="the worker stopped while handing this message over; it may or may not have gone")
        .execution_options(synchronize_session=False))
    return result.rowcount or 0


def release_unsent(session, worker_id: int, now: datetime) -> int:
    """Put this worker's handing_over messages back to pending. Only for a worker that knows it called the
    provider for none of them: after a claim whose commit failed (it may have landed), before any send.
    COMMITS."""
    result = session.execute(
        sa.update(OutboundMessage)
        .where(OutboundMessage.state == MessageState.handing_over, OutboundMessage.claimed_by == worker_id)
        .values(state=MessageState.pending, attempts=OutboundMessage.attempts - 1, claimed_by=None, updated_at=now)
        .execution_options(synchronize_session=False))
    session.commit()
    return result.rowcount or 0


def sweep(session, now: datetime) -> list[int]:
    """Expire what a suggestion can no longer say, and finish broadcasts with nothing left to hand over.
    Returns the ids of the broadcasts finished. The caller commits."""
    finished = []
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
        if not open_:
            b.state = BroadcastState.completed
            b.finished_at = now
            audit.record(session, "broadcast.complete", actor_label="worker", obj_type="broadcast", obj_id=b.id)
            finished.append(b.id)
    return finished


def cancel_pending(session, b: Broadcast, now: datetime) -> int:
    """What was not yet handed over is not sent. Caller commits."""
    result = session.execute(sa.update(OutboundMessage)
                             .where(OutboundMessage.broadcast_id == b.id, OutboundMessage.state == MessageState.pending)
                             .values(state=MessageState.cancelled, updated_at=now))
    return result.rowcount or 0


def apply_callback(session, sid: str, status: str, error_code: str | None, now: datetime,
                   message_id: int | None = None) -> MessageState | None:
    """A provider status callback: moves the message forward only. Returns the new state, or None when
    nothing changed (unknown SID, replay, out of order). `message_id` comes from the callback URL and finds
    a message whose SID is not recorded yet (the callback overtook the API's answer). Caller commits."""
    m = session.scalar(sa.select(OutboundMessage).where(OutboundMessage.provider_sid == sid).with_for_update())
    if m is None and message_id is not None:
        m = session.scalar(sa.select(OutboundMessage).where(OutboundMessage.id == message_id,
                                                            OutboundMessage.provider_sid.is_(None)).with_for_update())
        if m is not None:
            m.provider_sid = sid
    if m is None:
        return None
    new = delivery.after_callback(m.state, status)
    if new is None:
        return None
    m.state = new
    m.updated_at = now
    if error_code:
        m.error_code = error_code[:10]
    return new
