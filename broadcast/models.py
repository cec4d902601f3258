"""Broadcasts (drafts through approval to sending) and their outbound messages, the outbox."""
from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from clients.appropriateness import RiskLevel
from core import clock
from core.extensions import db, text_enum
from core.timeutil import UTCDateTime


class BroadcastKind(str, enum.Enum):
    trade_suggestion = "trade_suggestion"  # 交易建议
    daily_comment = "daily_comment"  # 日评
    weekly_comment = "weekly_comment"  # 周评
    monthly_report = "monthly_report"  # 月报
    seminar_invite = "seminar_invite"  # 报告会邀请
    # retired (migration 0011): none can be created; stored ones still display. Account notices come from the
    # risk desk, not from broadcasts
    risk_notice = "risk_notice"  # 风险提示


RETIRED_KINDS = frozenset({BroadcastKind.risk_notice})


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


class Broadcast(db.Model):
    __tablename__ = "broadcasts"
    # a deleted draft's id is never given again (SQLite reuses the highest otherwise; migration 0016)
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[BroadcastKind] = mapped_column(text_enum(BroadcastKind, 20))
    title: Mapped[str] = mapped_column(sa.String(200))
    body: Mapped[str] = mapped_column(sa.Text)  # the SMS template, with {placeholders}
    note_markdown: Mapped[str | None] = mapped_column(sa.Text)  # the full research note
    language: Mapped[str] = mapped_column(sa.String(5), default="zh")  # decides the opt-out line
    state: Mapped[BroadcastState] = mapped_column(text_enum(BroadcastState, 12), default=BroadcastState.draft,
                                                  index=True)
    # the saved audience filter: {"tiers", "branches", "staff_codes", "include", "exclude", "include_dormant"}
    audience: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)

    # a trade suggestion's structured fields (empty for commentaries)
    contract: Mapped[str | None] = mapped_column(sa.String(12))
    direction: Mapped[Direction | None] = mapped_column(text_enum(Direction, 5))
    entry: Mapped[str | None] = mapped_column(sa.String(40))
    stop: Mapped[str | None] = mapped_column(sa.String(20))
    targets: Mapped[list[str] | None] = mapped_column(sa.JSON)
    position_pct: Mapped[Decimal | None] = mapped_column(sa.Numeric(5, 2))
    valid_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    risk_statement: Mapped[str | None] = mapped_column(sa.Text)
    # investor appropriateness: only clients whose tolerance and assessment allow this level receive it
    # (clients/appropriateness.py); never below its kind's default (broadcast/appropriateness.py)
    risk_level: Mapped[RiskLevel] = mapped_column(text_enum(RiskLevel, 2))
    # who appropriateness left out when the audience was snapshotted: {tier or "none": {reason: count}}
    risk_excluded: Mapped[dict[str, dict[str, int]] | None] = mapped_column(sa.JSON)

    author_id: Mapped[int] = mapped_column(sa.ForeignKey("staff.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now, onupdate=clock.now)
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
    # bumped by every change (the mapper's version_id_col: each flush is `UPDATE ... WHERE id = :id AND
    # version = :read`, checked by its row count); a person's action names the version they saw
    # (broadcast/versions.py), and the worker's own conditional UPDATEs bump it too (broadcast/tick.py)
    version: Mapped[int] = mapped_column(sa.Integer, default=1, server_default="1")

    author = relationship("Staff", foreign_keys=[author_id])
    decided_by = relationship("Staff", foreign_keys=[decided_by_id])

    __mapper_args__ = {"version_id_col": version}

    @property
    def is_suggestion(self) -> bool:
        return self.kind == BroadcastKind.trade_suggestion
