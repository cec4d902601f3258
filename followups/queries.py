"""Reading follow-ups: the queue a person sees, one item's whole conversation, and the response-time summary.
Everything goes through `service.visible`, so nobody reads what is not theirs."""
from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from core.errors import N_
from followups import deadlines
from followups.classify import Category
from followups.models import FollowUp, FollowUpEvent, Queue, Status
from followups.service import FollowUpError, visible
from followups.settings import FollowUpSettings
from messaging.models import InboundMessage, OutboundMessage
from staff.models import Staff

STATUSES = ("open", "answered", "resolved", "all")  # open: open or answered (the default)
ASSIGNEES = ("me", "none")  # mine, or the pool's


@dataclass(frozen=True)
class ItemFilter:
    queue: str | None = None  # research, business, triage
    status: str | None = None  # open (open or answered), resolved, all
    assignee: str | None = None  # "me", "none" (the pool)
    category: str | None = None

    @classmethod
    def from_args(cls, args) -> ItemFilter:
        f = cls(args.get("queue") or None, args.get("status") or None, args.get("assignee") or None,
                args.get("category") or None)
        if f.queue and f.queue not in {q.value for q in Queue}:
            raise FollowUpError(N_("unknown queue %(value)s"), field="queue", value=f.queue)
        if f.status and f.status not in STATUSES:
            raise FollowUpError(N_("unknown status %(value)s"), field="status", value=f.status)
        if f.assignee and f.assignee not in ASSIGNEES:
            raise FollowUpError(N_("assignee must be me or none"), field="assignee")
        if f.category and f.category not in {c.value for c in Category}:
            raise FollowUpError(N_("unknown category %(value)s"), field="category", value=f.category)
        return f


def items_query(viewer: Staff, f: ItemFilter) -> sa.Select:
    """The viewer's items matching `f`, the nearest deadline first (open items), newest first (resolved)."""
    query = sa.select(FollowUp).where(visible(viewer))
    if f.queue:
        query = query.where(FollowUp.queue == Queue(f.queue))
    status = f.status or "open"
    if status == "open":
        query = query.where(FollowUp.status != Status.resolved)
    elif status != "all":
        query = query.where(FollowUp.status == Status(status))
    if f.assignee == "me":
        query = query.where(FollowUp.assignee_id == viewer.id)
    elif f.assignee == "none":
        query = query.where(FollowUp.assignee_id.is_(None))
    if f.category:
        query = query.where(FollowUp.category == f.category)
    if status == "resolved":
        return query.order_by(FollowUp.resolved_at.desc(), FollowUp.id.desc())
    # waiting for a first answer first, by deadline; then the answered ones
    return query.order_by(FollowUp.status != Status.open, FollowUp.due_at.asc().nulls_last(),
                          FollowUp.id)


def latest_texts(session, item_ids: list[int]) -> dict[int, str]:
    """The last reply of each item, for the queue's one-line preview."""
    if not item_ids:
        return {}
    last = (sa.select(sa.func.max(InboundMessage.id)).where(InboundMessage.followup_id.in_(item_ids))
            .group_by(InboundMessage.followup_id))
    rows = session.execute(sa.select(InboundMessage.followup_id, InboundMessage.body)
                           .where(InboundMessage.id.in_(last)))
    return dict(rows.all())


@dataclass
class Entry:
    """One line of a conversation: a message either way, a note, or a hand-over."""

    at: datetime
    kind: str  # "in", "out", or an EventKind value
    body: str | None
    who: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)


def thread(session, item: FollowUp) -> list[Entry]:
    """Every message both ways (from the broadcast the client replied to on), every note and hand-over, in order."""
    entries = [Entry(m.received_at, "in", m.body, m.from_number)
               for m in session.scalars(sa.select(InboundMessage).where(InboundMessage.followup_id == item.id))]
    mine = OutboundMessage.followup_id == item.id
    if item.broadcast_id is not None and item.client_id is not None:  # the broadcast the client replied to
        mine = sa.or_(mine, sa.and_(OutboundMessage.broadcast_id == item.broadcast_id,
                                    OutboundMessage.client_id == item.client_id))
    outbound = list(session.scalars(sa.select(OutboundMessage).where(mine).order_by(OutboundMessage.id)))
    senders = {m.sent_by_id for m in outbound if m.sent_by_id}
    names = dict(session.execute(sa.select(Staff.id, Staff.name).where(Staff.id.in_(senders))).all()) if senders else {}
    for m in outbound:
        at = m.created_at if m.followup_id == item.id else (m.handed_over_at or m.created_at)  # written / went out
        entries.append(Entry(at, "out", m.body, names.get(m.sent_by_id),
                             {"state": m.state.value, "purpose": m.purpose.value, "error": m.error_code}))
    for e in session.scalars(sa.select(FollowUpEvent).where(FollowUpEvent.followup_id == item.id)
                             .options(joinedload(FollowUpEvent.author))):
        entries.append(Entry(e.created_at, e.kind.value, e.body, e.author.name if e.author else None,
                             dict(e.detail or {})))
    order = {"in": 0, "out": 2}
    return sorted(entries, key=lambda e: (e.at, order.get(e.kind, 1)))


@dataclass
class Line:
    label: str
    open: int = 0
    overdue: int = 0
    first_responses: list[timedelta] = field(default_factory=list)

    @property
    def median_minutes(self) -> float | None:
        if not self.first_responses:
            return None
        return round(statistics.median(d.total_seconds() for d in self.first_responses) / 60, 1)


def summary(session, viewer: Staff, settings: FollowUpSettings, now: datetime,
            days: int = 30) -> tuple[list[Line], list[Line]]:
    """Per queue and per person: open items, overdue items (a client waiting past the deadline), and the median
    first-response time in service hours over the items answered in the last `days` days."""
    since = now - timedelta(days=days)
    rows = session.execute(
        sa.select(FollowUp.queue, FollowUp.status, FollowUp.due_at, FollowUp.created_at, FollowUp.first_response_at,
                  FollowUp.assignee_id, FollowUp.first_responder_id)
        .where(visible(viewer), sa.or_(FollowUp.status != Status.resolved, FollowUp.first_response_at >= since))).all()
    names = dict(session.execute(sa.select(Staff.id, Staff.name)).all())
    queues: dict[str, Line] = {q.value: Line(q.value) for q in Queue}
    people: dict[int | None, Line] = {}
    for row in rows:
        q = queues[row.queue.value]
        waiting = row.status != Status.resolved
        overdue = row.status == Status.open and row.due_at is not None and row.due_at <= now
        person_id = row.assignee_id if waiting else row.first_responder_id
        person = people.setdefault(person_id, Line(names.get(person_id, "")))
        for line in (q, person):
            line.open += waiting
            line.overdue += overdue
        if row.first_response_at is not None and row.first_response_at >= since:
            took = deadlines.service_time_between(row.created_at, row.first_response_at, settings.hours,
                                                  settings.timezone)
            q.first_responses.append(took)
            people.setdefault(row.first_responder_id, Line(names.get(row.first_responder_id, ""))) \
                .first_responses.append(took)
    ordered = sorted(people.items(), key=lambda kv: (kv[0] is None, kv[1].label))
    return list(queues.values()), [line for _, line in ordered]
