"""Audiences: a saved filter over the client book, and what it resolves to.

An audience never holds an opted-out client, a client with no mobile number, or anyone not in the
client book (it is a query over the book, so it cannot). Dormant clients come only when chosen
explicitly: by the dormant tier, by `include_dormant`, or by account number in `include`. Given a broadcast's
`Fit` (its risk level and the sending day), it never holds a client appropriateness leaves out either
(clients/appropriateness.py, written here as SQL); `excluded` counts those, by tier and reason.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from broadcast.appropriateness import Fit
from clients.appropriateness import Exclusion, InvestorType, RiskLevel, last_expired_day, tolerances_for
from clients.models import Client
from clients.tiers import VIP_TIERS, Tier
from core.errors import N_, Problem
from staff.models import Staff

TIER_CODES = tuple(t.value for t in Tier)
MAX_LISTED_ACCOUNTS = 10_000


class AudienceError(Problem):
    def __init__(self, template: str, field: str, **args: object):
        super().__init__(template, **args)
        self.field = field


@dataclass(frozen=True)
class Audience:
    tiers: tuple[str, ...] = ()
    branches: tuple[str, ...] = ()
    staff_codes: tuple[str, ...] = ()
    include: tuple[str, ...] = ()  # account numbers added whatever the filters say
    exclude: tuple[str, ...] = ()  # account numbers never sent to
    include_dormant: bool = False

    def as_json(self) -> dict[str, Any]:
        return {"tiers": list(self.tiers), "branches": list(self.branches), "staff_codes": list(self.staff_codes),
                "include": list(self.include), "exclude": list(self.exclude),
                "include_dormant": self.include_dormant}

    @property
    def is_empty(self) -> bool:
        return not (self.tiers or self.branches or self.staff_codes or self.include)


def strings(value: Any, name: str) -> tuple[str, ...]:
    """A list of text values as sent: a list, or a form's text split on commas (also full-width) and lines."""
    if value is None:
        return ()
    if isinstance(value, str):
        value = [v for v in value.replace("，", ",").replace("\n", ",").split(",")]
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        raise AudienceError(N_("%(name)s must be a list of text values"), name, name=name)
    out: list[str] = []
    for v in value:
        v = v.strip()
        if v and v not in out:
            out.append(v)
    return tuple(out)


def parse(data: dict[str, Any] | None) -> Audience:
    """An Audience from its JSON form; AudienceError names the field that is wrong. 'vip' means the three VIP tiers."""
    data = data or {}
    if not isinstance(data, dict):
        raise AudienceError(N_("the audience must be an object"), "audience")
    tiers: list[str] = []
    for t in strings(data.get("tiers"), "tiers"):
        expanded = [v.value for v in VIP_TIERS] if t == "vip" else [t]
        for code in expanded:
            if code not in TIER_CODES:
                raise AudienceError(N_("unknown tier %(value)s"), "tiers", value=code)
            if code not in tiers:
                tiers.append(code)
    include = strings(data.get("include"), "include")
    exclude = strings(data.get("exclude"), "exclude")
    if len(include) > MAX_LISTED_ACCOUNTS or len(exclude) > MAX_LISTED_ACCOUNTS:
        raise AudienceError(N_("list at most %(n)s account numbers"), "include", n=MAX_LISTED_ACCOUNTS)
    include_dormant = data.get("include_dormant", False)
    if not isinstance(include_dormant, bool):
        raise AudienceError(N_("include_dormant must be true or false"), "include_dormant")
    return Audience(tiers=tuple(tiers), branches=strings(data.get("branches"), "branches"),
                    staff_codes=strings(data.get("staff_codes"), "staff_codes"), include=include,
                    exclude=exclude, include_dormant=include_dormant)


def recipients_query(audience: Audience, fit: Fit | None = None) -> sa.Select:
    """SELECT of the clients `audience` reaches: matched by every filter given (or listed in `include`),
    never excluded, never opted out, always with a mobile number the provider has not refused as invalid;
    dormant ones only when chosen; with `fit`, only those appropriateness lets receive it."""
    if audience.is_empty:
        return sa.select(Client).where(sa.false())
    matched = []
    if audience.tiers or audience.branches or audience.staff_codes:
        conditions = []
        if audience.tiers:
            conditions.append(Client.tier.in_([Tier(t) for t in audience.tiers]))
        if audience.branches:
            conditions.append(Client.branch.in_(audience.branches))
        if audience.staff_codes:
            conditions.append(Client.owner_id.in_(sa.select(Staff.id).where(Staff.staff_code.in_(audience.staff_codes))))
        by_filter = sa.and_(*conditions)
        if "dormant" not in audience.tiers and not audience.include_dormant:
            by_filter = sa.and_(by_filter, sa.or_(Client.tier.is_(None), Client.tier != Tier.dormant))
        matched.append(by_filter)
    if audience.include:
        matched.append(Client.account_no.in_(audience.include))
    query = sa.select(Client).where(sa.or_(*matched), Client.opted_out.is_(False), Client.mobile.is_not(None),
                                    Client.mobile_invalid_at.is_(None))
    if audience.exclude:
        query = query.where(Client.account_no.not_in(audience.exclude))
    if fit is not None:
        query = query.where(appropriate(Client, fit))
    return query


def appropriate(c, fit: Fit) -> sa.ColumnElement[bool]:
    """clients.appropriateness.exclusion(...) is None, over the columns `c` (Client or a subquery's .c)."""
    if fit.level == RiskLevel.R1:
        return sa.true()
    return sa.or_(c.investor_type == InvestorType.professional,
                  sa.and_(c.risk_tolerance.in_(tolerances_for(fit.level)),
                          c.risk_assessed_on > last_expired_day(fit.day, fit.years)))


def exclusion(c, fit: Fit) -> sa.ColumnElement:
    """clients.appropriateness.exclusion(...) as a CASE over the columns `c`: the reason's value, or NULL."""
    if fit.level == RiskLevel.R1:
        return sa.null()
    professional = sa.and_(c.investor_type.is_not(None), c.investor_type == InvestorType.professional)
    return sa.case(
        (professional, sa.null()),
        (sa.or_(c.risk_tolerance.is_(None), c.risk_assessed_on.is_(None)), Exclusion.no_assessment.value),
        (c.risk_assessed_on <= last_expired_day(fit.day, fit.years), Exclusion.expired.value),
        (c.risk_tolerance.not_in(tolerances_for(fit.level)), Exclusion.too_low.value),
        else_=sa.null())


def excluded(session, audience: Audience, fit: Fit) -> dict[str, dict[str, int]]:
    """Who appropriateness leaves out of the audience, {tier code or 'none': {reason: count}}: only clients
    the audience would otherwise reach, so an opted-out, dormant or invalid-number client is never counted
    here as well."""
    if fit.level == RiskLevel.R1:
        return {}
    sub = recipients_query(audience).subquery()
    reason = exclusion(sub.c, fit)
    rows = session.execute(sa.select(sub.c.tier, reason, sa.func.count()).where(reason.is_not(None))
                           .group_by(sub.c.tier, reason)).all()
    out: dict[str, dict[str, int]] = {}
    for tier, why, n in rows:
        out.setdefault(tier.value if isinstance(tier, Tier) else (tier or "none"), {})[why] = n
    return out


def excluded_summary(by_tier: dict[str, dict[str, int]] | None) -> dict:
    """`excluded`'s counts with their totals: {"total", "by_reason", "by_tier"} (every reason present)."""
    by_tier = by_tier or {}
    by_reason = {r.value: sum(counts.get(r.value, 0) for counts in by_tier.values()) for r in Exclusion}
    return {"total": sum(by_reason.values()), "by_reason": by_reason, "by_tier": by_tier}


def count_by_tier(session, audience: Audience, fit: Fit | None = None) -> dict[str, int]:
    """Recipients per tier code ('none' for clients not yet reviewed), for the live count on the compose page."""
    sub = recipients_query(audience, fit).subquery()
    rows = session.execute(sa.select(sub.c.tier, sa.func.count()).group_by(sub.c.tier)).all()
    return {(tier.value if isinstance(tier, Tier) else (tier or "none")): n for tier, n in rows}
