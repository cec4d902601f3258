"""Quarterly tier reviews: a draft computed for every client, then published (按季核定并公布)."""
from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal

import sqlalchemy as sa

from clients.imports import chunks
from clients.models import Client, MonthlyFigure, ReviewState, TierAssignment, TierReview
from clients.tiers import Quarter, TierInputs, change_kind, decide_tier
from core import audit, clock
from core.errors import N_, ServiceError


class ReviewError(ServiceError):
    """A review request that cannot be carried out."""

    domain = "tier_review"


def create_review(session, quarter_text: str, actor=None, today: date | None = None) -> TierReview:
    """A draft review of `quarter_text` for every client in the book, with changes against the published tier.

    Only a quarter that has ended can be reviewed (`today` is the local date): a review of a quarter still
    running would judge clients on part of their figures, and once published would block the real one.
    """
    try:
        quarter = Quarter.parse(quarter_text)
    except ValueError:
        raise ReviewError(N_("not a quarter: %(value)s; write it as 2026Q3"), field="quarter",
                          code="not_a_quarter", value=quarter_text) from None
    if today is not None and quarter.end >= today:
        raise ReviewError(N_("%(quarter)s has not ended yet; a quarter is reviewed after its last day"),
                          field="quarter", code="quarter_not_ended", quarter=quarter)
    review = TierReview(quarter=str(quarter), state=ReviewState.draft, created_by_id=getattr(actor, "id", None),
                        created_at=clock.now())
    session.add(review)
    session.flush()

    equity: dict[int, list[Decimal]] = defaultdict(list)
    commission: dict[int, list[Decimal]] = defaultdict(list)
    for client_id, avg_equity, comm in session.execute(
        sa.select(MonthlyFigure.client_id, MonthlyFigure.avg_equity, MonthlyFigure.commission)
        .where(MonthlyFigure.month.in_(quarter.months))
    ):
        equity[client_id].append(avg_equity)
        commission[client_id].append(comm)
    year_end = dict(session.execute(
        sa.select(MonthlyFigure.client_id, MonthlyFigure.month_end_equity)
        .where(MonthlyFigure.month == quarter.last_december)
    ).all())

    rows = []
    for c in session.execute(sa.select(Client.id, Client.tier, Client.opened_on, Client.last_trade_on,
                                       Client.last_position_on)):
        decision = decide_tier(TierInputs(
            monthly_avg_equity=tuple(equity.get(c.id, ())),
            monthly_commission=tuple(commission.get(c.id, ())),
            last_year_end_equity=year_end.get(c.id),
            opened_on=c.opened_on, last_trade_on=c.last_trade_on, last_position_on=c.last_position_on,
        ), quarter.end)
        rows.append({
            "review_id": review.id, "client_id": c.id, "tier": decision.tier, "previous_tier": c.tier,
            "change": change_kind(c.tier, decision.tier), "avg_equity": decision.avg_equity,
            "avg_commission": decision.avg_commission, "year_end_equity": decision.year_end_equity,
            "reason": decision.rule,
        })
    for chunk in chunks(rows):
        session.execute(sa.insert(TierAssignment), chunk)
    audit.record(session, "tiers.review", actor=actor, actor_label=None if actor else "cli",
                 obj_type="tier_review", obj_id=review.id, detail={"quarter": str(quarter), "clients": len(rows)})
    return review


def get_review(session, review_id: int) -> TierReview:
    """The review; a 404 refusal when there is none."""
    review = session.get(TierReview, review_id)
    if review is None:
        raise ReviewError(N_("no tier review %(id)s"), status=404, id=review_id)
    return review


def publish_review(session, review_id: int, actor=None) -> TierReview:
    """Publish a draft: its tiers become the clients' current tiers. The review history is kept."""
    # locking every review row (there are a few a year) makes two publications wait for each other, so the
    # checks below see what the other one did (PostgreSQL; SQLite has a single writer anyway)
    session.execute(sa.select(TierReview.id).with_for_update()).all()
    review = session.get(TierReview, review_id, populate_existing=True)
    if review is None:
        raise ReviewError(N_("no tier review %(id)s"), status=404, id=review_id)
    if review.state != ReviewState.draft:
        raise ReviewError(N_("review %(id)s is already published"), status=409, code="published",
                          id=review_id)
    later = publish_blocker(session, review)
    if later is not None:
        raise ReviewError(
            N_("review %(id)s (%(quarter)s) was published after this draft was made; make a new review so that "
               "its changes are measured against the tiers now published"), status=409, code="superseded",
            id=later.id, quarter=later.quarter)
    review.state = ReviewState.published
    review.published_at = clock.now()
    review.published_by_id = getattr(actor, "id", None)
    session.flush()
    chosen = (sa.select(TierAssignment.tier)
              .where(TierAssignment.review_id == review.id, TierAssignment.client_id == Client.id)
              .scalar_subquery())
    session.execute(
        sa.update(Client)
        .where(Client.id.in_(sa.select(TierAssignment.client_id).where(TierAssignment.review_id == review.id)))
        .values(tier=chosen)
        .execution_options(synchronize_session=False))
    audit.record(session, "tiers.publish", actor=actor, actor_label=None if actor else "cli",
                 obj_type="tier_review", obj_id=review.id, detail={"quarter": review.quarter})
    return review


def publish_blocker(session, review: TierReview) -> TierReview | None:
    """The published review that makes this draft unpublishable: one of a later quarter, or one published
    after this draft was made (the draft's changes were measured against tiers no longer current)."""
    if review.state != ReviewState.draft:
        return None
    return session.scalar(
        sa.select(TierReview).where(TierReview.state == ReviewState.published,
                                    sa.or_(TierReview.quarter > review.quarter,
                                           TierReview.published_at > review.created_at))
        .order_by(TierReview.published_at.desc()).limit(1))


def current_review(session) -> TierReview | None:
    """The published review whose tiers are the clients' current ones."""
    return session.scalar(sa.select(TierReview).where(TierReview.state == ReviewState.published)
                          .order_by(TierReview.published_at.desc()).limit(1))


def review_summary(session, review_id: int) -> dict[str, dict[str, int]]:
    """Counts per new tier and per kind of change, for the review page and the CLI."""
    by_tier = dict(session.execute(
        sa.select(TierAssignment.tier, sa.func.count()).where(TierAssignment.review_id == review_id)
        .group_by(TierAssignment.tier)).all())
    by_change = dict(session.execute(
        sa.select(TierAssignment.change, sa.func.count()).where(TierAssignment.review_id == review_id)
        .group_by(TierAssignment.change)).all())
    return {"tiers": {t.value: n for t, n in by_tier.items()}, "changes": by_change}
