"""Client replies (inbound messages) and the follow-up items they open, with their notes and hand-overs.

An inbound message is stored before anything else is done with it; routing fills in the rest, and a
message whose routing failed keeps `routed_at` empty and sits in the triage queue. Replies to clients go
out through the broadcasts' outbox (`OutboundMessage.followup_id`), so the worker, the rate limit and the
delivery states are the same as for broadcasts.
"""
from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core import clock
from core.extensions import db, text_enum
from core.timeutil import UTCDateTime
from followups.classify import Category, Priority


class Queue(str, enum.Enum):
    research = "research"  # the chief analyst's team
    business = "business"  # the client's own business staff, or their branch's pool
    triage = "triage"  # unknown numbers and replies whose routing failed


class Status(str, enum.Enum):
    open = "open"  # the client waits for an answer (due_at is the deadline)
    answered = "answered"  # answered; stays with its assignee until resolved, and opens again when the client writes
    resolved = "resolved"


class FollowUp(db.Model):
    """One conversation with one client (or one unknown number) that someone must answer."""

    __tablename__ = "followups"
    __table_args__ = (sa.Index("ix_followups_status_queue_due", "status", "queue", "due_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    queue: Mapped[Queue] = mapped_column(text_enum(Queue, 10))
    category: Mapped[Category] = mapped_column(text_enum(Category, 20))
    rule: Mapped[str] = mapped_column(sa.String(200))  # what decided the category, shown on the item
    priority: Mapped[Priority] = mapped_column(text_enum(Priority, 6), default=Priority.normal)
    status: Mapped[Status] = mapped_column(text_enum(Status, 10), default=Status.open)
    suggest_opt_out: Mapped[bool] = mapped_column(default=False)
    client_id: Mapped[int | None] = mapped_column(sa.ForeignKey("clients.id"), index=True)
    from_number: Mapped[str] = mapped_column(sa.String(32), index=True)
    # the business pool an unowned client's item waits in; the owner's branch otherwise
    branch: Mapped[str | None] = mapped_column(sa.String(100), index=True)
    assignee_id: Mapped[int | None] = mapped_column(sa.ForeignKey("staff.id"), index=True)
    # set when the assignee took the item (claim, or a deliberate assignment); a round-robin assignment that
    # nobody claimed goes back to the pool when its researcher goes off duty
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    broadcast_id: Mapped[int | None] = mapped_column(sa.ForeignKey("broadcasts.id"), index=True)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    first_response_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    first_responder_id: Mapped[int | None] = mapped_column(sa.ForeignKey("staff.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now, onupdate=clock.now)
    last_inbound_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    client = relationship("Client", lazy="joined")
    assignee = relationship("Staff", foreign_keys=[assignee_id], lazy="joined")
    broadcast = relationship("Broadcast")


class EventKind(str, enum.Enum):
    note = "note"  # internal, never sent to the client
    claim = "claim"
    assign = "assign"
    reroute = "reroute"  # handed to the other side, with a reason
    category = "category"  # a person corrected the category
    resolve = "resolve"
    reopen = "reopen"
    opt_out = "opt_out"
    opt_in = "opt_in"
    auto_reply = "auto_reply"


class FollowUpEvent(db.Model):
    """What people (and the system) did with an item: notes, hand-overs, claims, corrections."""

    __tablename__ = "followup_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    followup_id: Mapped[int] = mapped_column(sa.ForeignKey("followups.id", ondelete="CASCADE"), index=True)
    kind: Mapped[EventKind] = mapped_column(text_enum(EventKind, 12))
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("staff.id"))
    body: Mapped[str | None] = mapped_column(sa.Text)
    detail: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)

    author = relationship("Staff", lazy="joined")


class RuleOverride(db.Model):
    """An admin's keyword and pattern lists for one category; categories without a row use the shipped ones."""

    __tablename__ = "classification_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    category: Mapped[Category] = mapped_column(text_enum(Category, 20), unique=True)
    keywords: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    patterns: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("staff.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now, onupdate=clock.now)


class CannedAnswer(db.Model):
    """A ready answer staff pick when replying. The shipped set is seeded by migration 0008; admins edit and
    retire answers (never delete them), and scope them to a queue (migration 0015): an item's reply box offers
    the answers of its queue and the unscoped ones."""

    __tablename__ = "canned_answers"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(100))
    body: Mapped[str] = mapped_column(sa.Text)
    position: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=True)
    # research or business; None: offered on every queue
    queue: Mapped[Queue | None] = mapped_column(text_enum(Queue, 10))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now, onupdate=clock.now)
