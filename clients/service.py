"""Reading the client book, always through what the viewer may see."""
from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from clients import privacy
from clients.appropriateness import INVESTOR_TYPE_NAMES, TOLERANCE_NAMES
from clients.models import Client, MonthlyFigure, ReviewState, TierAssignment, TierReview
from clients.tiers import VIP_TIERS, Tier
from core import audit, clock
from core.errors import N_, ServiceError
from core.roles import can
from staff.models import Staff


class Forbidden(ServiceError):
    """The viewer may not see this client (403, never a silent empty answer)."""

    domain, status = "client", 403

    def __init__(self, template: str = N_("this client belongs to another staff member"),
                 field: str | None = None):
        super().__init__(template, field=field, code="not_yours")


class NoClient(ServiceError):
    domain, status = "client", 404

    def __init__(self, account_no: str, *, own_only: bool = False):
        # to someone who sees only their own clients, another's client and no client are told alike, so that
        # the answer never says which account numbers exist
        super().__init__(N_("you have no client with account number %(account_no)s") if own_only
                         else N_("there is no client with account number %(account_no)s"), account_no=account_no)


@dataclass(frozen=True)
class ClientFilter:
    tier: str | None = None  # a tier code, "vip", or "none" (no published tier yet)
    branch: str | None = None
    staff_code: str | None = None
    q: str | None = None  # name, account number, or mobile (only for those who see the numbers)

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
    """The viewer's clients that match `f`. Forbidden when someone who sees only their own clients asks
    for another staff member's or another branch's (403, rather than an empty list that looks like none)."""
    query = visible_clients(viewer)
    if not can(viewer, "clients.view_all"):
        mine = N_("you see only your own clients; this filter asks for someone else's")
        if f.staff_code and f.staff_code != viewer.staff_code:
            raise Forbidden(mine, "staff_code")
        if f.branch and f.branch != viewer.branch:
            raise Forbidden(mine, "branch")
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
        conditions = [Client.name.ilike(_like(q), escape="\\"), Client.account_no == q]
        if len(digits) >= 4:
            # by mobile only for those who see the numbers unmasked: a search is otherwise an oracle that
            # tells the masked digits one guess at a time
            if can(viewer, "clients.mobile") or not can(viewer, "clients.view_all"):
                conditions.append(Client.mobile.like(_like(digits), escape="\\"))
            conditions.append(Client.account_no.like(_like(digits), escape="\\"))
        query = query.where(sa.or_(*conditions))
    return query.order_by(Client.account_no)


def client_for(session, viewer: Staff, account_no: str) -> Client | None:
    """The client if `viewer` may see it, None when there is none or it is another staff member's (alike, so
    that business staff cannot tell which accounts exist); Forbidden when the viewer sees no client at all."""
    if not (can(viewer, "clients.view_all") or can(viewer, "clients.view_own")):
        raise Forbidden()
    client = session.scalar(sa.select(Client).where(Client.account_no == account_no))
    return client if privacy.may_see_client(viewer, client) else None


def visible_client(session, viewer: Staff, account_no: str) -> Client:
    """The client if `viewer` may see it; NoClient (404) when there is none, and the same 404 with the same
    words, to someone who sees only their own clients, when it is another's."""
    client = client_for(session, viewer, account_no)
    if client is None:
        raise NoClient(account_no, own_only=not privacy.may_see_book(viewer))
    return client


def reveal_mobile(session, viewer: Staff, client: Client, via: str | None = None) -> str | None:
    """The client's whole mobile number for someone who may see the client (the "show" action), audited:
    who, which client, when, and from where (`via`, e.g. a follow-up)."""
    if not privacy.may_reveal_mobile(viewer, client):
        raise Forbidden(N_("your role does not show clients' mobile numbers"))
    audit.record(session, "client.mobile_shown", actor=viewer, obj_type="client", obj_id=client.account_no,
                 detail={"via": via} if via else None)
    session.flush()
    return client.mobile


MAX_HOW = 120  # characters of the note on how the client asked


class ConsentError(ServiceError):
    domain = "client"

    def __init__(self, template: str, **args: object):
        super().__init__(template, field="how", **args)


def record_consent(session, client: Client, opted_out: bool, how: str, actor=None) -> bool:
    """Set the client's consent, saying when and how it was given; False when it was already so.

    The caller has checked that `actor` may see the client. Audited, since consent is what lets a
    broadcast reach a client.
    """
    how = (how or "").strip()
    if not how:
        raise ConsentError(N_("say how the client asked (e.g. by phone, in writing)"))
    if len(how) > MAX_HOW:
        raise ConsentError(N_("keep the note on how the client asked under 120 characters"))
    if client.opted_out == opted_out:
        return False
    client.opted_out = opted_out
    client.opted_out_at = clock.now() if opted_out else None
    client.opt_out_source = how if opted_out else None
    audit.record(session, "client.opt_out" if opted_out else "client.opt_in", actor=actor, obj_type="client",
                 obj_id=client.account_no, detail={"how": how})
    session.flush()
    return True


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


def client_json(client: Client, viewer: Staff) -> dict:
    """The client as `viewer` may see it: the mobile masked unless privacy.may_see_mobile."""
    return {
        "account_no": client.account_no,
        "name": client.name,
        "mobile": privacy.mobile_for(viewer, client),
        "mobile_masked": client.mobile is not None and not privacy.may_see_mobile(viewer, client),
        "branch": client.branch,
        "staff_code": client.owner.staff_code if client.owner else None,
        "tier": client.tier.value if client.tier else None,
        "opted_out": bool(client.opted_out),
        "opened_on": client.opened_on.isoformat() if client.opened_on else None,
        "last_trade_on": client.last_trade_on.isoformat() if client.last_trade_on else None,
        "last_position_on": client.last_position_on.isoformat() if client.last_position_on else None,
        **appropriateness_json(client),
    }


def appropriateness_json(client: Client) -> dict:
    """投资者类别 and 风险承受能力 with the names the regulation gives them, and the assessment's date."""
    kind, tolerance = client.investor_type, client.risk_tolerance
    return {
        "investor_type": kind.value if kind else None,
        "investor_type_name": INVESTOR_TYPE_NAMES[kind] if kind else None,
        "risk_tolerance": tolerance.value if tolerance else None,
        "risk_tolerance_name": TOLERANCE_NAMES[tolerance] if tolerance else None,
        "risk_assessed_on": client.risk_assessed_on.isoformat() if client.risk_assessed_on else None,
    }
