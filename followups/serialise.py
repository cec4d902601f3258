"""The JSON shape of a follow-up item with its conversation, for the API.

A page of items is read with three queries whatever its length (inbound messages, outbound messages, events),
never one set per item: `threads` loads them for a list of ids and `item_json` shapes one item from them.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from clients import privacy
from followups.models import EventKind, FollowUp, FollowUpEvent
from messaging.models import InboundMessage, OutboundMessage


def _iso(value: datetime | None) -> str | None:
    """ISO 8601 in UTC with its offset ("2026-11-25T02:00:00+00:00"), or None."""
    return value.astimezone(UTC).isoformat() if value else None


@dataclass
class Thread:
    """What was said and done on one item: messages both ways (in order), notes, and the other events."""

    messages: list[dict[str, Any]] = field(default_factory=list)
    notes: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)


def threads(session, item_ids: list[int]) -> dict[int, Thread]:
    """The conversation of each item in `item_ids`, in three queries."""
    found: dict[int, Thread] = defaultdict(Thread)
    if not item_ids:
        return found
    lines: dict[int, list[tuple]] = defaultdict(list)
    inbound = session.execute(
        sa.select(InboundMessage.followup_id, InboundMessage.id, InboundMessage.body, InboundMessage.received_at)
        .where(InboundMessage.followup_id.in_(item_ids)))
    for item_id, message_id, body, at in inbound:
        lines[item_id].append((at, 0, message_id, {"direction": "in", "body": body, "at": _iso(at)}))
    outbound = session.execute(
        sa.select(OutboundMessage.followup_id, OutboundMessage.id, OutboundMessage.body, OutboundMessage.created_at,
                  OutboundMessage.state, OutboundMessage.purpose)
        .where(OutboundMessage.followup_id.in_(item_ids)))
    for item_id, message_id, body, at, state, purpose in outbound:
        lines[item_id].append((at, 1, message_id, {"direction": "out", "body": body, "at": _iso(at),
                                                   "state": state.value, "purpose": purpose.value}))
    for item_id, entries in lines.items():
        found[item_id].messages = [entry for *_, entry in sorted(entries, key=lambda e: e[:3])]

    events = session.scalars(
        sa.select(FollowUpEvent).where(FollowUpEvent.followup_id.in_(item_ids))
        .options(joinedload(FollowUpEvent.author)).order_by(FollowUpEvent.created_at, FollowUpEvent.id))
    for event in events:
        by = event.author.email if event.author is not None else None
        thread = found[event.followup_id]
        if event.kind == EventKind.note:
            thread.notes.append({"body": event.body, "by": by, "at": _iso(event.created_at)})
        else:
            thread.events.append({"kind": event.kind.value, "body": event.body, "by": by,
                                  "at": _iso(event.created_at), "detail": dict(event.detail or {})})
    return found


def item_json(item: FollowUp, viewer, thread: Thread | None = None) -> dict[str, Any]:
    """One item as `viewer` may see it (clients/privacy.py): the client's name always (the question is
    theirs), the account and tier only for those who may see the client, the number masked unless theirs."""
    thread = thread or Thread()
    client = item.client
    sees_client = privacy.may_see_client(viewer, client)
    return {
        "id": item.id,
        "queue": item.queue.value,
        "category": item.category.value,
        "rule": item.rule,
        "priority": item.priority.value,
        "status": item.status.value,
        "client": None if client is None else {
            "account_no": privacy.account_for(viewer, client), "name": client.name,
            "tier": client.tier.value if client.tier is not None and sees_client else None},
        "from": privacy.mobile_for(viewer, client, item.from_number),
        "from_masked": not privacy.may_see_mobile(viewer, client),
        "assignee": item.assignee.email if item.assignee is not None else None,
        "claimed": item.claimed_at is not None,
        "broadcast_id": item.broadcast_id,
        "due_at": _iso(item.due_at),
        "suggest_opt_out": bool(item.suggest_opt_out),
        "created_at": _iso(item.created_at),
        "first_response_at": _iso(item.first_response_at),
        "resolved_at": _iso(item.resolved_at),
        "messages": thread.messages,
        "notes": thread.notes,
        "events": thread.events,
    }


def items_json(session, items: list[FollowUp], viewer) -> list[dict[str, Any]]:
    """Several items with their conversations, read in bulk, as `viewer` may see them."""
    found = threads(session, [item.id for item in items])
    return [item_json(item, viewer, found.get(item.id)) for item in items]


def one_item_json(session, item: FollowUp, viewer) -> dict[str, Any]:
    return items_json(session, [item], viewer)[0]
