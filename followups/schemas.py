"""The follow-ups' part of the JSON API, declared once: what followups/api.py accepts (checked at the door by
core.schemas) and answers, and the operations core.openapi describes. Limits come from followups.service."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field

from clients.tiers import Tier
from core import openapi
from core.http import MAX_PAGE
from core.schemas import Answer, Query, RequestBody, one_of
from followups.classify import Category, Priority
from followups.models import EventKind, Queue, Status
from followups.queries import ASSIGNEES, STATUSES
from followups.service import MAX_NOTE_CHARS, MAX_REPLY_CHARS
from messaging.models import MessagePurpose, MessageState

MAX_PER_PAGE = 200
QueueName = one_of(Queue)
CategoryName = one_of(Category)
OtherQueue = one_of([Queue.research.value, Queue.business.value])
StatusFilter = one_of(STATUSES)
AssigneeFilter = one_of(ASSIGNEES)
EventName = one_of([k.value for k in EventKind if k != EventKind.note])


# ---- requests ----------------------------------------------------------------------------------------------

class FollowUpQuery(Query):
    queue: QueueName | None = Field(None, description="One queue")  # type: ignore[valid-type]
    status: StatusFilter | None = Field(  # type: ignore[valid-type]
        None, description="open (the default: open or answered), answered, resolved or all")
    assignee: AssigneeFilter | None = Field(None, description="Mine, or the pool's")  # type: ignore[valid-type]
    category: CategoryName | None = Field(None, description="One category")  # type: ignore[valid-type]
    page: int = Field(1, ge=1, le=MAX_PAGE, description="Page number, from 1")
    per_page: int = Field(50, ge=1, le=MAX_PAGE,
                          description=f"Items per page (default 50; more than {MAX_PER_PAGE} is read as {MAX_PER_PAGE})")


class Assign(RequestBody):
    user: str = Field(json_schema_extra={"format": "email"}, description="The staff member's email")


class Reroute(RequestBody):
    queue: OtherQueue  # type: ignore[valid-type]
    reason: str = Field(min_length=1, max_length=MAX_NOTE_CHARS)


class Note(RequestBody):
    body: str = Field(min_length=1, max_length=MAX_NOTE_CHARS)


class Reply(RequestBody):
    body: str = Field(min_length=1, max_length=MAX_REPLY_CHARS)


class CategoryChange(RequestBody):
    category: CategoryName  # type: ignore[valid-type]


# ---- answers ------------------------------------------------------------------------------------------------

class ItemClient(Answer):
    account_no: str = Field(description="Masked (81***123) for those who may not see the client in the book")
    name: str
    tier: one_of(Tier) | None = Field(  # type: ignore[valid-type]
        description="Null also for those who may not see the client in the book")


class MessageIn(Answer):
    direction: one_of(["in"])  # type: ignore[valid-type]
    body: str
    at: datetime | None


class MessageOut(Answer):
    direction: one_of(["out"])  # type: ignore[valid-type]
    body: str
    at: datetime | None
    state: one_of(MessageState)  # type: ignore[valid-type]
    purpose: one_of(MessagePurpose)  # type: ignore[valid-type]


class ItemNote(Answer):
    body: str | None
    by: str | None
    at: datetime | None


class ItemEvent(Answer):
    kind: EventName  # type: ignore[valid-type]
    body: str | None
    by: str | None
    at: datetime | None
    detail: dict[str, Any]


class FollowUp(Answer):
    id: int
    queue: QueueName  # type: ignore[valid-type]
    category: CategoryName  # type: ignore[valid-type]
    rule: str
    priority: one_of(Priority)  # type: ignore[valid-type]
    status: one_of(Status)  # type: ignore[valid-type]
    client: ItemClient | None
    from_: str = Field(alias="from", description="The sender's number: whole for the client's owner and admins, "
                                                 "else masked (177****4397; POST .../mobile shows it, audited)")
    from_masked: bool
    assignee: str | None
    claimed: bool
    broadcast_id: int | None
    due_at: datetime | None
    suggest_opt_out: bool
    created_at: datetime | None
    first_response_at: datetime | None
    resolved_at: datetime | None
    messages: list[MessageIn | MessageOut]
    notes: list[ItemNote]
    events: list[ItemEvent]


class ItemNumber(Answer):
    id: int
    from_: str = Field(alias="from")


class FollowUpPage(Answer):
    items: list[FollowUp]
    total: int
    page: int
    pages: int


# ---- operations ---------------------------------------------------------------------------------------------

def _paths() -> dict:
    op, answer = openapi.operation, openapi.answer
    item_id = openapi.path_id("item_id", "The follow-up's id")
    item = answer(FollowUp, "The follow-up with its whole conversation")

    def act(op_id: str, summary: str, body=None, status: str = "200", method: str = "post") -> dict:
        return {method: op(summary, {status: item}, errors=("400", "403", "404"), op_id=op_id,
                           parameters=[item_id], body=openapi.json_body(body) if body else None)}

    return {
        "/followups": {"get": op(
            "The follow-ups the token's owner may see, nearest deadline first",
            {"200": answer(FollowUpPage, "One page of follow-ups")}, errors=("400", "403"),
            op_id="listFollowUps", parameters=openapi.query_params(FollowUpQuery))},
        "/followups/{item_id}": {"get": op(
            "One follow-up with its whole conversation", {"200": item}, errors=("403", "404"),
            op_id="getFollowUp", parameters=[item_id])},
        "/followups/{item_id}/mobile": {"post": op(
            "Show the sender's whole number (audited: who, which client, when); not cached",
            {"200": answer(ItemNumber, "The number")}, errors=("403", "404"), op_id="showFollowUpNumber",
            parameters=[item_id])},
        "/followups/{item_id}/claim": act("claimFollowUp", "Take the item"),
        "/followups/{item_id}/assign": act("assignFollowUp", "Give the item to a staff member", Assign),
        "/followups/{item_id}/reroute": act("rerouteFollowUp", "Hand the item to the other queue, saying why",
                                            Reroute),
        "/followups/{item_id}/notes": act("noteFollowUp", "Add an internal note (never sent)", Note, "201"),
        "/followups/{item_id}/reply": act("replyFollowUp", "Answer the client by SMS", Reply, "201"),
        "/followups/{item_id}/resolve": act("resolveFollowUp", "Mark the item resolved"),
        "/followups/{item_id}/reopen": act("reopenFollowUp", "Reopen a resolved item"),
        "/followups/{item_id}/category": act("categoriseFollowUp", "Correct the category (which reroutes the item)",
                                             CategoryChange, method="patch"),
    }


openapi.register("followups", _paths(), [FollowUpPage, FollowUp, ItemNumber, Assign, Reroute, Note, Reply, CategoryChange])
