"""Broadcasts (drafts through approval to sending) and their outbound messages, the outbox."""
from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.extensions import db
from core.timeutil import UTCDateTime, utcnow


class BroadcastKind(str, enum.Enum):
    trade_suggestion = "trade_suggestion"  # 交易建议
    daily_comment = "daily_comment"  # 日评
    weekly_comment = "weekly_comment"  # 周评
    monthly_report = "monthly_report"  # 月报
    seminar_invite = "seminar_invite"  # 报告会邀请
    risk_notice = "risk_notice"  # 风险提示


class BroadcastState(str, enum.Enum):
    draft = "draft"
    submitted = "submitted"
    approved = "approved"
    rejected = "rejected"
    scheduled = "scheduled"
    sending = "sending"
    paused = "paused"
    completed = "completed"
    cancelled = "cancelled"
    missed = "missed"


# states in which the content may be edited; editing a submitted or approved one sends it back to draft
EDITABLE = frozenset({BroadcastState.draft, BroadcastState.rejected, BroadcastState.submitted,
                      BroadcastState.approved})


class Direction(str, enum.Enum):
    long = "long"
    short = "short"


def _enum(cls, length: int):
    return sa.Enum(cls, native_enum=False, length=length, validate_strings=True)


class Broadcast(db.Model):
    __tablename__ = "broadcasts"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[BroadcastKind] = mapped_column(_enum(BroadcastKind, 20))
    title: Mapped[str] = mapped_column(sa.String(200))
    body: Mapped[str] = mapped_column(sa.Text)  # the SMS template, with {placeholders}
    note_markdown: Mapped[str | None] = mapped_column(sa.Text)  # the full research note
    language: Mapped[str] = mapped_column(sa.String(5), default="zh")  # decides the opt-out line
    state: Mapped[BroadcastState] = mapped_column(_enum(BroadcastState, 12), default=BroadcastState.draft,
                                                  index=True)
    # the saved audience filter: {"tiers", "branches", "staff_codes", "include", "exclude", "include_dormant"}
    audience: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)

    # a trade suggestion's structured fields (empty for commentaries)
    contract: Mapped[str | None] = mapped_column(sa.String(12))
    direction: Mapped[Direction | None] = mapped_column(_enum(Direction, 5))
    entry: Mapped[str | None] = mapped_column(sa.String(40))
    stop: Mapped[str | None] = mapped_column(sa.String(20))
    targets: Mapped[list[str] | None] = mapped_column(sa.JSON)
    position_pct: Mapped[Decimal | None] = mapped_column(sa.Numeric(5, 2))
    valid_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    risk_statement: Mapped[str | None] = mapped_column(sa.Text)

    author_id: Mapped[int] = mapped_column(sa.ForeignKey("staff.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("staff.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decision_comment: Mapped[str | None] = mapped_column(sa.Text)
    # sending: when it is to go (None = as soon as scheduled), when it started, when nothing was left
    send_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    scheduled_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("staff.id"))
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    state_reason: Mapped[str | None] = mapped_column(sa.String(200))  # why missed, paused, cancelled
    # a regular commentary repeats, e.g. "trading_days@08:30"; each occurrence is a child broadcast sent to
    # the audience of that day, under the approval of its parent (editing the parent stops the series)
    recurrence: Mapped[str | None] = mapped_column(sa.String(40))
    parent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("broadcasts.id"), index=True)

    author = relationship("Staff", foreign_keys=[author_id])
    decided_by = relationship("Staff", foreign_keys=[decided_by_id])

    @property
    def is_suggestion(self) -> bool:
        return self.kind == BroadcastKind.trade_suggestion


class MessageState(str, enum.Enum):
    pending = "pending"
    handing_over = "handing_over"
    queued = "queued"
    sent = "sent"
    delivered = "delivered"
    undelivered = "undelivered"
    failed = "failed"
    suppressed = "suppressed"
    expired = "expired"
    cancelled = "cancelled"
    unknown = "unknown"


class MessagePurpose(str, enum.Enum):
    broadcast = "broadcast"
    reply = "reply"  # a person's answer to a follow-up; never to a client who opted out
    service = "service"  # an automatic answer the client asked for: opt-out/opt-in confirmation, the service card


class OutboundMessage(db.Model):
    """One recipient of one broadcast, or one answer to a follow-up: the outbox row. It only ever moves
    forward (see DESIGN.md)."""

    __tablename__ = "outbound_messages"
    __table_args__ = (
        sa.UniqueConstraint("broadcast_id", "client_id", name="uq_outbound_messages_broadcast_client"),
        sa.Index("ix_outbound_messages_state_next", "state", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    broadcast_id: Mapped[int | None] = mapped_column(sa.ForeignKey("broadcasts.id", ondelete="CASCADE"),
                                                     index=True)
    # answers to a client's reply belong to its follow-up instead of a broadcast
    followup_id: Mapped[int | None] = mapped_column(sa.ForeignKey("followups.id"), index=True)
    purpose: Mapped[MessagePurpose] = mapped_column(_enum(MessagePurpose, 10), default=MessagePurpose.broadcast)
    sent_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("staff.id"))
    client_id: Mapped[int] = mapped_column(sa.ForeignKey("clients.id"), index=True)
    to: Mapped[str] = mapped_column(sa.String(20))  # E.164 at the time of sending
    tier: Mapped[str | None] = mapped_column(sa.String(12))  # the client's tier when the audience was resolved
    body: Mapped[str] = mapped_column(sa.Text)  # the final text: signature, rendered template, opt-out line
    segments: Mapped[int] = mapped_column(default=1)
    state: Mapped[MessageState] = mapped_column(_enum(MessageState, 12), default=MessageState.pending)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    provider_sid: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    error_code: Mapped[str | None] = mapped_column(sa.String(10))
    error_message: Mapped[str | None] = mapped_column(sa.String(300))
    note_token: Mapped[str | None] = mapped_column(sa.String(32), unique=True)
    note_opens: Mapped[int] = mapped_column(default=0)
    note_first_opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # the worker that last claimed it: a message left handing_over by a worker that died becomes unknown,
    # one held by a live worker is that worker's to finish
    claimed_by: Mapped[int | None] = mapped_column(sa.ForeignKey("workers.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    handed_over_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    broadcast = relationship("Broadcast")
    client = relationship("Client")


class WorkerProcess(db.Model):
    """One run of `flask worker`, registered when it starts. Whether it is alive is not read from this row
    but from the PostgreSQL advisory lock it holds while it runs (see broadcast.leader); `last_seen_at` is
    for people looking at the table."""

    __tablename__ = "workers"

    id: Mapped[int] = mapped_column(primary_key=True)
    host: Mapped[str] = mapped_column(sa.String(255))
    pid: Mapped[int]
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    stopped_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SendSlot(db.Model):
    """The one row of the rate limit shared by all workers on PostgreSQL: the next free moment to send at
    (see broadcast.ratelimit)."""

    __tablename__ = "send_slots"

    id: Mapped[int] = mapped_column(primary_key=True)
    next_slot: Mapped[datetime] = mapped_column(UTCDateTime)
