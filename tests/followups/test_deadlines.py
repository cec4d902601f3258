"""First-response deadlines in service time: exact datetimes, Asia/Shanghai unless said otherwise.

The calendar used: 2026-03-04 is a Wednesday, 2026-03-06 a Friday, 2026-03-09 a Monday.
"""
from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from core.calendar import ServiceHours, parse_service_hours
from core.errors import Problem
from core.service_levels import Targets, parse_targets
from followups.deadlines import add_service_time, due_at, service_time_between, target_for, urgency

SH = ZoneInfo("Asia/Shanghai")
HOURS = ServiceHours(time(8, 30), time(21, 0))
TARGETS = Targets()


def at(day: int, hour: int, minute: int = 0, month: int = 3, tz: ZoneInfo = SH) -> datetime:
    """A local wall-clock time in 2026, as the aware UTC datetime the functions take and give."""
    return datetime(2026, month, day, hour, minute, tzinfo=tz).astimezone(UTC)


def add(start: datetime, minutes: int, hours: ServiceHours = HOURS) -> datetime:
    result = add_service_time(start, timedelta(minutes=minutes), hours, SH)
    assert result.tzinfo is UTC
    return result


# --- targets by tier and priority ---------------------------------------------------------------------

@pytest.mark.parametrize(("tier", "high", "expected"), [
    ("diamond", False, at(4, 10, 15)),
    ("platinum", False, at(4, 10, 30)),
    ("gold", False, at(4, 10, 30)),
    ("quality", False, at(4, 12, 0)),
    ("ordinary", False, at(4, 12, 0)),
    (None, False, at(4, 12, 0)),
    ("no-such-tier", False, at(4, 12, 0)),
    ("ordinary", True, at(4, 10, 15)),
    (None, True, at(4, 10, 15)),
    ("gold", True, at(4, 10, 15)),
])
def test_due_at_follows_tier_and_priority(tier, high, expected):
    due = due_at(at(4, 10), high_priority=high, tier=tier, targets=TARGETS, hours=HOURS, tz=SH)
    assert due == expected
    assert due.tzinfo is UTC


def test_target_for_takes_the_shortest_that_applies():
    targets = Targets(diamond=timedelta(minutes=20), complaint=timedelta(minutes=5),
                      vip=timedelta(minutes=40), other=timedelta(minutes=90))
    assert target_for(targets, high_priority=True, tier="diamond") == timedelta(minutes=5)
    assert target_for(targets, high_priority=False, tier="diamond") == timedelta(minutes=20)
    assert target_for(targets, high_priority=False, tier="platinum") == timedelta(minutes=40)
    # a misconfigured 'other' shorter than vip still applies to a VIP: never slower than anyone else
    odd = Targets(vip=timedelta(hours=3), other=timedelta(hours=1))
    assert target_for(odd, high_priority=False, tier="gold") == timedelta(hours=1)


# --- counting only service hours ----------------------------------------------------------------------

def test_friday_evening_carries_over_the_weekend():
    assert add(at(6, 20, 50), 30) == at(9, 8, 50)


def test_before_opening_starts_at_opening():
    assert add(at(4, 7, 0), 30) == at(4, 9, 0)


def test_after_closing_starts_at_next_opening():
    assert add(at(4, 22, 0), 15) == at(5, 8, 45)
    assert add(at(5, 0, 10), 15) == at(5, 8, 45)  # after midnight local, the same morning


def test_saturday_starts_monday_opening():
    assert add(at(7, 11, 0), 30) == at(9, 9, 0)


def test_holiday_monday_moves_to_tuesday():
    hours = ServiceHours(time(8, 30), time(21, 0), frozenset({date(2026, 3, 9)}))
    assert add(at(6, 20, 50), 30, hours) == at(10, 8, 50)
    assert add(at(7, 11, 0), 30, hours) == at(10, 9, 0)


def test_two_hours_cross_several_closings():
    short = ServiceHours(time(9, 0), time(9, 30))  # 30 minutes a day
    # Wed 09:10-09:30 is 20, Thu 30, Fri 30, Mon 30 (110 in all), so the last 10 fall on Tuesday
    assert add(at(4, 9, 10), 120, short) == at(10, 9, 10)
    assert add(at(6, 20, 30), 120) == at(9, 10, 0)  # 30 on Friday, 90 on Monday


def test_boundaries_are_exact():
    assert add(at(4, 8, 30), 30) == at(4, 9, 0)  # a reply at opening counts from opening
    assert add(at(4, 20, 30), 30) == at(4, 21, 0)  # ending exactly at closing ends there
    assert add(at(4, 20, 30), 31) == at(5, 8, 31)
    assert add(at(4, 21, 0), 30) == at(5, 9, 0)  # the closing minute is outside
    assert add(at(4, 10, 0), 0) == at(4, 10, 0)
    assert add(at(4, 7, 0), 0) == at(4, 8, 30)


def test_a_whole_day_of_service_time_lands_at_the_same_time_next_day():
    assert add(at(4, 10, 0), 12 * 60 + 30) == at(5, 10, 0)


def test_naive_or_negative_input_is_refused():
    with pytest.raises(ValueError):
        add_service_time(datetime(2026, 3, 4, 10, 0), timedelta(minutes=5), HOURS, SH)
    with pytest.raises(ValueError):
        add_service_time(at(4, 10), timedelta(minutes=-5), HOURS, SH)


def test_holidays_covering_over_a_year_raise_instead_of_looping():
    every_day = frozenset(date(2026, 1, 1) + timedelta(days=i) for i in range(800))
    with pytest.raises(ValueError, match="holidays"):
        add(at(4, 10), 15, ServiceHours(time(8, 30), time(21, 0), every_day))


def test_a_timezone_with_daylight_saving_uses_local_wall_clock():
    # New York moved its clocks forward on Sunday 2026-03-08: Friday is UTC-5, Monday UTC-4
    ny = ZoneInfo("America/New_York")
    due = add_service_time(at(6, 20, 50, tz=ny), timedelta(minutes=30), HOURS, ny)
    assert due == datetime(2026, 3, 9, 12, 50, tzinfo=UTC)
    assert service_time_between(at(6, 20, 50, tz=ny), due, HOURS, ny) == timedelta(minutes=30)


# --- service time elapsed -----------------------------------------------------------------------------

def test_service_time_across_a_night():
    assert service_time_between(at(4, 20, 55), at(5, 8, 35), HOURS, SH) == timedelta(minutes=10)


def test_service_time_across_a_weekend():
    assert service_time_between(at(6, 20, 0), at(9, 9, 0), HOURS, SH) == timedelta(minutes=90)
    assert service_time_between(at(7, 10, 0), at(8, 23, 0), HOURS, SH) == timedelta(0)


def test_service_time_over_whole_days():
    # Wed 10:00 to Mon 10:00: Wed 11h + Thu 12.5h + Fri 12.5h + Mon 1.5h
    assert service_time_between(at(4, 10), at(9, 10), HOURS, SH) == timedelta(hours=37, minutes=30)


def test_service_time_is_zero_when_b_is_not_after_a():
    assert service_time_between(at(4, 12), at(4, 12), HOURS, SH) == timedelta(0)
    assert service_time_between(at(4, 12), at(4, 10), HOURS, SH) == timedelta(0)


@pytest.mark.parametrize("start", [at(4, 10, 0), at(6, 20, 50), at(4, 8, 30), at(6, 23, 0), at(7, 12, 0)])
@pytest.mark.parametrize("minutes", [0, 1, 15, 30, 120, 750, 751, 3000])
def test_service_time_between_inverts_add_service_time(start, minutes):
    span = timedelta(minutes=minutes)
    assert service_time_between(start, add_service_time(start, span, HOURS, SH), HOURS, SH) == span


# --- parsing settings ---------------------------------------------------------------------------------

def test_parse_service_hours():
    holidays = frozenset({date(2026, 10, 1)})
    assert parse_service_hours("09:00-17:30") == ServiceHours(time(9, 0), time(17, 30))
    assert parse_service_hours(" 8:15 - 20:00 ", holidays) == ServiceHours(time(8, 15), time(20, 0), holidays)
    assert parse_service_hours(None) == ServiceHours(time(8, 30), time(21, 0))
    assert parse_service_hours("  ", holidays) == ServiceHours(time(8, 30), time(21, 0), holidays)


@pytest.mark.parametrize("spec", ["8-21", "08:30", "25:00-26:00", "08:60-21:00", "21:00-08:30",
                                  "09:00-09:00", "nine to nine"])
def test_parse_service_hours_names_a_bad_value(spec):
    with pytest.raises(Problem) as info:
        parse_service_hours(spec)
    assert spec in str(info.value)
    assert info.value.args_["value"] == spec


def test_parse_targets():
    assert parse_targets(None) == Targets()
    assert parse_targets("") == Targets()
    assert parse_targets("diamond=15,complaint=15,vip=30,other=120") == Targets()
    assert parse_targets(" vip = 45 , other=240 ") == Targets(vip=timedelta(minutes=45),
                                                              other=timedelta(hours=4))
    assert parse_targets("complaint=5,") == Targets(complaint=timedelta(minutes=5))


@pytest.mark.parametrize(("spec", "named"), [
    ("platinum=20", "platinum=20"),
    ("vip", "vip"),
    ("vip=0", "0"),
    ("vip=-5", "-5"),
    ("vip=1.5", "1.5"),
    ("vip=thirty", "thirty"),
    ("vip=", "vip="),
    ("other=999999", "999999"),
    ("vip=30,vip=40", "vip"),
])
def test_parse_targets_names_a_bad_entry(spec, named):
    with pytest.raises(Problem) as info:
        parse_targets(spec)
    assert named in str(info.value)


# --- urgency ------------------------------------------------------------------------------------------

def test_urgency():
    due = at(4, 10, 0)
    assert urgency(None, due) == "none"
    assert urgency(due, at(4, 9, 49)) == "ok"
    assert urgency(due, at(4, 9, 50)) == "near"
    assert urgency(due, at(4, 9, 59)) == "near"
    assert urgency(due, due) == "overdue"
    assert urgency(due, at(4, 11, 0)) == "overdue"
    assert urgency(due, at(4, 9, 30), near=timedelta(minutes=30)) == "near"
