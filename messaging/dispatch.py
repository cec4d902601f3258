"""Handing messages over: claiming them, recording what the provider said, status callbacks, crash recovery.

The message row is the outbox. A message is marked handing_over and committed before the provider is
called, so a crash between the two leaves evidence: such a message becomes unknown and is never resent
on its own. Whatever made the message (a broadcast, an answer, the kinds to come) is the domain's business:
a domain that must hold its messages back (a paused broadcast, an expired suggestion) gives `claim` a
condition (see messaging.hooks), so this module imports no domain.
Functions take a session and an explicit `now`; they flush or commit where the comment says so.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from clients.models import Client
from core import audit
from messaging import states
from messaging.models import (
    OPTED_OUT_PURPOSES,
    QUIET_HOURS_PURPOSES,
    MessagePurpose,
    MessageState,
    OutboundMessage,
)
from sms.gateway import GatewayError, Sent
from staff.models import Staff

# a condition on OutboundMessage that a domain adds to every claim (its messages that may go now), given now
Hold = Callable[[datetime], sa.ColumnElement[bool]]


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
    created_at: datetime | None = None  # when the message was made: a copy the provider had before is not it


def _may_go(now: datetime, quiet: bool, holds: Sequence[Hold]) -> list[sa.ColumnElement[bool]]:
    """What makes a pending message claimable now: due, allowed in quiet hours if they are on, and not held
    back by the domain it came from."""
    where = [OutboundMessage.state == MessageState.pending,
             sa.or_(OutboundMessage.next_attempt_at.is_(None), OutboundMessage.next_attempt_at <= now)]
    if quiet:
        where.append(OutboundMessage.purpose.in_(QUIET_HOURS_PURPOSES))
    return where + [hold(now) for hold in holds]


def _held_back(r) -> str | None:
    """Why a claimable row must not go after all (None when it may): a client who opted out, or whose number
    was refused or changed since the message was made; a test send (no client) unless it still goes to its
    sender's own mobile as an admin verified it, the sender still active."""
    if r.client_id is None:
        if r.purpose == MessagePurpose.test and r.active and r.test_mobile_verified_at is not None \
                and r.test_mobile == r.to:
            return None
        return "the sender's verified test mobile changed before it was sent"
    if (r.opted_out and r.purpose not in OPTED_OUT_PURPOSES) or r.mobile_invalid_at is not None or r.mobile != r.to:
        return "the client opted out or the number changed before it was sent"
    return None


def claim(session, limit: int, now: datetime, *, holds: Sequence[Hold], quiet: bool = False,
          worker_id: int | None = None) -> list[Claimed]:
    """Take up to `limit` due messages and mark them handing_over, claimed by `worker_id`; COMMITS, so that
    the mark is durable before any provider is called. `quiet` (quiet hours) takes only the answers to
    clients who wrote in; `holds` are the domains' conditions (a broadcast must be sending, a suggestion
    still valid), required so that no caller can forget them and send what a domain holds back.

    Each move is conditional (`WHERE state = 'pending'` and the holds again), so a cancel or pause that
    commits meanwhile wins. A client who opted out or whose number was refused or changed since the message
    was made is suppressed, except for the automatic answers the client asked for (an opt-out confirmation);
    so is a test send (no client) unless it still goes to its sender's own mobile as an admin verified it.
    On PostgreSQL, rows another worker holds are skipped (FOR UPDATE SKIP LOCKED), so any number of workers
    claim side by side and never the same message."""
    may_go = _may_go(now, quiet, holds)
    query = (sa.select(OutboundMessage.id, OutboundMessage.to, OutboundMessage.purpose, OutboundMessage.client_id,
                       Client.mobile, Client.opted_out, Client.mobile_invalid_at, Staff.test_mobile,
                       Staff.test_mobile_verified_at, Staff.active)
             .outerjoin(Client, Client.id == OutboundMessage.client_id)
             .outerjoin(Staff, sa.and_(OutboundMessage.client_id.is_(None), Staff.id == OutboundMessage.sent_by_id))
             .where(*may_go).order_by(OutboundMessage.id).limit(limit))
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True, of=OutboundMessage)
    rows = session.execute(query).all()
    suppress = {r.id: why for r in rows if (why := _held_back(r))}
    take = [r.id for r in rows if r.id not in suppress]
    pending = OutboundMessage.state == MessageState.pending
    for reason in set(suppress.values()):
        session.execute(sa.update(OutboundMessage)
                        .where(OutboundMessage.id.in_([i for i, why in suppress.items() if why == reason]), pending)
                        .values(state=MessageState.suppressed, updated_at=now, error_message=reason)
                        .execution_options(synchronize_session=False))
    claimed: list[Claimed] = []
    if take:
        result = session.execute(
            sa.update(OutboundMessage).where(OutboundMessage.id.in_(take), *may_go)
            .values(state=MessageState.handing_over, attempts=OutboundMessage.attempts + 1, updated_at=now,
                    claimed_by=worker_id)
            .returning(OutboundMessage.id, OutboundMessage.to, OutboundMessage.body, OutboundMessage.attempts,
                       OutboundMessage.error_code, OutboundMessage.created_at)
            .execution_options(synchronize_session=False))
        claimed = [Claimed(r.id, r.to, r.body, r.attempts, r.error_code == UNSURE, r.created_at) for r in result]
    session.commit()
    return sorted(claimed, key=lambda c: c.id)


def _not_anothers(session, answers: list[tuple[Claimed, Sent | GatewayError]]) -> list[tuple[Claimed, Sent | GatewayError]]:
    """The answers, with any SID the provider gave that another message already holds turned into a retry: the
    lookup after a timeout found a copy that is not this message's (the unique SID would refuse it for ever, and
    the whole batch with it). Not ambiguous: the copy found was someone else's, so the next attempt sends."""
    # only a lookup can answer with another message's SID; a send always gets a new one (no query then)
    sids = {o.sid: c.id for c, o in answers if isinstance(o, Sent) and c.check_first}
    if not sids:
        return answers
    held = dict(session.execute(sa.select(OutboundMessage.provider_sid, OutboundMessage.id)
                                .where(OutboundMessage.provider_sid.in_(list(sids)))).all())
    return [(c, GatewayError(f"the provider's message {o.sid} is message {held[o.sid]}'s, not this one",
                             retryable=True))
            if isinstance(o, Sent) and held.get(o.sid, c.id) != c.id else (c, o) for c, o in answers]


def record_all(session, answers: list[tuple[Claimed, Sent | GatewayError]], now: datetime, max_attempts: int) -> None:
    """What the provider answered for a batch, as `record` does for each, but the usual case (accepted, no
    callback came first) in one statement for the batch. Safe to run again on the same answers. A SID another
    message holds is never recorded (`_not_anothers`). The caller commits."""
    answers = _not_anothers(session, answers)
    ids = [claimed.id for claimed, _ in answers]
    current = dict(session.execute(sa.select(OutboundMessage.id, OutboundMessage.state)
                                  .where(OutboundMessage.id.in_(ids)).with_for_update()).all())
    plain = [{"m_id": c.id, "sid": o.sid} for c, o in answers
             if isinstance(o, Sent) and current.get(c.id) == MessageState.handing_over]
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
        m.next_attempt_at = states.retry_at(now, claimed.attempts)
        return m.state
    if outcome.ambiguous:  # out of attempts and the provider may have it: a person must look
        m.state = MessageState.unknown
        return m.state
    m.state = MessageState.failed
    if m.client_id is None:  # a test send to a staff member's own mobile: no client to mark
        return m.state
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
    new = states.after_callback(m.state, status)
    if new is None:
        return None
    m.state = new
    m.updated_at = now
    if error_code:
        m.error_code = error_code[:10]
    return new
