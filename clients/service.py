"""Reading the client book, always through what the viewer may see."""
from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from clients.models import Client, MonthlyFigure, ReviewState, TierAssignment, TierReview
from clients.tiers import VIP_TIERS, Tier
from core.roles import can
from staff.models import Staff


class Forbidden(Exception):
    """The viewer may not see this client (403, never a silent empty answer)."""


@dataclass(frozen=True)
class ClientFilter:
    tier: str | None = None  # a tier code, "vip", or "none" (no published tier yet)
    branch: str | None = None
    staff_code: str | None = None
    q: str | None = None  # name, account number or mobile

    def problems(self) -> dict[str, str]:
        errors = {}
        if self.tier and self.tier not in {t.value for t in Tier} | {"vip", "none"}:
            errors["tier"] = f"unknown tier {self.tier!r}"
        return errors


def visible_clients(viewer: Staff) -> sa.Select:
    """SELECT of the clients `viewer` may see: all of them, or only their own for business staff."""
    query = sa.select(Client)
    if can(viewer, "clients.view_all"):
        return query
    if can(viewer, "clients.view_own"):
        return query.where(Client.owner_id == viewer.id)
    raise Forbidden()


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def filtered_clients(viewer: Staff, f: ClientFilter) -> sa.Select:
    query = visible_clients(viewer)
    if f.tier == "vip":
        query = query.where(Client.tier.in_(VIP_TIERS))
    elif f.tier == "none":
        query = query.where(Client.tier.is_(None))
    elif f.tier:
        query = query.where(Client.tier == Tier(f.tier))
    if f.branch:
        query = query.where(Client.branch == f.branch)
    if f.staff_code:
        query = query.where(Client.owner_id.in_(sa.select(Staff.id).where(Staff.staff_code == f.staff_code)))
    if f.q and f.q.strip():
        q = f.q.strip()
        digits = "".join(ch for ch in q if ch.isdigit())
        conditions = [Client.name.like(_like(q), escape="\\"), Client.account_no == q]
        if len(digits) >= 4:
            conditions.append(Client.mobile.like(_like(digits), escape="\\"))
            conditions.append(Client.account_no.like(_like(digits), escape="\\"))
        query = query.where(sa.or_(*conditions))
    return query.order_by(Client.account_no)


def client_for(session, viewer: Staff, account_no: str) -> Client | None:
    """The client, None when there is no such account; Forbidden when it exists but is not the viewer's."""
    client = session.scalar(sa.select(Client).where(Client.account_no == account_no))
    if client is None:
        if not (can(viewer, "clients.view_all") or can(viewer, "clients.view_own")):
            raise Forbidden()
        return None
    if can(viewer, "clients.view_all"):
        return client
    if can(viewer, "clients.view_own") and client.owner_id == viewer.id:
        return client
    raise Forbidden()


def figures_of(session, client: Client) -> list[MonthlyFigure]:
    return list(session.scalars(
        sa.select(MonthlyFigure).where(MonthlyFigure.client_id == client.id).order_by(MonthlyFigure.month.desc())))


def tier_history(session, client: Client) -> list[tuple[TierReview, TierAssignment]]:
    """Published reviews of this client, newest first."""
    return list(session.execute(
        sa.select(TierReview, TierAssignment)
        .join(TierAssignment, TierAssignment.review_id == TierReview.id)
        .where(TierAssignment.client_id == client.id, TierReview.state == ReviewState.published)
        .order_by(TierReview.published_at.desc())).all())


def branches(session) -> list[str]:
    return [b for b in session.scalars(sa.select(Client.branch).where(Client.branch.is_not(None))
                                       .distinct().order_by(Client.branch))]


def client_json(client: Client) -> dict:
    return {
        "account_no": client.account_no,
        "name": client.name,
        "mobile": client.mobile,
        "branch": client.branch,
        "staff_code": client.owner.staff_code if client.owner else None,
        "tier": client.tier.value if client.tier else None,
        "opted_out": bool(client.opted_out),
        "opened_on": client.opened_on.isoformat() if client.opened_on else None,
        "last_trade_on": client.last_trade_on.isoformat() if client.last_trade_on else None,
        "last_position_on": client.last_position_on.isoformat() if client.last_position_on else None,
    }
