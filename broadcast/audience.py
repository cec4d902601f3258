"""Audiences: a saved filter over the client book, and what it resolves to.

An audience never holds an opted-out client, a client with no mobile number, or anyone not in the
client book (it is a query over the book, so it cannot). Dormant clients come only when chosen
explicitly: by the dormant tier, by `include_dormant`, or by account number in `include`.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

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


def _strings(value: Any, name: str) -> tuple[str, ...]:
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
    for t in _strings(data.get("tiers"), "tiers"):
        expanded = [v.value for v in VIP_TIERS] if t == "vip" else [t]
        for code in expanded:
            if code not in TIER_CODES:
                raise AudienceError(N_("unknown tier %(value)s"), "tiers", value=code)
            if code not in tiers:
                tiers.append(code)
    include = _strings(data.get("include"), "include")
    exclude = _strings(data.get("exclude"), "exclude")
    if len(include) > MAX_LISTED_ACCOUNTS or len(exclude) > MAX_LISTED_ACCOUNTS:
        raise AudienceError(N_("list at most %(n)s account numbers"), "include", n=MAX_LISTED_ACCOUNTS)
    include_dormant = data.get("include_dormant", False)
    if not isinstance(include_dormant, bool):
        raise AudienceError(N_("include_dormant must be true or false"), "include_dormant")
    return Audience(tiers=tuple(tiers), branches=_strings(data.get("branches"), "branches"),
                    staff_codes=_strings(data.get("staff_codes"), "staff_codes"), include=include,
                    exclude=exclude, include_dormant=include_dormant)


def recipients_query(audience: Audience) -> sa.Select:
    """SELECT of the clients `audience` reaches: matched by every filter given (or listed in `include`),
    never excluded, never opted out, always with a mobile number the provider has not refused as invalid;
    dormant ones only when chosen."""
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
    return query


def count_by_tier(session, audience: Audience) -> dict[str, int]:
    """Recipients per tier code ('none' for clients not yet reviewed), for the live count on the compose page."""
    sub = recipients_query(audience).subquery()
    rows = session.execute(sa.select(sub.c.tier, sa.func.count()).group_by(sub.c.tier)).all()
    return {(tier.value if isinstance(tier, Tier) else (tier or "none")): n for tier, n in rows}
