"""A client's reply, once stored (messaging.inbound), to the right queue: match, classify, route.

Storing and routing are separate transactions on purpose: a reply is committed before anything that could
fail touches it, and a reply whose routing failed stays stored, in the triage queue. `route_stragglers`
routes replies whose request died between the two (a periodic job of the worker), so none is left behind.
"""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, lazyload

from broadcast.models import Broadcast, BroadcastKind
from clients.models import Client
from core import audit
from followups import classify as classifier
from followups import service
from followups.classify import Category, Context, Verdict
from followups.models import EventKind, FollowUp, FollowUpEvent, Queue, Status
from followups.settings import FollowUpSettings
from messaging.inbound import Stored
from messaging.models import InboundMessage, MessagePurpose, MessageState, OutboundMessage
from staff.models import Staff

log = logging.getLogger(__name__)

# categories the system answers by itself; the item is kept for the record, already resolved
AUTOMATIC = frozenset({Category.opt_out, Category.opt_in, Category.help})


@dataclass(frozen=True)
class Routed:
    item: FollowUp
    verdict: Verdict
    acknowledge: bool  # a person will answer: the configured acknowledgement may go back


def _match_client(session, number: str, lock: bool) -> tuple[Client | None, str | None]:
    """The one client with this mobile; (None, why) when there is none or several share it. `lock` (on
    PostgreSQL) holds the client's row until the commit, so that two replies of one client are routed
    one after the other."""
    query = (sa.select(Client).where(Client.mobile == number).limit(2)
             .options(joinedload(Client.owner).lazyload(Staff.roles)))
    if lock:
        query = query.with_for_update(of=Client)
    found = session.scalars(query).all()
    if len(found) == 1:
        return found[0], None
    return None, ("unknown number" if not found else "several clients share this number")


def _latest_broadcast(session, client_id: int, since: datetime) -> sa.Row | None:
    """(id, kind) of the broadcast most recently handed over to this client within the window."""
    return session.execute(
        sa.select(Broadcast.id, Broadcast.kind).join(OutboundMessage, OutboundMessage.broadcast_id == Broadcast.id)
        .where(OutboundMessage.client_id == client_id, OutboundMessage.purpose == MessagePurpose.broadcast,
               OutboundMessage.handed_over_at >= since,
               OutboundMessage.state.in_([MessageState.queued, MessageState.sent, MessageState.delivered]))
        .order_by(OutboundMessage.handed_over_at.desc()).limit(1)).first()


# a reply that plainly belongs to one side joins the client's conversation with that side, or opens one: a
# transfer question reaches the business staff at once even while a research question is open
SIDE = {Category.research_question: Queue.research, Category.account_service: Queue.business}


def _current_item(session, client: Client | None, number: str, since: datetime,
                  side: Queue | None = None) -> FollowUp | None:
    """The open item of this client (or unknown number), else one resolved within the window; only on
    `side` when given."""
    who = FollowUp.client_id == client.id if client else sa.and_(FollowUp.client_id.is_(None),
                                                                 FollowUp.from_number == number)
    recent = sa.or_(FollowUp.status != Status.resolved, FollowUp.resolved_at >= since)
    query = sa.select(FollowUp).where(who, recent)
    if side is not None:
        query = query.where(FollowUp.queue == side)
    return session.scalar(query.order_by((FollowUp.status == Status.resolved).asc(), FollowUp.id.desc()).limit(1)
                          .options(lazyload("*")))


def route(session, message: Stored, settings: FollowUpSettings, now: datetime, *, rules=None) -> Routed:
    """Match, classify and route one stored reply, acting on opt-out, opt-in and help at once. Caller commits.

    Two replies of one client routed at the same moment must not both open an item: on PostgreSQL the
    client's row is locked when it is matched; on SQLite a write takes the database's lock before the
    client's items are read, and the reads that decide nothing about other replies come before it (pysqlite
    runs a SELECT outside a transaction), so the lock is held only briefly. no_autoflush writes each row once."""
    postgresql = session.get_bind().dialect.name == "postgresql"
    since = now - settings.window
    with session.no_autoflush:
        client, unmatched = _match_client(session, message.from_number, lock=postgresql)
        broadcast = _latest_broadcast(session, client.id, since) if client else None
        context = Context(replied_to_suggestion=bool(broadcast and broadcast.kind == BroadcastKind.trade_suggestion),
                          linked_broadcast=broadcast is not None)
        verdict = classifier.classify(message.body, context, rules or service.current_rules(session))
        if not postgresql:
            session.execute(sa.update(InboundMessage).where(InboundMessage.id == message.id)
                            .values(category=verdict.category))
        item = _current_item(session, client, message.from_number, since, SIDE.get(verdict.category) if client else None)
        automatic = client is not None and verdict.category in AUTOMATIC
        opened = item is None
        if opened:
            item = FollowUp(client=client, client_id=client.id if client else None, from_number=message.from_number,
                            category=verdict.category, rule=verdict.rule, priority=verdict.priority,
                            suggest_opt_out=verdict.suggest_opt_out, broadcast_id=broadcast.id if broadcast else None,
                            created_at=now, last_inbound_at=now, status=Status.open)
            session.add(item)
            if client is None:
                item.queue, item.rule = Queue.triage, f"{unmatched}; {verdict.rule}"
            else:
                service.place(session, item, now)
            if automatic:  # kept for the record, resolved by what the system did (said on the item)
                item.status, item.resolved_at = Status.resolved, now
            else:
                service.set_deadline(item, settings, now)
        else:
            _add_to(session, item, verdict, broadcast, settings, now, automatic)
    session.flush()
    if opened and automatic:
        session.add(FollowUpEvent(followup_id=item.id, kind=EventKind.resolve, created_at=now,
                                  detail={"automatic": verdict.category.value}))
    session.execute(sa.update(InboundMessage).where(InboundMessage.id == message.id).values(
        client_id=client.id if client else None, broadcast_id=broadcast.id if broadcast else None,
        category=verdict.category, followup_id=item.id, routed_at=now, routing_error=None))
    if automatic:
        _act(session, item, client, message, verdict, settings, now)
    return Routed(item, verdict, acknowledge=client is not None and not automatic and not client.opted_out)


def _add_to(session, item: FollowUp, verdict: Verdict, broadcast, settings, now, automatic: bool) -> None:
    """A new reply on an existing conversation: it reopens a resolved one, waits for an answer again, and a
    complaint raises the item to a complaint however it started."""
    item.last_inbound_at = now
    if broadcast is not None:
        item.broadcast_id = broadcast.id
    item.suggest_opt_out = item.suggest_opt_out or verdict.suggest_opt_out
    if automatic:
        return
    if verdict.category == classifier.Category.complaint and item.category != classifier.Category.complaint:
        service.recategorise(session, item, verdict.category, verdict.rule, None, now)
    if item.status == Status.resolved:
        item.status, item.resolved_at, item.due_at = Status.open, None, None
        session.add(FollowUpEvent(followup_id=item.id, kind=EventKind.reopen, created_at=now,
                                  body="reopened by a new reply from the client"))
    if item.status == Status.answered or item.due_at is None:  # waiting for an answer again, from now
        item.status = Status.open
        service.set_deadline(item, settings, now)


# Latin letters a Chinese client types as a whole reply because a Chinese SMS asked for them ("拒收请回复R", "回复TD
#退订"): they are no sign the client reads English
CHINESE_CODES = frozenset({"R", "T", "TD", "N"})


def answers_in_english(body: str, broadcast_language: str | None) -> bool:
    """Whether the automatic answer to `body` (service card, opt-out or opt-in confirmation) is in English: a reply
    with Chinese in it is answered in Chinese, one with an English word (STOP, HELP) in English, and anything
    else ("R", "TD", "1") in the language of the broadcast it answers, Chinese when there is none."""
    if re.search(r"[\u3400-\u9fff]", body):
        return False
    if re.sub(r"[\W_]+", "", body).upper() not in CHINESE_CODES and re.search(r"[A-Za-z]{2,}", body):
        return True
    return broadcast_language == "en"


def _act(session, item: FollowUp, client: Client, message: Stored, verdict: Verdict,
         settings: FollowUpSettings, now: datetime) -> None:
    """Opt out, opt in or send the service card, in the client's language, and say so once."""
    answered = session.get(Broadcast, item.broadcast_id) if item.broadcast_id is not None else None
    english = answers_in_english(message.body, answered.language if answered is not None else None)
    if verdict.category == Category.help:
        service.enqueue(session, item, client, settings.text("card", english), MessagePurpose.service, None, now,
                        settings)
        session.add(FollowUpEvent(followup_id=item.id, kind=EventKind.auto_reply, created_at=now,
                                  body="service card sent"))
        return
    opting_out = verdict.category == Category.opt_out
    if client.opted_out == opting_out:
        return  # already so: no second confirmation
    client.opted_out = opting_out
    client.opted_out_at = now if opting_out else None
    client.opt_out_source = f"sms reply {message.sid}" if opting_out else None
    audit.record(session, "client.opt_out" if opting_out else "client.opt_in", actor_label="sms reply",
                 obj_type="client", obj_id=client.account_no,
                 detail={"how": "sms", "message": message.sid, "text": message.body[:40]})
    session.add(FollowUpEvent(followup_id=item.id, kind=EventKind.opt_out if opting_out else EventKind.opt_in,
                              created_at=now, body=message.body[:200]))
    service.enqueue(session, item, client, settings.text("opt_out" if opting_out else "opt_in", english),
                    MessagePurpose.service, None, now, settings)


def _stored(session, message_id: int) -> Stored:
    row = session.execute(sa.select(InboundMessage.id, InboundMessage.provider_sid, InboundMessage.from_number,
                                    InboundMessage.body).where(InboundMessage.id == message_id)).one()
    return Stored(*row)


def route_or_triage(session, message: Stored | int, settings: FollowUpSettings, now: datetime) -> Routed | None:
    """Route a stored reply; when routing fails, keep it and put it in the triage queue. COMMITS."""
    message = message if isinstance(message, Stored) else _stored(session, message)
    try:
        routed = route(session, message, settings, now)
        session.commit()
        return routed
    except Exception as exc:  # whatever went wrong, the reply must reach a person
        session.rollback()
        log.exception("routing reply %s failed; it goes to triage", message.id)
        item = FollowUp(queue=Queue.triage, category=Category.feedback, rule=f"routing failed: {exc.__class__.__name__}",
                        from_number=message.from_number, created_at=now, last_inbound_at=now, status=Status.open)
        session.add(item)
        session.flush()
        session.execute(sa.update(InboundMessage).where(InboundMessage.id == message.id).values(
            followup_id=item.id, routing_error=f"{exc.__class__.__name__}: {exc}"[:300]))
        session.commit()
        return None


def route_stragglers(session, settings: FollowUpSettings, now: datetime, older_than: timedelta = timedelta(seconds=30),
                     limit: int = 100) -> int:
    """Route replies stored by a request that died before routing them. COMMITS."""
    ids = session.scalars(sa.select(InboundMessage.id).where(InboundMessage.followup_id.is_(None),
                                                             InboundMessage.received_at <= now - older_than)
                          .order_by(InboundMessage.id).limit(limit)).all()
    for message_id in ids:
        route_or_triage(session, message_id, settings, now)
    return len(ids)


def handle(session, stored: Stored, now: datetime, config) -> str:
    """The handler follow-ups register with messaging (messaging.hooks): route the stored reply (or put it in
    triage) and return the acknowledgement to answer the webhook with, "" for none. COMMITS."""
    settings = FollowUpSettings.from_config(config)
    routed = route_or_triage(session, stored, settings, now)
    return settings.auto_ack if routed is not None and routed.acknowledge else ""


def stragglers_job(session, now: datetime, config) -> None:
    """The periodic job follow-ups register with messaging: route replies a dying request left behind."""
    route_stragglers(session, FollowUpSettings.from_config(config), now)
