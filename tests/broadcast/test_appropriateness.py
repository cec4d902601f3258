"""Investor appropriateness (适当性管理): the rule as a table of cases, and the same rule in SQL (the
broadcast side, from the risk level to sending, is in test_risk_levels.py)."""
from __future__ import annotations

from datetime import date, timedelta
from itertools import product

import pytest

from broadcast import audience as audiences
from broadcast.appropriateness import Fit
from clients.appropriateness import (
    INVESTOR_TYPE_NAMES,
    LEVEL_NAMES,
    TOLERANCE_NAMES,
    Exclusion,
    InvestorType,
    RiskLevel,
    RiskTolerance,
    exclusion,
    expires_on,
    may_receive,
    read_investor_type,
    read_tolerance,
)
from clients.tiers import Tier
from core.extensions import db
from tests.broadcast.helpers import T0

ORDINARY, PROFESSIONAL = InvestorType.ordinary, InvestorType.professional
DAY = date(2026, 11, 25)  # T0's day in Shanghai
RECENT = date(2026, 6, 1)


# ---- the rule: a table of cases ----------------------------------------------------------------------------

@pytest.mark.parametrize(("n", "m"), list(product(range(1, 6), range(1, 6))))
def test_an_ordinary_investor_receives_a_level_only_up_to_their_tolerance(n, m):
    tolerance, level = RiskTolerance(f"C{n}"), RiskLevel(f"R{m}")
    assert may_receive(ORDINARY, tolerance, RECENT, level, DAY) is (n >= m)
    assert exclusion(ORDINARY, tolerance, RECENT, level, DAY) == (None if n >= m else Exclusion.too_low)


@pytest.mark.parametrize(("name", "code"), [("保守型", "C1"), ("谨慎型", "C2"), ("稳健型", "C3"), ("积极型", "C4"),
                                            ("激进型", "C5")])
def test_the_chinese_names_of_the_tolerances(name, code):
    assert read_tolerance(name) == RiskTolerance(code)
    assert TOLERANCE_NAMES[RiskTolerance(code)] == name


@pytest.mark.parametrize(("code", "name"), [("R1", "低风险"), ("R2", "中低风险"), ("R3", "中风险"), ("R4", "中高风险"),
                                            ("R5", "高风险")])
def test_the_chinese_names_of_the_levels(code, name):
    assert LEVEL_NAMES[RiskLevel(code)] == name


@pytest.mark.parametrize(("text", "expected"), [
    ("C3", RiskTolerance.C3), ("c3", RiskTolerance.C3), (" C5 ", RiskTolerance.C5), ("Ｃ３", RiskTolerance.C3),
    ("ｃ１", RiskTolerance.C1), ("稳健型", RiskTolerance.C3),
])
def test_tolerances_are_read_in_any_case_and_full_width(text, expected):
    assert read_tolerance(text) == expected


@pytest.mark.parametrize("text", ["C0", "C6", "R3", "3", "稳健", "中风险", "C3稳健型x", ""])
def test_anything_else_is_no_tolerance(text):
    with pytest.raises(ValueError):
        read_tolerance(text)


@pytest.mark.parametrize(("text", "expected"), [
    ("普通", ORDINARY), ("普通投资者", ORDINARY), ("ordinary", ORDINARY), ("ORDINARY", ORDINARY),
    ("专业", PROFESSIONAL), ("专业投资者", PROFESSIONAL), ("Professional", PROFESSIONAL), ("ｐｒｏｆｅｓｓｉｏｎａｌ", PROFESSIONAL),
])
def test_investor_types_in_chinese_and_english(text, expected):
    assert read_investor_type(text) == expected
    assert INVESTOR_TYPE_NAMES[expected] in ("普通投资者", "专业投资者")


ASSESSED = date(2023, 11, 25)  # three years before DAY


@pytest.mark.parametrize(("day", "valid"), [
    (date(2026, 11, 24), True),   # the day before the 3-year mark
    (date(2026, 11, 25), False),  # the mark itself: three years old is no longer younger than three years
    (date(2026, 11, 26), False),  # the day after
])
def test_an_assessment_holds_for_three_years_to_the_day(day, valid):
    assert may_receive(ORDINARY, RiskTolerance.C5, ASSESSED, RiskLevel.R2, day) is valid
    assert exclusion(ORDINARY, RiskTolerance.C5, ASSESSED, RiskLevel.R2, day) == (None if valid else Exclusion.expired)


@pytest.mark.parametrize(("day", "valid"), [(date(2027, 2, 28), True), (date(2027, 3, 1), False)])
def test_an_assessment_of_29_february_expires_on_1_march(day, valid):
    assert expires_on(date(2024, 2, 29), 3) == date(2027, 3, 1)
    assert may_receive(ORDINARY, RiskTolerance.C3, date(2024, 2, 29), RiskLevel.R3, day) is valid


def test_the_years_are_a_setting():
    assert may_receive(ORDINARY, RiskTolerance.C3, date(2025, 11, 26), RiskLevel.R3, DAY, years=1)
    assert not may_receive(ORDINARY, RiskTolerance.C3, date(2025, 11, 25), RiskLevel.R3, DAY, years=1)


def test_an_expired_assessment_is_named_before_a_low_tolerance():
    assert exclusion(ORDINARY, RiskTolerance.C1, ASSESSED, RiskLevel.R4, DAY) == Exclusion.expired


@pytest.mark.parametrize(("tolerance", "assessed_on"), [(None, None), (RiskTolerance.C1, ASSESSED),
                                                         (None, RECENT), (RiskTolerance.C5, None)])
@pytest.mark.parametrize("m", range(1, 6))
def test_professional_investors_receive_every_level_whatever_their_assessment(tolerance, assessed_on, m):
    assert may_receive(PROFESSIONAL, tolerance, assessed_on, RiskLevel(f"R{m}"), DAY)


@pytest.mark.parametrize("investor_type", [ORDINARY, None])
@pytest.mark.parametrize(("tolerance", "assessed_on"), [(None, None), (RiskTolerance.C5, None), (None, RECENT)])
@pytest.mark.parametrize("m", range(1, 6))
def test_without_an_assessment_nothing_above_r1(investor_type, tolerance, assessed_on, m):
    expected = None if m == 1 else Exclusion.no_assessment
    assert exclusion(investor_type, tolerance, assessed_on, RiskLevel(f"R{m}"), DAY) == expected


def test_r1_reaches_everyone_even_with_an_expired_assessment():
    assert may_receive(ORDINARY, RiskTolerance.C1, ASSESSED, RiskLevel.R1, date(2040, 1, 1))


def test_an_assessment_dated_after_the_sending_day_has_not_expired():
    assert may_receive(ORDINARY, RiskTolerance.C3, DAY + timedelta(days=2), RiskLevel.R3, DAY)


# ---- the same rule in SQL -------------------------------------------------------------------------------------

# every kind of client the rule tells apart: (investor type, tolerance, assessment date)
PEOPLE = [(kind, tolerance, assessed_on)
          for kind in (ORDINARY, PROFESSIONAL, None)
          for tolerance in (None, *RiskTolerance)
          for assessed_on in (None, ASSESSED, ASSESSED + timedelta(days=1), RECENT, DAY + timedelta(days=3))]


def test_the_audience_query_and_its_counts_agree_with_the_rule_for_every_case(app, make_client):
    made = {}
    for i, (kind, tolerance, assessed_on) in enumerate(PEOPLE, start=1):
        c = make_client(f"7{i:04d}", mobile=f"+86137{i:08d}", tier=Tier.gold, investor_type=kind,
                        risk_tolerance=tolerance, risk_assessed_on=assessed_on)
        made[c.id] = (kind, tolerance, assessed_on)
    audience = audiences.parse({"tiers": ["gold"]})
    for level in RiskLevel:
        fit = Fit(level, DAY, 3)
        reached = set(db.session.scalars(audiences.recipients_query(audience, fit).with_only_columns(
            audiences.Client.id)))
        expected = {cid for cid, person in made.items() if may_receive(*person, level, DAY)}
        assert reached == expected, level
        reasons: dict[str, int] = {}
        for person in made.values():
            why = exclusion(*person, level, DAY)
            if why is not None:
                reasons[why.value] = reasons.get(why.value, 0) + 1
        assert audiences.excluded(db.session, audience, fit) == ({"gold": reasons} if reasons else {}), level
        assert len(reached) + sum(reasons.values()) == len(PEOPLE)


def test_exclusions_never_count_who_was_already_left_out(app, make_client):
    """An opted-out, dormant or refused-number client is left out for that reason, not counted again."""
    old = {"investor_type": ORDINARY, "risk_tolerance": RiskTolerance.C1, "risk_assessed_on": ASSESSED}
    make_client("1", tier=Tier.gold, **old)  # excluded by appropriateness
    make_client("2", tier=Tier.gold, opted_out=True, **old)
    make_client("3", tier=Tier.dormant, **old)
    make_client("4", tier=Tier.gold, mobile_invalid_at=T0, **old)
    make_client("5", tier=Tier.gold, mobile=None, **old)
    make_client("6", tier=Tier.gold)  # receives
    make_client("7", tier=None, risk_tolerance=None, risk_assessed_on=None)
    fit = Fit(RiskLevel.R3, DAY, 3)
    audience = audiences.parse({"tiers": ["gold"], "include": ["7"]})
    assert audiences.excluded(db.session, audience, fit) == {"gold": {"expired": 1}, "none": {"no_assessment": 1}}
    assert audiences.count_by_tier(db.session, audience, fit) == {"gold": 1}
    assert audiences.excluded_summary(audiences.excluded(db.session, audience, fit)) == {
        "total": 2, "by_reason": {"too_low": 0, "expired": 1, "no_assessment": 1},
        "by_tier": {"gold": {"expired": 1}, "none": {"no_assessment": 1}}}
