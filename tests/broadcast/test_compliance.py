"""Compliance before submission: each check fails alone with a message that names what to fix."""
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest

from broadcast.compliance import Draft, Rules, Suggestion, check, profit_promises

NOW = datetime(2026, 11, 25, 1, 0, tzinfo=timezone.utc)
GOOD = Suggestion(contract="rb2510", direction="long", entry="3150-3170", stop="3098", targets=("3260", "3320"),
                  position_pct=Decimal("20"), valid_until=NOW + timedelta(hours=6),
                  risk_statement="期货交易有风险，入市需谨慎。")


def draft(**changes) -> Draft:
    base = Draft(kind="trade_suggestion", title="螺纹钢交易建议", body="{name}您好：rb2510 建议做多。",
                 suggestion=GOOD, segments=2, analyst_qualification="Z0012345")
    return replace(base, **changes)


def fields(problems):
    return [p.field for p in problems]


def test_a_sound_suggestion_passes():
    assert check(draft(), NOW) == []


@pytest.mark.parametrize("change, field, fragment", [
    ({"stop": ""}, "stop", "stop loss"),
    ({"stop": "abc"}, "stop", "not a price"),
    ({"risk_statement": "  "}, "risk_statement", "risk statement"),
    ({"position_pct": Decimal("30.01")}, "position_pct", "over the cap of 30%"),
    ({"position_pct": Decimal("100")}, "position_pct", "full position"),
    ({"position_pct": None}, "position_pct", "share of equity"),
    ({"position_pct": Decimal("0")}, "position_pct", "more than 0%"),
    ({"valid_until": NOW}, "valid_until", "already passed"),
    ({"valid_until": NOW - timedelta(minutes=1)}, "valid_until", "already passed"),
    ({"valid_until": None}, "valid_until", "valid"),
    ({"contract": "螺纹"}, "contract", "contract code"),
    ({"direction": "up"}, "direction", "long or short"),
    ({"entry": ""}, "entry", "entry"),
    ({"targets": ()}, "targets", "at least one target"),
    ({"stop": "3160"}, "stop", "below the entry"),
    ({"targets": ("3165",)}, "targets", "above the entry"),
    ({"direction": "short", "stop": "3180", "targets": ("3200",)}, "targets", "below the entry"),
    ({"direction": "short", "stop": "3100", "targets": ("3000",)}, "stop", "above the entry"),
])
def test_each_suggestion_check_fails_alone(change, field, fragment):
    problems = check(draft(suggestion=replace(GOOD, **change)), NOW)
    assert fields(problems) == [field], [str(p) for p in problems]
    assert fragment in str(problems[0])


def test_position_exactly_at_the_cap_is_allowed_and_the_cap_is_configurable():
    assert check(draft(suggestion=replace(GOOD, position_pct=Decimal("30"))), NOW) == []
    tight = Rules(position_cap_pct=Decimal("10"))
    assert fields(check(draft(), NOW, tight)) == ["position_pct"]


def test_a_short_suggestion_the_right_way_round_passes():
    short = replace(GOOD, direction="short", entry="3150~3170", stop="3210", targets=("3050",))
    assert check(draft(suggestion=short), NOW) == []


@pytest.mark.parametrize("text", ["本策略保证盈利", "稳赚不赔", "只赚不赔哦", "零 风 险", "Guaranteed Profit!", "a RISK-FREE trade"])
def test_promises_of_profit_are_refused_wherever_they_are(text):
    for where in ("title", "body", "note_markdown"):
        problems = check(draft(**{where: text}), NOW)
        assert fields(problems) == ["body"] and "promises a profit" in str(problems[0])


def test_the_phrase_list_is_configurable():
    rules = Rules(profit_phrases=("必涨",))
    assert profit_promises(["明天必涨"], rules.profit_phrases) == ["必涨"]
    assert check(draft(body="保证盈利"), NOW, rules) == []


def test_segment_limit():
    assert check(draft(segments=6), NOW) == []
    problems = check(draft(segments=7), NOW)
    assert fields(problems) == ["body"] and "7 segments" in str(problems[0])
    assert fields(check(draft(segments=7), NOW, Rules(max_segments=8))) == []


def test_commentaries_need_no_suggestion_but_are_checked_for_promises():
    assert check(draft(kind="daily_comment", suggestion=None), NOW) == []
    assert fields(check(draft(kind="daily_comment", suggestion=None, body="稳赚"), NOW)) == ["body"]
    assert fields(check(draft(suggestion=None), NOW)) == ["suggestion"]
    assert fields(check(draft(title=""), NOW)) == ["title"]


@pytest.mark.parametrize("text", ["本建议不保证盈利", "期货交易并非零风险", "this is not risk-free", "投资有风险，没有稳赚的策略"])
def test_disclaimers_are_not_promises(text):
    assert check(draft(body=text), NOW) == []


def test_a_promise_after_a_disclaimer_is_still_caught():
    assert fields(check(draft(body="不保证盈利，但这次保证盈利"), NOW)) == ["body"]


@pytest.mark.parametrize("kind, note, qualification, refused", [
    ("trade_suggestion", "", None, True),
    ("trade_suggestion", "", "  ", True),
    ("trade_suggestion", "", "Z0012345", False),
    ("daily_comment", "## 早评", None, True),
    ("daily_comment", "## 早评", "Z0012345", False),
    ("daily_comment", "", None, False),  # a commentary without a note is no investment advice to sign
])
def test_advice_must_name_a_qualified_analyst(kind, note, qualification, refused):
    problems = check(draft(kind=kind, note_markdown=note, analyst_qualification=qualification,
                           suggestion=GOOD if kind == "trade_suggestion" else None), NOW)
    assert (fields(problems) == ["author"]) is refused, [str(p) for p in problems]
    if refused:
        assert "qualification number" in str(problems[0])
