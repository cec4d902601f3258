"""What people do with follow-ups: who sees which, where an item goes, claim, assign, hand over, note,
reply, resolve, reopen, correct the category, go on and off duty.

Functions take a session and flush; the caller commits. A refusal is a FollowUpError (a ServiceError: a
translatable message, shown as 400 or a flash by core.http); an item the person may not see is Forbidden
(403, never an empty answer), one that does not exist NoItem (404).
"""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from clients import privacy
from clients.models import Client
from core import audit
from core.errors import N_, ServiceError
from core.roles import Role, can
from followups import deadlines
from followups.classify import DEFAULT_RULES, Category, Priority, Rules
from followups.models import EventKind, FollowUp, FollowUpEvent, Queue, RuleOverride, Status
from followups.settings import FollowUpSettings
from messaging.models import MessagePurpose, MessageState, OutboundMessage
from sms.links import separate_links
from sms.segments import measure
from staff.models import Staff, StaffRole

MAX_REPLY_CHARS = 670  # ten segments of Chinese text: a reply, not a research note
MAX_NOTE_CHARS = 4000


class FollowUpError(ServiceError):
    domain = "followup"


class Forbidden(FollowUpError):
    """The person may not see or do this (403)."""

    status = 403

    def __init__(self):
        super().__init__(N_("this follow-up is not yours to see or handle"), code="not_yours")


class NoItem(FollowUpError):
    status = 404

    def __init__(self, item_id: int):
        super().__init__(N_("there is no follow-up %(id)s"), id=item_id)


# ---- who sees what --------------------------------------------------------------------------------------

def visible(viewer: Staff) -> sa.ColumnElement[bool]:
    """The items `viewer` may see: everything (chief analyst, compliance), the research queue (researchers),
    the triage queue (admins), and for business staff only their own clients' items and their branch's pool."""
    if can(viewer, "followups.view_all"):
        return sa.true()
    seen = []
    if can(viewer, "followups.research"):
        seen.append(FollowUp.queue == Queue.research)
    if can(viewer, "followups.triage"):
        seen.append(FollowUp.queue == Queue.triage)
    if can(viewer, "followups.business"):
        mine = [FollowUp.client.has(Client.owner_id == viewer.id), FollowUp.assignee_id == viewer.id]
        if viewer.branch:
            mine.append(FollowUp.branch == viewer.branch)
        seen.append(sa.and_(FollowUp.queue == Queue.business, sa.or_(*mine)))
    return sa.or_(*seen) if seen else sa.false()


def get_item(session, viewer: Staff, item_id: int) -> FollowUp | None:
    """The item, None when there is none; Forbidden when it exists but is not the viewer's to see."""
    item = session.get(FollowUp, item_id)
    if item is None:
        return None
    if not session.scalar(sa.select(FollowUp.id).where(FollowUp.id == item_id, visible(viewer))):
        raise Forbidden()
    return item


def visible_item(session, viewer: Staff, item_id: int) -> FollowUp:
    """The item if the viewer may see it: Forbidden (403) when it is not theirs, NoItem (404) when there is
    none."""
    item = get_item(session, viewer, item_id)
    if item is None:
        raise NoItem(item_id)
    return item


def may_handle(viewer: Staff, item: FollowUp) -> bool:
    """Whether the viewer may act on an item they can see: compliance reads and notes, but the queue's own
    people (and the chief analyst) claim, assign, hand over and resolve."""
    if can(viewer, "followups.view_all") and viewer.has_role(Role.chief_analyst):
        return True
    if item.queue == Queue.research:
        return can(viewer, "followups.research")
    if item.queue == Queue.business:
        return can(viewer, "followups.business")
    return can(viewer, "followups.triage")


def may_reveal_number(viewer: Staff, item: FollowUp) -> bool:
    """Whether the viewer may "show" the sender's number: whoever may see the client (clients/privacy.py), and
    the business staff who take the item from their branch's pool, since the business side calls clients
    back. Never researchers: they answer by SMS, which needs the name and the question, not the number."""
    if privacy.may_reveal_mobile(viewer, item.client):
        return True
    return item.queue == Queue.business and can(viewer, "followups.business") and may_handle(viewer, item)


def reveal_number(session, viewer: Staff, item: FollowUp) -> str:
    """The sender's whole number for someone who sees the item and may_reveal_number (the "show" action),
    audited: who, which client (or which item, for a sender who is no client), when."""
    if not may_reveal_number(viewer, item):
        raise Forbidden()
    if item.client is not None:
        audit.record(session, "client.mobile_shown", actor=viewer, obj_type="client", obj_id=item.client.account_no,
                     detail={"via": f"followup {item.id}"})
    else:
        audit.record(session, "followup.number_shown", actor=viewer, obj_type="followup", obj_id=item.id)
    session.flush()
    return item.from_number


def _require_handler(viewer: Staff, item: FollowUp) -> None:
    if not may_handle(viewer, item):
        raise Forbidden()


# ---- where an item goes -----------------------------------------------------------------------------------

def current_rules(session) -> Rules:
    """The shipped rules with every admin override applied."""
    rules = DEFAULT_RULES
    for override in session.scalars(sa.select(RuleOverride)):
        rules = rules.replace(override.category, tuple(override.keywords), tuple(override.patterns))
    return rules


def next_researcher(session, now: datetime) -> int | None:
    """Round-robin among active researchers on duty: the one routed to longest ago (or never) goes next.
    One statement; on PostgreSQL a researcher being given an item by a concurrent reply is skipped, so
    replies arriving together go to different people."""
    candidate = (sa.select(Staff.id).join(StaffRole, StaffRole.staff_id == Staff.id)
                 .where(StaffRole.role == Role.researcher, Staff.active.is_(True), Staff.on_duty.is_(True))
                 .order_by(Staff.last_routed_at.asc().nulls_first(), Staff.id).limit(1))
    if session.get_bind().dialect.name == "postgresql":
        candidate = candidate.with_for_update(of=Staff, skip_locked=True)
    return session.scalar(sa.update(Staff).where(Staff.id == candidate.scalar_subquery())
                          .values(last_routed_at=now).returning(Staff.id)
                          .execution_options(synchronize_session=False))


def place(session, item: FollowUp, now: datetime, queue: Queue | None = None) -> None:
    """Put the item in the queue its category calls for (or `queue`), with its assignee: the next researcher
    on duty, or the client's own business staff, or the branch's pool when the client has none."""
    item.queue = queue or (Queue.research if item.category == Category.research_question else Queue.business)
    item.priority = Priority.high if item.category == Category.complaint else Priority.normal
    item.claimed_at = None
    item.branch = None
    if item.queue == Queue.research:
        item.assignee_id = next_researcher(session, now)
    elif item.queue == Queue.business:
        client = item.client or (session.get(Client, item.client_id) if item.client_id else None)
        if client is None:
            raise FollowUpError(N_("only an item from a known client can go to the business staff"))
        owner = client.owner if client.owner is not None and client.owner.active else None
        item.assignee_id = owner.id if owner else None
        item.branch = None if owner else client.branch
    else:
        item.assignee_id = None


def set_deadline(item: FollowUp, settings: FollowUpSettings, now: datetime) -> None:
    tier = item.client.tier.value if item.client is not None and item.client.tier is not None else None
    item.due_at = deadlines.due_at(now, high_priority=item.priority == Priority.high, tier=tier,
                                   targets=settings.targets, hours=settings.hours, tz=settings.timezone)


def _event(session, item: FollowUp, kind: EventKind, actor: Staff | None, now: datetime, body: str | None = None,
           **detail) -> None:
    session.add(FollowUpEvent(followup_id=item.id, kind=kind, author_id=actor.id if actor else None, body=body,
                              detail=detail or None, created_at=now))


def recategorise(session, item: FollowUp, category: Category, rule: str, actor: Staff | None, now: datetime) -> None:
    """A new category, and the queue it calls for when that is another side."""
    before = item.category
    item.category, item.rule = category, rule
    wanted = Queue.research if category == Category.research_question else Queue.business
    if item.client_id is None:
        wanted = item.queue if item.queue == Queue.triage and category != Category.research_question else wanted
    if wanted != item.queue or (category == Category.complaint) != (item.priority == Priority.high):
        place(session, item, now, wanted)
    _event(session, item, EventKind.category, actor, now, None, before=before.value, after=category.value)


# ---- actions ----------------------------------------------------------------------------------------------

def _already_claimed(item: FollowUp) -> FollowUpError:
    return FollowUpError(N_("%(name)s has already claimed this item; ask for it to be reassigned"),
                         code="already_claimed", name=item.assignee.name if item.assignee else "")


def _hold(session, viewer: Staff, item: FollowUp, holder_id: int, now: datetime, *, take_over: bool = False) -> None:
    """Give the item to `holder_id`, claimed now: refused when someone else claimed it (unless `take_over`, the
    chief analyst's), and conditional on who held it as `viewer` read it (the holder and whether claimed, in the
    UPDATE's WHERE, checked by its row count), so two people acting at once never both take it."""
    if not take_over and item.claimed_at is not None and item.assignee_id not in (None, viewer.id):
        raise _already_claimed(item)
    seen_holder = FollowUp.assignee_id.is_(None) if item.assignee_id is None else \
        FollowUp.assignee_id == item.assignee_id
    seen_claim = FollowUp.claimed_at.is_(None) if item.claimed_at is None else FollowUp.claimed_at.is_not(None)
    taken = session.execute(sa.update(FollowUp).where(FollowUp.id == item.id, seen_holder, seen_claim)
                            .values(assignee_id=holder_id, claimed_at=now)
                            .execution_options(synchronize_session=False)).rowcount
    session.expire(item, ["assignee_id", "claimed_at", "assignee"])
    if taken != 1:
        raise _already_claimed(item)


def claim(session, viewer: Staff, item: FollowUp, now: datetime) -> None:
    _require_handler(viewer, item)
    _hold(session, viewer, item, viewer.id, now)
    _event(session, item, EventKind.claim, viewer, now)


def eligible(staff: Staff, item: FollowUp) -> bool:
    """Who may be given an item: research items to researchers and the chief analyst; a client's business
    item to business staff of the client's branch (or its owner)."""
    if not staff.active:
        return False
    if item.queue == Queue.research:
        return staff.has_role(Role.researcher) or staff.has_role(Role.chief_analyst)
    if item.queue == Queue.business:
        client = item.client
        return staff.has_role(Role.business_staff) and client is not None and (
            client.owner_id == staff.id or (staff.branch is not None and staff.branch == client.branch))
    return False


def assign(session, viewer: Staff, item: FollowUp, email: str, now: datetime) -> Staff:
    _require_handler(viewer, item)
    target = session.scalar(sa.select(Staff).where(sa.func.lower(Staff.email) == (email or "").strip().lower()))
    if target is None:
        raise FollowUpError(N_("there is no staff member %(email)s"), field="user", code="no_such_staff",
                            email=email)
    if not eligible(target, item):
        raise FollowUpError(N_("%(name)s cannot take items of this queue"), field="user", code="not_eligible",
                            name=target.name)
    _hold(session, viewer, item, target.id, now, take_over=viewer.has_role(Role.chief_analyst))
    _event(session, item, EventKind.assign, viewer, now, None, to=target.email)
    return target


def reroute(session, viewer: Staff, item: FollowUp, queue: str, reason: str, now: datetime) -> None:
    """Hand the item to the other side with a reason: the heart of the department's way of working."""
    _require_handler(viewer, item)
    try:
        target = Queue(queue)
    except ValueError:
        raise FollowUpError(N_("the queue must be research or business"), field="queue") from None
    reason = (reason or "").strip()
    if target == Queue.triage:
        raise FollowUpError(N_("the queue must be research or business"), field="queue")
    if target == item.queue:
        raise FollowUpError(N_("the item is already in that queue"), field="queue", code="same_queue")
    if not reason:
        raise FollowUpError(N_("say why the item is handed over"), field="reason")
    if len(reason) > MAX_NOTE_CHARS:
        raise FollowUpError(N_("the text is longer than %(limit)s characters"), field="reason", limit=MAX_NOTE_CHARS)
    before = item.queue
    if target == Queue.research and item.category != Category.research_question:
        item.category, item.rule = Category.research_question, "handed over to research"
    elif target == Queue.business and item.category == Category.research_question:
        item.category, item.rule = Category.feedback, "handed over to business"
    place(session, item, now, target)
    _event(session, item, EventKind.reroute, viewer, now, reason, before=before.value, after=target.value)


def add_note(session, viewer: Staff, item: FollowUp, body: str, now: datetime) -> None:
    """An internal note: for colleagues only, never sent to the client."""
    body = (body or "").strip()
    if not body:
        raise FollowUpError(N_("the note is empty"), field="body")
    if len(body) > MAX_NOTE_CHARS:
        raise FollowUpError(N_("the text is longer than %(limit)s characters"), field="body", limit=MAX_NOTE_CHARS)
    _event(session, item, EventKind.note, viewer, now, body)


def enqueue(session, item: FollowUp, client: Client, body: str, purpose: MessagePurpose, sender: Staff | None,
            now: datetime, settings: FollowUpSettings) -> OutboundMessage:
    """An answer to the client, into the broadcasts' outbox: the worker sends it at the shared rate and
    tracks its delivery like any other message. The signature goes first, as the carriers ask; a link is
    followed by a space (sms/links.py)."""
    if not client.mobile:
        raise FollowUpError(N_("the client has no mobile number on file"), code="no_mobile")
    text = separate_links(body if body.startswith("【") else f"【{settings.company_name}】{body}")
    message = OutboundMessage(broadcast_id=None, followup_id=item.id, client_id=client.id, to=client.mobile,
                              tier=client.tier.value if client.tier else None, body=text,
                              segments=measure(text).segments, state=MessageState.pending, attempts=0,
                              purpose=purpose, sent_by_id=sender.id if sender else None, created_at=now,
                              updated_at=now)
    session.add(message)
    return message


def reply(session, viewer: Staff, item: FollowUp, body: str, settings: FollowUpSettings,
          now: datetime) -> OutboundMessage:
    """Answer the client by SMS; refused when the client opted out. The first answer stops the clock, and
    whoever answers holds the item from then on (claimed "when they replied"): the person the client now talks
    to is the one the queue shows. An item someone else claimed is theirs to answer, unless the chief analyst
    steps in (as with assign)."""
    _require_handler(viewer, item)
    if not can(viewer, "followups.reply"):
        raise Forbidden()
    body = (body or "").strip()
    if not body:
        raise FollowUpError(N_("the reply is empty"), field="body")
    if len(body) > MAX_REPLY_CHARS:
        raise FollowUpError(N_("the text is longer than %(limit)s characters"), field="body", limit=MAX_REPLY_CHARS)
    client = item.client
    if client is None:
        raise FollowUpError(N_("nothing is sent to a number that is not a client's"), field="body",
                            code="not_a_client")
    if client.opted_out:
        raise FollowUpError(N_("the client opted out of messages; answer by phone instead"), field="body",
                            code="opted_out")
    if item.assignee_id != viewer.id or item.claimed_at is None:  # held from now on by whoever answers
        _hold(session, viewer, item, viewer.id, now, take_over=viewer.has_role(Role.chief_analyst))
        _event(session, item, EventKind.claim, viewer, now, None, via="reply")
    message = enqueue(session, item, client, body, MessagePurpose.reply, viewer, now, settings)
    # the first answer ever counts for the response-time figures; every answer stops the clock of the open reply
    if item.first_response_at is None:
        item.first_response_at, item.first_responder_id = now, viewer.id
    if item.status == Status.open:
        item.status = Status.answered
    return message


def resolve(session, viewer: Staff, item: FollowUp, now: datetime) -> None:
    _require_handler(viewer, item)
    if item.status == Status.resolved:
        raise FollowUpError(N_("the item is resolved already"), code="already_resolved")
    item.status, item.resolved_at = Status.resolved, now
    _event(session, item, EventKind.resolve, viewer, now)


def reopen(session, viewer: Staff, item: FollowUp, settings: FollowUpSettings, now: datetime) -> None:
    _require_handler(viewer, item)
    if item.status != Status.resolved:
        raise FollowUpError(N_("only a resolved item can be reopened"), code="not_resolved")
    item.status, item.resolved_at = Status.open, None
    set_deadline(item, settings, now)
    _event(session, item, EventKind.reopen, viewer, now)


def correct_category(session, viewer: Staff, item: FollowUp, category: str, now: datetime) -> None:
    _require_handler(viewer, item)
    try:
        new = Category(category)
    except ValueError:
        raise FollowUpError(N_("unknown category %(value)s"), field="category", value=category) from None
    if new == item.category:
        raise FollowUpError(N_("the item already has that category"), field="category", code="same_category")
    recategorise(session, item, new, f"corrected by {viewer.name}", viewer, now)


def set_duty(session, viewer: Staff, on: bool) -> int:
    """On or off duty for new research items. Going off duty returns one's unclaimed items to the pool;
    returns how many."""
    viewer.on_duty = on
    if on:
        return 0
    result = session.execute(sa.update(FollowUp).where(
        FollowUp.assignee_id == viewer.id, FollowUp.claimed_at.is_(None), FollowUp.queue == Queue.research,
        FollowUp.status != Status.resolved).values(assignee_id=None))
    return result.rowcount or 0
