"""The outbox and the inbox, shared by every kind of message (RapidPro's msgs): outbound messages and their
states, inbound messages stored exactly as received, the workers and the shared rate limit.

A message says what it is for (`purpose`) and where it came from (`broadcast_id`, `followup_id`, and the
kinds to come) by the id of its source row; this package never imports the domains that own those rows.
It only ever moves forward (see messaging.states and DESIGN.md).
"""
from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core import clock
from core.extensions import db, text_enum
from core.timeutil import UTCDateTime


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
    test = "test"  # a broadcast's test send to its author's own verified mobile: to no client, counted nowhere


# what may go out during quiet hours: answers to clients who wrote in (broadcasts wait until the hours end)
# and a test send, which its author asked for a moment ago on their own handset
QUIET_HOURS_PURPOSES = frozenset({MessagePurpose.reply, MessagePurpose.service, MessagePurpose.test})
# what goes to a client who opted out: only the confirmations the client asked for
OPTED_OUT_PURPOSES = frozenset({MessagePurpose.service})


class OutboundMessage(db.Model):
    """One recipient of one broadcast, or one answer to a follow-up: the outbox row. It only ever moves
    forward (see DESIGN.md)."""

    __tablename__ = "outbound_messages"
    __table_args__ = (
        sa.UniqueConstraint("broadcast_id", "client_id", name="uq_outbound_messages_broadcast_client"),
        sa.Index("ix_outbound_messages_state_next", "state", "next_attempt_at"),
        # only a test send goes to no client (to its sender's own verified mobile, see messaging.dispatch)
        sa.CheckConstraint("client_id IS NOT NULL OR purpose = 'test'", name="client_or_test"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    broadcast_id: Mapped[int | None] = mapped_column(sa.ForeignKey("broadcasts.id", ondelete="CASCADE"),
                                                     index=True)
    # answers to a client's reply belong to its follow-up instead of a broadcast
    followup_id: Mapped[int | None] = mapped_column(sa.ForeignKey("followups.id"), index=True)
    purpose: Mapped[MessagePurpose] = mapped_column(text_enum(MessagePurpose, 10))  # no default: the sender says
    sent_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("staff.id"))
    client_id: Mapped[int | None] = mapped_column(sa.ForeignKey("clients.id"), index=True)  # None: a test send
    to: Mapped[str] = mapped_column(sa.String(20))  # E.164 at the time of sending
    tier: Mapped[str | None] = mapped_column(sa.String(12))  # the client's tier when the audience was resolved
    body: Mapped[str] = mapped_column(sa.Text)  # the final text: signature, rendered template, opt-out line
    segments: Mapped[int] = mapped_column(default=1)
    state: Mapped[MessageState] = mapped_column(text_enum(MessageState, 12), default=MessageState.pending)
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
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    handed_over_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now, onupdate=clock.now)

    client = relationship("Client")


class WorkerProcess(db.Model):
    """One run of `flask worker`, registered when it starts. Whether it is alive is not read from this row
    but from the PostgreSQL advisory lock it holds while it runs (see messaging.leader); `last_seen_at` is
    for people looking at the table."""

    __tablename__ = "workers"

    id: Mapped[int] = mapped_column(primary_key=True)
    host: Mapped[str] = mapped_column(sa.String(255))
    pid: Mapped[int]
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    stopped_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SendSlot(db.Model):
    """The one row of the rate limit shared by all workers on PostgreSQL: the next free moment to send at
    (see messaging.ratelimit)."""

    __tablename__ = "send_slots"

    id: Mapped[int] = mapped_column(primary_key=True)
    next_slot: Mapped[datetime] = mapped_column(UTCDateTime)


class InboundMessage(db.Model):
    """A client's SMS exactly as the provider gave it. The provider's SID makes a replayed webhook a no-op.
    Stored first; the domain that routes it (follow-ups) fills in client, broadcast, category and item."""

    __tablename__ = "inbound_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    provider_sid: Mapped[str] = mapped_column(sa.String(64), unique=True)
    from_number: Mapped[str] = mapped_column(sa.String(32), index=True)
    to_number: Mapped[str] = mapped_column(sa.String(32))
    body: Mapped[str] = mapped_column(sa.Text)
    num_segments: Mapped[int] = mapped_column(default=1)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    client_id: Mapped[int | None] = mapped_column(sa.ForeignKey("clients.id"), index=True)
    broadcast_id: Mapped[int | None] = mapped_column(sa.ForeignKey("broadcasts.id"))
    followup_id: Mapped[int | None] = mapped_column(sa.ForeignKey("followups.id"), index=True)
    category: Mapped[str | None] = mapped_column(sa.String(20))  # what follow-ups classified it as
    routed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # None: routing has not succeeded
    routing_error: Mapped[str | None] = mapped_column(sa.String(300))
