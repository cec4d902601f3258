"""The quarterly tier rules in clients.tiers, as pure functions: no Flask app, no database.

Unless a test says otherwise, the quarter is 2026Q3, judged on D = 2026-09-30, so "within the year before D"
means on or after 2025-09-30 and "more than a year before D" means 2025-09-29 or earlier.
"""
from __future__ import annotations

import itertools
from datetime import date, timedelta
from decimal import Decimal

import pytest

from clients.tiers import Quarter, Tier, TierDecision, TierInputs, change_kind, decide_tier

D = date(2026, 9, 30)
YEAR_AGO = date(2025, 9, 30)  # the same calendar day one year before D: still "within the year"
DAY_BEFORE_YEAR_AGO = YEAR_AGO - timedelta(days=1)  # 2025-09-29: "more than a year before D"
CENT = Decimal("0.01")

# An account opened this year with no activity: with no equity or commission it is plainly "ordinary",
# so a test that only varies the figures sees the value rules and nothing else.
RECENT_OPENING = date(2026, 2, 1)
OLD_OPENING = date(2020, 1, 1)


def dec(value) -> Decimal:
    return Decimal(str(value))


def inputs(equity=(), commission=(), *, year_end=None, opened_on=RECENT_OPENING, last_trade_on=None,
           last_position_on=None) -> TierInputs:
    return TierInputs(monthly_avg_equity=tuple(dec(v) for v in equity),
                      monthly_commission=tuple(dec(v) for v in commission),
                      last_year_end_equity=None if year_end is None else dec(year_end),
                      opened_on=opened_on, last_trade_on=last_trade_on, last_position_on=last_position_on)


def dormant_inputs(**changes) -> TierInputs:
    """The dormant base case: opened long ago, no position, no trade, year-end equity 0, no figures."""
    values = dict(equity=(), commission=(), year_end="0", opened_on=OLD_OPENING, last_trade_on=None,
                  last_position_on=None)
    values.update(changes)
    equity, commission = values.pop("equity"), values.pop("commission")
    return inputs(equity, commission, **values)


def three(value) -> tuple[Decimal, Decimal, Decimal]:
    """Three equal months, so the average is exactly `value`."""
    return (dec(value),) * 3


def assert_quantised(decision: TierDecision) -> None:
    for amount in (decision.avg_equity, decision.avg_commission):
        assert isinstance(amount, Decimal)
        assert amount.as_tuple().exponent == -2, amount


# ---- thresholds: at, a cent below, a cent above ---------------------------------------------------------

# (threshold tier, threshold, tier a cent below gives, rule a cent below gives)
EQUITY_THRESHOLDS = [
    ("diamond", "10000000", "platinum", "platinum.equity"),
    ("platinum", "5000000", "gold", "gold.equity"),
    ("gold", "1000000", "quality", "quality.equity"),
    ("quality", "500000", "effective", "effective.equity"),
]
COMMISSION_THRESHOLDS = [
    ("diamond", "100000", "platinum", "platinum.commission"),
    ("platinum", "50000", "gold", "gold.commission"),
    ("gold", "10000", "ordinary", "ordinary"),  # there is no commission rule for quality
]


def _threshold_cases(table, kind):
    for tier, threshold, below_tier, below_rule in table:
        t = dec(threshold)
        yield pytest.param(three(t), tier, f"{tier}.{kind}", t, id=f"{kind}-{tier}-at-{threshold}")
        yield pytest.param(three(t - CENT), below_tier, below_rule, t - CENT,
                           id=f"{kind}-{tier}-cent-below-{t - CENT}")
        yield pytest.param(three(t + CENT), tier, f"{tier}.{kind}", t + CENT,
                           id=f"{kind}-{tier}-cent-above-{t + CENT}")


@pytest.mark.parametrize("months, tier, rule, average", list(_threshold_cases(EQUITY_THRESHOLDS, "equity")))
def test_equity_thresholds(months, tier, rule, average):
    decision = decide_tier(inputs(equity=months), D)
    assert (decision.tier, decision.rule) == (Tier(tier), rule)
    assert decision.avg_equity == average
    assert decision.avg_commission == Decimal("0.00")
    assert_quantised(decision)


@pytest.mark.parametrize("months, tier, rule, average",
                         list(_threshold_cases(COMMISSION_THRESHOLDS, "commission")))
def test_commission_thresholds(months, tier, rule, average):
    decision = decide_tier(inputs(commission=months), D)
    assert (decision.tier, decision.rule) == (Tier(tier), rule)
    assert decision.avg_commission == average
    assert decision.avg_equity == Decimal("0.00")
    assert_quantised(decision)


@pytest.mark.parametrize("months, tier, rule", [
    pytest.param(three("1000"), "ordinary", "ordinary", id="E-1000-exactly-not-effective"),
    pytest.param(three("1000.01"), "effective", "effective.equity", id="E-1000.01-effective"),
    pytest.param(three("999.99"), "ordinary", "ordinary", id="E-999.99-not-effective"),
    pytest.param(("3000.00",), "ordinary", "ordinary", id="sum-3000.00-one-month-E-1000-not-effective"),
    pytest.param(("1000", "1000", "1000.01"), "effective", "effective.equity",
                 id="sum-3000.01-E-1000.0033-effective"),
])
def test_effective_equity_threshold(months, tier, rule):
    decision = decide_tier(inputs(equity=months), D)
    assert (decision.tier, decision.rule) == (Tier(tier), rule)


# ---- equity or commission, and the first matching rule wins ---------------------------------------------

@pytest.mark.parametrize("equity, commission, tier, rule", [
    # each alone is enough
    pytest.param("10000000", "0", "diamond", "diamond.equity", id="diamond-by-equity-alone"),
    pytest.param("0", "100000", "diamond", "diamond.commission", id="diamond-by-commission-alone"),
    pytest.param("5000000", "0", "platinum", "platinum.equity", id="platinum-by-equity-alone"),
    pytest.param("0", "50000", "platinum", "platinum.commission", id="platinum-by-commission-alone"),
    pytest.param("1000000", "0", "gold", "gold.equity", id="gold-by-equity-alone"),
    pytest.param("0", "10000", "gold", "gold.commission", id="gold-by-commission-alone"),
    pytest.param("500000", "0", "quality", "quality.equity", id="quality-by-equity-alone"),
    pytest.param("0", "9999.99", "ordinary", "ordinary", id="no-quality-by-commission"),
    # the first matching rule wins
    pytest.param("1000000", "100000", "diamond", "diamond.commission", id="C-diamond-beats-E-gold"),
    pytest.param("5000000", "100000", "diamond", "diamond.commission", id="C-diamond-beats-E-platinum"),
    pytest.param("500000", "100000", "diamond", "diamond.commission", id="C-diamond-beats-E-quality"),
    pytest.param("10000000", "10000", "diamond", "diamond.equity", id="E-diamond-beats-C-gold"),
    pytest.param("10000000", "100000", "diamond", "diamond.equity", id="both-diamond-equity-rule-first"),
    pytest.param("5000000", "50000", "platinum", "platinum.equity", id="both-platinum-equity-rule-first"),
    pytest.param("1000000", "50000", "platinum", "platinum.commission", id="C-platinum-beats-E-gold"),
    pytest.param("500000", "10000", "gold", "gold.commission", id="C-gold-beats-E-quality"),
    pytest.param("2000", "10000", "gold", "gold.commission", id="C-gold-beats-E-effective"),
    pytest.param("9999999.99", "99999.99", "platinum", "platinum.equity", id="both-a-cent-below-diamond"),
])
def test_equity_or_commission_first_match_wins(equity, commission, tier, rule):
    decision = decide_tier(inputs(three(equity), three(commission)), D)
    assert (decision.tier, decision.rule) == (Tier(tier), rule)
    assert decision.avg_equity == dec(equity)
    assert decision.avg_commission == dec(commission)


@pytest.mark.parametrize("changes, tier, rule", [
    pytest.param(dict(equity=three("10000000")), "diamond", "diamond.equity", id="dormant-account-with-diamond-E"),
    pytest.param(dict(commission=three("10000")), "gold", "gold.commission", id="dormant-account-with-gold-C"),
    pytest.param(dict(equity=three("500000")), "quality", "quality.equity", id="dormant-account-with-quality-E"),
    pytest.param(dict(equity=three("1000.01")), "effective", "effective.equity",
                 id="dormant-conditions-but-E-over-1000-effective"),
    pytest.param(dict(equity=three("500000"), last_trade_on=D), "quality", "quality.equity",
                 id="quality-E-beats-effective-trade"),
    pytest.param(dict(equity=three("2000"), last_trade_on=D), "effective", "effective.trade",
                 id="trade-rule-before-equity-rule"),
])
def test_value_rules_come_before_activity_rules(changes, tier, rule):
    decision = decide_tier(dormant_inputs(**changes), D)
    assert (decision.tier, decision.rule) == (Tier(tier), rule)


# ---- averages over three months, missing months count as 0 ----------------------------------------------

@pytest.mark.parametrize("months, tier, rule, average", [
    pytest.param(("15000000", "15000000"), "diamond", "diamond.equity", "10000000.00",
                 id="two-months-15M-one-missing-E-10M-diamond"),
    pytest.param(("30000000",), "diamond", "diamond.equity", "10000000.00",
                 id="one-month-30M-two-missing-E-10M-diamond"),
    pytest.param(("29999999.97",), "platinum", "platinum.equity", "9999999.99",
                 id="one-month-29999999.97-two-missing-a-cent-below-diamond"),
    pytest.param(("10000000", "10000000"), "platinum", "platinum.equity", "6666666.67",
                 id="two-months-10M-one-missing-not-diamond"),
    pytest.param(("10000000",), "gold", "gold.equity", "3333333.33", id="one-month-10M-two-missing-gold"),
    pytest.param(("1500000",), "quality", "quality.equity", "500000.00", id="one-month-1.5M-quality-exactly"),
    pytest.param(("1499999.99",), "effective", "effective.equity", "500000.00",
                 id="one-month-1499999.99-E-499999.9967-not-quality"),
    pytest.param((), "ordinary", "ordinary", "0.00", id="no-months-E-0"),
])
def test_equity_average_with_missing_months(months, tier, rule, average):
    decision = decide_tier(inputs(equity=months), D)
    assert (decision.tier, decision.rule) == (Tier(tier), rule)
    assert str(decision.avg_equity) == average


@pytest.mark.parametrize("months, tier, rule, average", [
    pytest.param(("150000", "150000"), "diamond", "diamond.commission", "100000.00",
                 id="two-months-150k-one-missing-C-100k-diamond"),
    pytest.param(("300000",), "diamond", "diamond.commission", "100000.00",
                 id="one-month-300k-two-missing-C-100k-diamond"),
    pytest.param(("150000", "149999.99"), "platinum", "platinum.commission", "100000.00",
                 id="sum-299999.99-one-missing-not-diamond"),
    pytest.param(("30000",), "gold", "gold.commission", "10000.00", id="one-month-30k-gold-exactly"),
    pytest.param(("29999.99",), "ordinary", "ordinary", "10000.00", id="one-month-29999.99-not-gold"),
])
def test_commission_average_with_missing_months(months, tier, rule, average):
    decision = decide_tier(inputs(commission=months), D)
    assert (decision.tier, decision.rule) == (Tier(tier), rule)
    assert str(decision.avg_commission) == average


def test_more_than_three_months_is_an_error():
    with pytest.raises(ValueError):
        decide_tier(inputs(equity=("1", "1", "1", "1")), D)
    with pytest.raises(ValueError):
        decide_tier(inputs(commission=("1", "1", "1", "1")), D)


# ---- averages that do not divide by 3: decided exactly, then quantised for display ------------------------

# (kind, months, tier, rule, quantised average shown)
UNEVEN = [
    ("equity", ("10000000", "10000000", "9999999.99"), "platinum", "platinum.equity", "10000000.00"),
    ("equity", ("15000000", "14999999.99"), "platinum", "platinum.equity", "10000000.00"),
    ("equity", ("10000000", "10000000", "10000000.00"), "diamond", "diamond.equity", "10000000.00"),
    ("equity", ("10000000", "10000000", "10000000.01"), "diamond", "diamond.equity", "10000000.00"),
    ("equity", ("5000000", "5000000", "4999999.99"), "gold", "gold.equity", "5000000.00"),
    ("equity", ("5000000", "5000000", "5000000.01"), "platinum", "platinum.equity", "5000000.00"),
    ("equity", ("1000000", "1000000", "999999.99"), "quality", "quality.equity", "1000000.00"),
    ("equity", ("1000000", "1000000", "1000000.01"), "gold", "gold.equity", "1000000.00"),
    ("equity", ("500000", "500000", "499999.99"), "effective", "effective.equity", "500000.00"),
    ("equity", ("500000", "500000", "500000.01"), "quality", "quality.equity", "500000.00"),
    ("commission", ("100000", "100000", "99999.99"), "platinum", "platinum.commission", "100000.00"),
    ("commission", ("100000", "100000", "100000.01"), "diamond", "diamond.commission", "100000.00"),
    ("commission", ("50000", "50000", "49999.99"), "gold", "gold.commission", "50000.00"),
    ("commission", ("50000", "50000", "50000.01"), "platinum", "platinum.commission", "50000.00"),
    ("commission", ("10000", "10000", "9999.99"), "ordinary", "ordinary", "10000.00"),
    ("commission", ("10000", "10000", "10000.01"), "gold", "gold.commission", "10000.00"),
]


@pytest.mark.parametrize("kind, months, tier, rule, shown", [
    pytest.param(*case, id=f"{case[0]}-{'+'.join(case[1])}-{case[2]}") for case in UNEVEN])
def test_uneven_averages_decide_exactly(kind, months, tier, rule, shown):
    decision = decide_tier(inputs(**{kind: months}), D)
    assert (decision.tier, decision.rule) == (Tier(tier), rule)
    # the tier comes from the exact sums; the average shown is quantised to the cent and may round onto
    # the threshold (9,999,999.9967 shows as 10,000,000.00) without moving the client across it
    assert str(decision.avg_equity if kind == "equity" else decision.avg_commission) == shown
    assert_quantised(decision)


@pytest.mark.parametrize("months, shown", [
    pytest.param(("10",), "3.33", id="3.333-shown-3.33"),
    pytest.param(("20",), "6.67", id="6.667-shown-6.67"),
    pytest.param(("0.01",), "0.00", id="0.0033-shown-0.00"),
    pytest.param(("0.02",), "0.01", id="0.0067-shown-0.01"),
    pytest.param(("1", "2", "3"), "2.00", id="6-shown-2.00"),
    pytest.param(("100", "200.5"), "100.17", id="300.5-shown-100.17"),
])
def test_averages_are_quantised_to_the_cent(months, shown):
    decision = decide_tier(inputs(equity=months, commission=months), D)
    assert str(decision.avg_equity) == shown
    assert str(decision.avg_commission) == shown
    assert_quantised(decision)


# ---- effective by trade: exactly one year before D counts, a day earlier does not -------------------------

@pytest.mark.parametrize("last_trade_on, opened_on, tier, rule", [
    pytest.param(YEAR_AGO, RECENT_OPENING, "effective", "effective.trade", id="trade-exactly-a-year-before-D"),
    pytest.param(DAY_BEFORE_YEAR_AGO, RECENT_OPENING, "ordinary", "ordinary",
                 id="trade-a-year-and-a-day-before-D"),
    pytest.param(D, RECENT_OPENING, "effective", "effective.trade", id="trade-on-D"),
    pytest.param(date(2026, 1, 15), RECENT_OPENING, "effective", "effective.trade", id="trade-mid-year"),
    pytest.param(D + timedelta(days=5), RECENT_OPENING, "effective", "effective.trade",
                 id="trade-after-D-still-counts"),
    pytest.param(YEAR_AGO, OLD_OPENING, "effective", "effective.trade", id="old-account-trade-a-year-before-D"),
    pytest.param(DAY_BEFORE_YEAR_AGO, OLD_OPENING, "dormant", "dormant",
                 id="old-account-trade-a-year-and-a-day-before-D-dormant"),
    pytest.param(None, RECENT_OPENING, "ordinary", "ordinary", id="never-traded"),
])
def test_effective_by_trade(last_trade_on, opened_on, tier, rule):
    decision = decide_tier(inputs(opened_on=opened_on, last_trade_on=last_trade_on, year_end="0"), D)
    assert (decision.tier, decision.rule) == (Tier(tier), rule)


@pytest.mark.parametrize("quarter_end, year_ago", [
    pytest.param(date(2024, 3, 31), date(2023, 3, 31), id="2024Q1"),
    pytest.param(date(2024, 6, 30), date(2023, 6, 30), id="2024Q2"),
    pytest.param(date(2024, 9, 30), date(2023, 9, 30), id="2024Q3"),
    pytest.param(date(2024, 12, 31), date(2023, 12, 31), id="2024Q4"),
    pytest.param(date(2025, 3, 31), date(2024, 3, 31), id="2025Q1-after-leap-year"),
])
def test_one_year_boundary_for_every_quarter_end(quarter_end, year_ago):
    on_boundary = decide_tier(inputs(last_trade_on=year_ago), quarter_end)
    assert (on_boundary.tier, on_boundary.rule) == (Tier.effective, "effective.trade")
    day_earlier = decide_tier(dormant_inputs(last_trade_on=year_ago - timedelta(days=1)), quarter_end)
    assert (day_earlier.tier, day_earlier.rule) == (Tier.dormant, "dormant")
    opened_on_boundary = decide_tier(dormant_inputs(opened_on=year_ago), quarter_end)
    assert opened_on_boundary.tier is Tier.ordinary


# ---- dormant: all four conditions at once ----------------------------------------------------------------

@pytest.mark.parametrize("changes, tier, rule", [
    pytest.param({}, "dormant", "dormant", id="base-case-dormant"),
    # 1. opened more than a year before D
    pytest.param(dict(opened_on=YEAR_AGO), "ordinary", "ordinary", id="opened-exactly-a-year-before-D"),
    pytest.param(dict(opened_on=DAY_BEFORE_YEAR_AGO), "dormant", "dormant", id="opened-a-year-and-a-day-before-D"),
    pytest.param(dict(opened_on=date(2026, 3, 1)), "ordinary", "ordinary", id="opened-this-year"),
    pytest.param(dict(opened_on=None), "ordinary", "ordinary", id="opened-on-unknown"),
    # 2. no position within the year
    pytest.param(dict(last_position_on=YEAR_AGO), "ordinary", "ordinary", id="position-exactly-a-year-before-D"),
    pytest.param(dict(last_position_on=D), "ordinary", "ordinary", id="position-on-D"),
    pytest.param(dict(last_position_on=D + timedelta(days=3)), "ordinary", "ordinary", id="position-after-D"),
    pytest.param(dict(last_position_on=DAY_BEFORE_YEAR_AGO), "dormant", "dormant",
                 id="position-a-year-and-a-day-before-D"),
    # 3. no trade within the year (a trade makes the client effective)
    pytest.param(dict(last_trade_on=YEAR_AGO), "effective", "effective.trade", id="trade-exactly-a-year-before-D"),
    pytest.param(dict(last_trade_on=DAY_BEFORE_YEAR_AGO), "dormant", "dormant", id="trade-a-year-and-a-day-before-D"),
    # 4. year-end equity <= 1,000
    pytest.param(dict(year_end="1000.01"), "ordinary", "ordinary", id="year-end-equity-1000.01"),
    pytest.param(dict(year_end="1000"), "dormant", "dormant", id="year-end-equity-1000-exactly"),
    pytest.param(dict(year_end="999.99"), "dormant", "dormant", id="year-end-equity-999.99"),
    pytest.param(dict(year_end=None), "dormant", "dormant", id="year-end-equity-none-recorded-counts-as-0"),
    # the quarter's own figures below the effective line do not stop dormancy
    pytest.param(dict(equity=three("1000")), "dormant", "dormant", id="E-1000-exactly-still-dormant"),
    pytest.param(dict(equity=three("1000.01")), "effective", "effective.equity", id="E-1000.01-effective"),
    pytest.param(dict(commission=three("9999.99")), "dormant", "dormant", id="C-below-gold-still-dormant"),
])
def test_dormant(changes, tier, rule):
    decision = decide_tier(dormant_inputs(**changes), D)
    assert (decision.tier, decision.rule) == (Tier(tier), rule)


@pytest.mark.parametrize("year_end, shown", [
    pytest.param(None, Decimal("0"), id="none-recorded-is-0"),
    pytest.param("1000", Decimal("1000"), id="1000"),
    pytest.param("1000.01", Decimal("1000.01"), id="1000.01"),
])
def test_year_end_equity_is_reported(year_end, shown):
    decision = decide_tier(dormant_inputs(year_end=year_end), D)
    assert isinstance(decision.year_end_equity, Decimal)
    assert decision.year_end_equity == shown


def test_decision_carries_the_figures():
    decision = decide_tier(inputs(equity=("1000", "2000", "3000.03"), commission=("5",), year_end="42.5"), D)
    assert decision == TierDecision(Tier.effective, "effective.equity", Decimal("2000.01"), Decimal("1.67"),
                                    Decimal("42.5"))


# ---- change_kind -----------------------------------------------------------------------------------------

# best first; dormant ranks below ordinary
ORDER = [Tier.diamond, Tier.platinum, Tier.gold, Tier.quality, Tier.effective, Tier.ordinary, Tier.dormant]


@pytest.mark.parametrize("previous, new, kind", [
    pytest.param(None, Tier.ordinary, "new", id="none-to-ordinary-new"),
    pytest.param(None, Tier.diamond, "new", id="none-to-diamond-new"),
    pytest.param(None, Tier.dormant, "new", id="none-to-dormant-new"),
    pytest.param(Tier.gold, Tier.diamond, "up", id="gold-to-diamond-up"),
    pytest.param(Tier.diamond, Tier.platinum, "down", id="diamond-to-platinum-down"),
    pytest.param(Tier.quality, Tier.effective, "down", id="quality-to-effective-down"),
    pytest.param(Tier.effective, Tier.quality, "up", id="effective-to-quality-up"),
    pytest.param(Tier.ordinary, Tier.dormant, "down", id="ordinary-to-dormant-down"),
    pytest.param(Tier.dormant, Tier.ordinary, "up", id="dormant-to-ordinary-up"),
    pytest.param(Tier.dormant, Tier.effective, "up", id="dormant-to-effective-up"),
    pytest.param(Tier.effective, Tier.dormant, "down", id="effective-to-dormant-down"),
    pytest.param(Tier.dormant, Tier.dormant, "same", id="dormant-same"),
    pytest.param(Tier.gold, Tier.gold, "same", id="gold-same"),
])
def test_change_kind(previous, new, kind):
    assert change_kind(previous, new) == kind


@pytest.mark.parametrize("previous, new", [
    pytest.param(a, b, id=f"{a.value}-to-{b.value}") for a, b in itertools.product(ORDER, ORDER)])
def test_change_kind_every_pair(previous, new):
    expected = "same" if previous is new else ("up" if ORDER.index(new) < ORDER.index(previous) else "down")
    assert change_kind(previous, new) == expected


def test_every_tier_is_ranked():
    assert set(ORDER) == set(Tier)


# ---- Quarter ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, year, number", [
    pytest.param("2026Q3", 2026, 3, id="2026Q3"),
    pytest.param("2026-q3", 2026, 3, id="2026-q3"),
    pytest.param("2026-Q3", 2026, 3, id="2026-Q3"),
    pytest.param("2026q3", 2026, 3, id="2026q3"),
    pytest.param("2025Q1", 2025, 1, id="2025Q1"),
    pytest.param("2027Q4", 2027, 4, id="2027Q4"),
])
def test_quarter_parse_accepts(text, year, number):
    quarter = Quarter.parse(text)
    assert quarter == Quarter(year, number)
    assert str(quarter) == f"{year}Q{number}"


@pytest.mark.parametrize("text", [
    pytest.param("2026Q5", id="quarter-5"),
    pytest.param("2026Q0", id="quarter-0"),
    pytest.param("26Q1", id="two-digit-year"),
    pytest.param("", id="empty"),
    pytest.param("2026", id="no-quarter"),
    pytest.param("Q3", id="no-year"),
    pytest.param("2026Q", id="no-number"),
    pytest.param("2026Q12", id="two-digit-number"),
    pytest.param("Q3 2026", id="reversed"),
    pytest.param("2026/Q3", id="slash"),
])
def test_quarter_parse_rejects(text):
    with pytest.raises(ValueError):
        Quarter.parse(text)


@pytest.mark.parametrize("number, months, end", [
    pytest.param(1, ("2026-01", "2026-02", "2026-03"), date(2026, 3, 31), id="Q1"),
    pytest.param(2, ("2026-04", "2026-05", "2026-06"), date(2026, 6, 30), id="Q2"),
    pytest.param(3, ("2026-07", "2026-08", "2026-09"), date(2026, 9, 30), id="Q3"),
    pytest.param(4, ("2026-10", "2026-11", "2026-12"), date(2026, 12, 31), id="Q4"),
])
def test_quarter_months_end_and_last_december(number, months, end):
    quarter = Quarter(2026, number)
    assert quarter.months == months
    assert quarter.end == end
    assert quarter.last_december == "2025-12"


def test_quarter_parse_then_properties():
    quarter = Quarter.parse("2024-q1")
    assert quarter.months == ("2024-01", "2024-02", "2024-03")
    assert quarter.end == date(2024, 3, 31)
    assert quarter.last_december == "2023-12"
