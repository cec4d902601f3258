"""Clients (futures customers), their monthly figures, imports and tier reviews."""
from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from clients.appropriateness import InvestorType, RiskTolerance
from clients.tiers import Tier
from core import clock
from core.extensions import db, text_enum
from core.timeutil import UTCDateTime

Money = sa.Numeric(18, 2)
TierType = sa.Enum(Tier, native_enum=False, length=12, validate_strings=True)


class Client(db.Model):
    __tablename__ = "clients"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_no: Mapped[str] = mapped_column(sa.String(32), unique=True)  # 资金账号
    name: Mapped[str] = mapped_column(sa.String(100), index=True)
    mobile: Mapped[str | None] = mapped_column(sa.String(20), index=True)  # E.164, or none on file
    branch: Mapped[str | None] = mapped_column(sa.String(100), index=True)
    owner_id: Mapped[int | None] = mapped_column(sa.ForeignKey("staff.id"), index=True)
    opened_on: Mapped[date | None]
    last_trade_on: Mapped[date | None]
    last_position_on: Mapped[date | None]
    opted_out: Mapped[bool] = mapped_column(default=False)
    opted_out_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    opt_out_source: Mapped[str | None] = mapped_column(sa.String(120))  # how: "sms", "phone call", ...
    # set when the provider refused the number as invalid (21211, 21614); a new number from an import clears it
    mobile_invalid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # the tier of the latest published review, kept here so that filtering 100,000 clients is one index
    tier: Mapped[Tier | None] = mapped_column(TierType, index=True)
    # investor appropriateness (clients/appropriateness.py): 投资者类别, 风险承受能力 and the day of its assessment
    investor_type: Mapped[InvestorType | None] = mapped_column(text_enum(InvestorType, 12))
    risk_tolerance: Mapped[RiskTolerance | None] = mapped_column(text_enum(RiskTolerance, 2))
    risk_assessed_on: Mapped[date | None]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now, onupdate=clock.now)

    owner = relationship("Staff", lazy="joined")


class MonthlyFigure(db.Model):
    __tablename__ = "monthly_figures"
    __table_args__ = (sa.UniqueConstraint("client_id", "month", name="uq_monthly_figures_client_month"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(sa.ForeignKey("clients.id", ondelete="CASCADE"), index=True)
    month: Mapped[str] = mapped_column(sa.String(7), index=True)  # YYYY-MM
    avg_equity: Mapped[Decimal] = mapped_column(Money)  # 月均权益
    commission: Mapped[Decimal] = mapped_column(Money)  # 手续费
    month_end_equity: Mapped[Decimal] = mapped_column(Money)  # 月末权益


class ImportKind(str, enum.Enum):
    clients = "clients"
    monthly = "monthly"


class ImportRun(db.Model):
    """One file imported: its counts and every rejected row, so the report can be read again later."""

    __tablename__ = "import_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[ImportKind] = mapped_column(sa.Enum(ImportKind, native_enum=False, length=10))
    filename: Mapped[str] = mapped_column(sa.String(255))
    staff_id: Mapped[int | None] = mapped_column(sa.ForeignKey("staff.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    created: Mapped[int] = mapped_column(default=0)
    updated: Mapped[int] = mapped_column(default=0)
    unchanged: Mapped[int] = mapped_column(default=0)
    rejected: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON, default=list)

    staff = relationship("Staff")


class ReviewState(str, enum.Enum):
    draft = "draft"
    published = "published"


class TierReview(db.Model):
    __tablename__ = "tier_reviews"

    id: Mapped[int] = mapped_column(primary_key=True)
    quarter: Mapped[str] = mapped_column(sa.String(6), index=True)  # 2026Q3
    state: Mapped[ReviewState] = mapped_column(
        sa.Enum(ReviewState, native_enum=False, length=10), default=ReviewState.draft
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("staff.id"))
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    published_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("staff.id"))

    created_by = relationship("Staff", foreign_keys=[created_by_id])
    published_by = relationship("Staff", foreign_keys=[published_by_id])


class TierAssignment(db.Model):
    """A client's tier in one review, with the figures that decided it and the tier it replaces."""

    __tablename__ = "tier_assignments"
    __table_args__ = (sa.UniqueConstraint("review_id", "client_id", name="uq_tier_assignments_review_client"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(sa.ForeignKey("tier_reviews.id", ondelete="CASCADE"), index=True)
    client_id: Mapped[int] = mapped_column(sa.ForeignKey("clients.id", ondelete="CASCADE"), index=True)
    tier: Mapped[Tier] = mapped_column(TierType)
    previous_tier: Mapped[Tier | None] = mapped_column(TierType)
    change: Mapped[str] = mapped_column(sa.String(10), index=True)  # up, down, new, same
    avg_equity: Mapped[Decimal] = mapped_column(Money)
    avg_commission: Mapped[Decimal] = mapped_column(Money)
    year_end_equity: Mapped[Decimal] = mapped_column(Money)
    reason: Mapped[str] = mapped_column(sa.String(200))

    client = relationship("Client")
