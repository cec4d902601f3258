"""The department's quarterly tier rules (按季核定), as plain functions with no Flask import.

With E = the average of the quarter's three monthly average equities and C = the average of its three
monthly commissions (a month with no figures counts as 0), judged on the quarter's last day D, the first
matching rule wins. Amounts are Decimal and compared exactly: E >= T is decided as 3E >= 3T on the sums,
so no rounding of the average can move a client across a boundary.

"Within the year before D" means on or after the same calendar day one year earlier; "more than a year
before D" is its complement (strictly earlier). A date after D (data exported after the quarter closed)
still counts as activity, since the client was evidently not dormant.
"""
from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from core.timeutil import one_year_before


class Tier(str, enum.Enum):
    diamond = "diamond"
    platinum = "platinum"
    gold = "gold"
    quality = "quality"
    effective = "effective"
    dormant = "dormant"
    ordinary = "ordinary"


VIP_TIERS = (Tier.diamond, Tier.platinum, Tier.gold)
# higher rank = better service; used to call a change an upgrade or a downgrade
RANK = {Tier.diamond: 6, Tier.platinum: 5, Tier.gold: 4, Tier.quality: 3, Tier.effective: 2,
        Tier.ordinary: 1, Tier.dormant: 0}

# (tier, equity threshold E >= x, commission threshold C >= y or None)
_VALUE_RULES = (
    (Tier.diamond, Decimal("10000000"), Decimal("100000")),
    (Tier.platinum, Decimal("5000000"), Decimal("50000")),
    (Tier.gold, Decimal("1000000"), Decimal("10000")),
    (Tier.quality, Decimal("500000"), None),
)
EFFECTIVE_EQUITY = Decimal("1000")  # E > 1,000
DORMANT_YEAR_END_EQUITY = Decimal("1000")  # year-end equity <= 1,000

ZERO = Decimal("0")


@dataclass(frozen=True)
class TierInputs:
    """What the rules look at for one client. The three monthly lists hold what was recorded (0 to 3 values)."""

    monthly_avg_equity: tuple[Decimal, ...]
    monthly_commission: tuple[Decimal, ...]
    last_year_end_equity: Decimal | None
    opened_on: date | None
    last_trade_on: date | None
    last_position_on: date | None


@dataclass(frozen=True)
class TierDecision:
    tier: Tier
    rule: str  # which condition decided it, e.g. "diamond.equity"; shown to staff
    avg_equity: Decimal
    avg_commission: Decimal
    year_end_equity: Decimal


def _sum3(values: tuple[Decimal, ...]) -> Decimal:
    if len(values) > 3:
        raise ValueError("a quarter has three months")
    return sum(values, ZERO)


def decide_tier(inputs: TierInputs, quarter_end: date) -> TierDecision:
    """The tier the rules give `inputs` on `quarter_end`, and the rule that gave it."""
    eq_sum = _sum3(inputs.monthly_avg_equity)
    com_sum = _sum3(inputs.monthly_commission)
    year_end = inputs.last_year_end_equity if inputs.last_year_end_equity is not None else ZERO
    avg_e = (eq_sum / 3).quantize(Decimal("0.01"))
    avg_c = (com_sum / 3).quantize(Decimal("0.01"))

    def decision(tier: Tier, rule: str) -> TierDecision:
        return TierDecision(tier, rule, avg_e, avg_c, year_end)

    for tier, equity_min, commission_min in _VALUE_RULES:
        if eq_sum >= 3 * equity_min:
            return decision(tier, f"{tier.value}.equity")
        if commission_min is not None and com_sum >= 3 * commission_min:
            return decision(tier, f"{tier.value}.commission")

    year_ago = one_year_before(quarter_end)

    def active_since(day: date | None) -> bool:
        return day is not None and day >= year_ago

    if active_since(inputs.last_trade_on):
        return decision(Tier.effective, "effective.trade")
    if eq_sum > 3 * EFFECTIVE_EQUITY:
        return decision(Tier.effective, "effective.equity")

    if (inputs.opened_on is not None and inputs.opened_on < year_ago
            and not active_since(inputs.last_position_on)
            and not active_since(inputs.last_trade_on)
            and year_end <= DORMANT_YEAR_END_EQUITY):
        return decision(Tier.dormant, "dormant")
    return decision(Tier.ordinary, "ordinary")


def change_kind(previous: Tier | None, new: Tier) -> str:
    """'new' (no published tier before), 'up', 'down' or 'same'."""
    if previous is None:
        return "new"
    if RANK[new] > RANK[previous]:
        return "up"
    if RANK[new] < RANK[previous]:
        return "down"
    return "same"


# 2026Q3, also 2026-Q3 and 2026q3 (the API's schema checks the same pattern)
_QUARTER = re.compile(r"^\s*(\d{4})\s*-?\s*[Qq]([1-4])\s*$")


@dataclass(frozen=True)
class Quarter:
    year: int
    number: int

    @classmethod
    def parse(cls, text: str) -> Quarter:
        """'2026Q3' (also '2026-Q3', '2026q3'); ValueError with a clear message otherwise."""
        match = _QUARTER.match(text or "")
        if not match:
            raise ValueError(f"not a quarter: {text!r}; write it as 2026Q3")
        year = int(match.group(1))
        if not 1990 <= year <= 2100:
            raise ValueError(f"quarter year out of range: {year}")
        return cls(year, int(match.group(2)))

    def __str__(self) -> str:
        return f"{self.year}Q{self.number}"

    @property
    def months(self) -> tuple[str, str, str]:
        first = 3 * (self.number - 1) + 1
        return tuple(f"{self.year}-{m:02d}" for m in range(first, first + 3))  # type: ignore[return-value]

    @property
    def end(self) -> date:
        return {1: date(self.year, 3, 31), 2: date(self.year, 6, 30),
                3: date(self.year, 9, 30), 4: date(self.year, 12, 31)}[self.number]

    @property
    def last_december(self) -> str:
        """The month whose month-end equity is "equity at the end of the last calendar year"."""
        return f"{self.year - 1}-12"
