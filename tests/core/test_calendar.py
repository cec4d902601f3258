"""The trading calendar in core.calendar, as pure functions: no Flask app, no database, no clock.

The days used, from chinese_calendar 1.11 (which covers 2004-2026):
  2026 National Day: Thu 10-01 to Wed 10-07 off; Sun 09-20 and Sat 10-10 are make-up working days (调休).
  2026 Mid-Autumn: Fri 09-25 to Sun 09-27. Qingming: Sat 04-04 to Mon 04-06. Dragon Boat: Fri 06-19 to Sun 06-21.
  2026 Spring Festival: Sun 02-15 to Mon 02-23 off; Sat 02-14 and Sat 02-28 are make-up working days.
  2025 Spring Festival: Tue 01-28 to Tue 02-04 off; Sun 01-26 is a make-up working day.
  2031 is not covered: there trading days are weekdays minus HOLIDAYS.
"""
from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest

from core import calendar as cal
from core.calendar import Calendar, CalendarError, ServiceHours, calendar_from_config

SH = ZoneInfo("Asia/Shanghai")
D = date.fromisoformat
NATIONAL_DAY_2031 = tuple(f"2031-10-0{n}" for n in range(1, 8))  # what HOLIDAYS would have to list


def test_the_package_knows_the_days_these_tests_rely_on():
    """If a new chinese_calendar release changed these, the tables below would test something else."""
    assert all(chinese_calendar.is_holiday(D("2026-10-01") + timedelta(days=n)) for n in range(7))
    assert chinese_calendar.is_workday(D("2026-10-10")) and D("2026-10-10").weekday() == 5
    assert chinese_calendar.is_workday(D("2025-01-26")) and D("2025-01-26").weekday() == 6
    with pytest.raises(NotImplementedError):
        chinese_calendar.is_workday(D("2031-01-01"))


# ---- trading days ----------------------------------------------------------------------------------------

# (day, HOLIDAYS, trading?)
TRADING_DAYS = [
    pytest.param("2026-03-04", (), True, id="ordinary-wednesday"),
    pytest.param("2026-03-07", (), False, id="ordinary-saturday"),
    pytest.param("2026-09-30", (), True, id="eve-of-national-day"),
    pytest.param("2026-10-01", (), False, id="national-day-first"),
    pytest.param("2026-10-05", (), False, id="national-day-monday"),
    pytest.param("2026-10-07", (), False, id="national-day-last"),
    pytest.param("2026-10-08", (), True, id="first-day-after-national-day"),
    pytest.param("2026-10-10", (), False, id="make-up-saturday-does-not-trade"),
    pytest.param("2026-09-20", (), False, id="make-up-sunday-does-not-trade"),
    pytest.param("2026-02-14", (), False, id="make-up-saturday-before-spring-festival"),
    pytest.param("2026-02-23", (), False, id="in-lieu-monday"),
    pytest.param("2026-02-24", (), True, id="first-day-after-spring-festival"),
    pytest.param("2026-06-19", (), False, id="dragon-boat-friday"),
    pytest.param("2026-11-27", (), True, id="ordinary-friday"),
    pytest.param("2026-11-27", ("2026-11-27",), False, id="HOLIDAYS-adds-a-day"),
    pytest.param("2031-10-01", (), True, id="uncovered-year-weekday-trades"),
    pytest.param("2031-10-04", (), False, id="uncovered-year-saturday"),
    pytest.param("2031-10-01", ("2031-10-01",), False, id="uncovered-year-HOLIDAYS"),
    pytest.param("2003-10-01", (), True, id="year-before-the-package-weekday-trades"),
]


@pytest.mark.parametrize(("day", "holidays", "trading"), TRADING_DAYS)
def test_is_trading_day(day, holidays, trading):
    extra = frozenset(map(D, holidays))
    assert cal.is_trading_day(D(day), extra) is trading
    assert Calendar(holidays=extra).is_trading_day(D(day)) is trading


@pytest.mark.parametrize(("day", "holiday"), [
    ("2026-10-03", True),  # a Saturday inside National Day is a holiday, not just a weekend
    ("2026-10-11", False),  # an ordinary Sunday
    ("2026-10-10", False),  # a make-up working Saturday
    ("2031-10-01", False),  # not covered, not listed
])
def test_is_holiday(day, holiday):
    assert cal.is_holiday(D(day)) is holiday


# (day, HOLIDAYS, next trading day)
NEXT_TRADING_DAYS = [
    pytest.param("2026-03-04", (), "2026-03-05", id="ordinary"),
    pytest.param("2026-03-06", (), "2026-03-09", id="over-a-weekend"),
    pytest.param("2026-09-30", (), "2026-10-08", id="over-national-day"),
    pytest.param("2026-10-09", (), "2026-10-12", id="over-a-make-up-saturday"),
    pytest.param("2026-02-13", (), "2026-02-24", id="over-spring-festival"),
    pytest.param("2026-10-03", (), "2026-10-08", id="from-inside-a-holiday"),
    pytest.param("2031-09-30", (), "2031-10-01", id="uncovered-year"),
    pytest.param("2031-09-30", NATIONAL_DAY_2031, "2031-10-08", id="uncovered-year-HOLIDAYS"),
]


@pytest.mark.parametrize(("day", "holidays", "expected"), NEXT_TRADING_DAYS)
def test_next_trading_day(day, holidays, expected):
    assert cal.next_trading_day(D(day), frozenset(map(D, holidays))) == D(expected)


def test_no_trading_day_within_reach_is_an_error_naming_holidays():
    every_day = frozenset(D("2031-01-01") + timedelta(days=n) for n in range(800))
    with pytest.raises(CalendarError) as info:
        cal.next_trading_day(D("2031-01-01"), every_day)
    assert info.value.setting == "HOLIDAYS"


# ---- night sessions --------------------------------------------------------------------------------------

# (day, HOLIDAYS, night session from 21:00?)
NIGHT_SESSIONS = [
    pytest.param("2026-03-04", (), True, id="ordinary-wednesday"),
    pytest.param("2026-03-06", (), True, id="friday-before-an-ordinary-weekend"),
    pytest.param("2026-09-29", (), True, id="two-days-before-national-day"),
    pytest.param("2026-09-30", (), False, id="eve-of-national-day"),
    pytest.param("2026-09-24", (), False, id="thursday-before-mid-autumn-friday"),
    pytest.param("2026-04-03", (), False, id="friday-before-qingming-monday"),
    pytest.param("2026-02-13", (), False, id="friday-before-spring-festival"),
    pytest.param("2026-06-18", (), False, id="thursday-before-dragon-boat"),
    pytest.param("2026-10-08", (), True, id="first-day-after-a-holiday"),
    pytest.param("2026-10-09", (), True, id="friday-before-a-make-up-saturday"),
    pytest.param("2026-10-01", (), False, id="holiday-itself"),
    pytest.param("2026-10-10", (), False, id="make-up-saturday-itself"),
    pytest.param("2026-11-26", (), True, id="thursday"),
    pytest.param("2026-11-26", ("2026-11-27",), False, id="before-a-HOLIDAYS-day"),
    pytest.param("2031-03-07", (), True, id="uncovered-year-friday"),
    pytest.param("2031-09-30", NATIONAL_DAY_2031, False, id="uncovered-year-before-HOLIDAYS"),
]


@pytest.mark.parametrize(("day", "holidays", "night"), NIGHT_SESSIONS)
def test_has_night_session(day, holidays, night):
    extra = frozenset(map(D, holidays))
    assert cal.has_night_session(D(day), extra) is night
    assert Calendar(holidays=extra).has_night_session(D(day)) is night


# ---- last trading day of a week, of a month --------------------------------------------------------------

# (any day of the week, HOLIDAYS, last trading day of its Monday-to-Sunday week)
WEEKS = [
    pytest.param("2026-03-04", (), "2026-03-06", id="ordinary-week"),
    pytest.param("2026-09-28", (), "2026-09-30", id="week-national-day-starts"),
    pytest.param("2026-10-11", (), "2026-10-09", id="week-with-a-make-up-saturday-asked-on-sunday"),
    pytest.param("2026-06-15", (), "2026-06-18", id="dragon-boat-friday"),
    pytest.param("2026-02-18", (), None, id="spring-festival-week-has-none"),
    pytest.param("2031-10-01", NATIONAL_DAY_2031, "2031-09-30", id="uncovered-year-HOLIDAYS"),
]


@pytest.mark.parametrize(("day", "holidays", "expected"), WEEKS)
def test_last_trading_day_of_week(day, holidays, expected):
    result = cal.last_trading_day_of_week(D(day), frozenset(map(D, holidays)))
    assert result == (D(expected) if expected else None)


# (any day of the month, HOLIDAYS, last trading day of the month)
MONTHS = [
    pytest.param("2026-09-01", (), "2026-09-30", id="last-day-trades"),
    pytest.param("2025-01-10", (), "2025-01-27", id="last-day-is-spring-festival-and-make-up-sunday-before"),
    pytest.param("2026-02-01", (), "2026-02-27", id="last-day-is-a-make-up-saturday"),
    pytest.param("2026-10-31", (), "2026-10-30", id="last-day-is-a-saturday"),
    pytest.param("2026-12-15", (), "2026-12-31", id="december"),
    pytest.param("2031-12-01", (), "2031-12-31", id="uncovered-year"),
    pytest.param("2031-12-01", ("2031-12-31",), "2031-12-30", id="uncovered-year-last-day-in-HOLIDAYS"),
]


@pytest.mark.parametrize(("day", "holidays", "expected"), MONTHS)
def test_last_trading_day_of_month(day, holidays, expected):
    extra = frozenset(map(D, holidays))
    assert cal.last_trading_day_of_month(D(day), extra) == D(expected)
    assert Calendar(holidays=extra).last_trading_day_of_month(D(day)) == D(expected)


def test_a_month_with_no_trading_day_has_no_last_one():
    february = frozenset(D("2031-02-01") + timedelta(days=n) for n in range(28))
    assert cal.last_trading_day_of_month(D("2031-02-14"), february) is None


# ---- years the package does not cover --------------------------------------------------------------------

@pytest.mark.parametrize(("years", "expected"), [
    pytest.param([2026], [], id="covered"),
    pytest.param([2031, 2026, 2031], [2031], id="uncovered-once-each"),
    pytest.param([2032, 2003, 2031], [2003, 2031, 2032], id="sorted"),
])
def test_uncovered_years(years, expected):
    assert cal.uncovered_years(years) == expected


def test_one_extra_closure_in_holidays_does_not_hide_an_uncovered_year():
    """HOLIDAYS adds days; a single exchange closure entered for 2031 says nothing of its statutory holidays."""
    calendar = calendar_from_config({"HOLIDAYS": "2031-10-01"})
    assert calendar.is_holiday(D("2031-10-01")) and cal.uncovered_years([2031]) == [2031]


# ---- quiet hours and recurrences -------------------------------------------------------------------------

@pytest.mark.parametrize(("spec", "expected"), [
    ("21:00-08:00", (time(21, 0), time(8, 0))),
    (" 9:30 - 11:00 ", (time(9, 30), time(11, 0))),
    ("", None),
    ("  ", None),
    (None, None),
])
def test_parse_quiet_hours(spec, expected):
    assert cal.parse_quiet_hours(spec) == expected


@pytest.mark.parametrize("spec", ["25:00-08:00", "21:60-08:00", "21:00", "nonsense", "21-8"])
def test_parse_quiet_hours_names_the_setting(spec):
    with pytest.raises(CalendarError) as info:
        cal.parse_quiet_hours(spec)
    assert info.value.template == "QUIET_HOURS %(value)s is not like 21:00-08:00"
    assert info.value.setting == "QUIET_HOURS"


QUIET = (time(21, 0), time(8, 0))


@pytest.mark.parametrize(("local", "quiet", "inside"), [
    pytest.param(time(21, 0), QUIET, True, id="start-is-inside"),
    pytest.param(time(20, 59), QUIET, False, id="a-minute-before"),
    pytest.param(time(0, 0), QUIET, True, id="midnight"),
    pytest.param(time(7, 59), QUIET, True, id="a-minute-before-the-end"),
    pytest.param(time(8, 0), QUIET, False, id="end-is-outside"),
    pytest.param(time(12, 30), (time(12, 0), time(13, 0)), True, id="within-one-day"),
    pytest.param(time(13, 0), (time(12, 0), time(13, 0)), False, id="within-one-day-end"),
    pytest.param(time(3, 0), (time(8, 0), time(8, 0)), False, id="equal-ends-mean-none"),
    pytest.param(time(3, 0), None, False, id="none"),
])
def test_in_quiet_hours(local, quiet, inside):
    moment = datetime.combine(D("2026-03-04"), local, tzinfo=SH)
    assert cal.in_quiet_hours(moment, quiet) is inside
    assert Calendar(quiet=quiet).in_quiet_hours(moment.astimezone(UTC)) is inside  # converted to local


@pytest.mark.parametrize(("spec", "expected"), [
    ("trading_days@08:30", time(8, 30)),
    (" trading_days@7:05 ", time(7, 5)),
    ("", None),
    (None, None),
])
def test_parse_recurrence(spec, expected):
    assert cal.parse_recurrence(spec) == expected


@pytest.mark.parametrize("spec", ["daily@08:30", "trading_days@24:00", "trading_days@08:60", "trading_days"])
def test_parse_recurrence_refuses_others(spec):
    with pytest.raises(CalendarError):
        cal.parse_recurrence(spec)


# (after, local Shanghai time, HOLIDAYS, next occurrence at 08:30 local)
OCCURRENCES = [
    pytest.param("2026-03-04T08:00", (), "2026-03-04T08:30", id="later-the-same-day"),
    pytest.param("2026-03-04T08:30", (), "2026-03-05T08:30", id="strictly-after"),
    pytest.param("2026-03-06T09:00", (), "2026-03-09T08:30", id="over-a-weekend"),
    pytest.param("2026-09-30T09:00", (), "2026-10-08T08:30", id="over-national-day"),
    pytest.param("2026-10-09T09:00", (), "2026-10-12T08:30", id="not-on-a-make-up-saturday"),
    pytest.param("2031-09-30T09:00", NATIONAL_DAY_2031, "2031-10-08T08:30", id="uncovered-year-HOLIDAYS"),
]


@pytest.mark.parametrize(("after", "holidays", "expected"), OCCURRENCES)
def test_next_occurrence(after, holidays, expected):
    extra = frozenset(map(D, holidays))
    after_local = datetime.fromisoformat(after).replace(tzinfo=SH)
    want = datetime.fromisoformat(expected).replace(tzinfo=SH)
    assert cal.next_occurrence(after_local, time(8, 30), extra) == want
    got = Calendar(holidays=extra, timezone=SH).next_occurrence(after_local.astimezone(UTC), time(8, 30))
    assert got == want and got.tzinfo == SH


# ---- service hours ---------------------------------------------------------------------------------------

def test_parse_service_hours():
    holidays = frozenset({D("2026-10-01")})
    assert cal.parse_service_hours("09:00-17:30") == ServiceHours(time(9, 0), time(17, 30))
    assert cal.parse_service_hours(" 8:15 - 20:00 ", holidays) == ServiceHours(time(8, 15), time(20, 0), holidays)
    assert cal.parse_service_hours(None) == ServiceHours(time(8, 30), time(21, 0))
    assert cal.parse_service_hours("  ", holidays) == ServiceHours(time(8, 30), time(21, 0), holidays)


@pytest.mark.parametrize(("spec", "template"), [
    ("8-21", "service hours %(value)s are not like 08:30-21:00"),
    ("25:00-26:00", "service hours %(value)s are not like 08:30-21:00"),
    ("21:00-08:30", "service hours %(value)s must start before they end, within one day"),
    ("09:00-09:00", "service hours %(value)s must start before they end, within one day"),
])
def test_parse_service_hours_names_a_bad_value(spec, template):
    with pytest.raises(CalendarError) as info:
        cal.parse_service_hours(spec)
    assert info.value.template == template and info.value.setting == "SERVICE_HOURS"
    assert info.value.args_["value"] == spec


HOURS = ServiceHours(time(8, 30), time(21, 0))


@pytest.mark.parametrize(("day", "window"), [
    pytest.param("2026-03-04", ("2026-03-04T00:30", "2026-03-04T13:00"), id="trading-day-in-utc"),
    pytest.param("2026-10-01", None, id="national-day"),
    pytest.param("2026-10-10", None, id="make-up-saturday"),
])
def test_service_window(day, window):
    expected = None if window is None else tuple(datetime.fromisoformat(w).replace(tzinfo=UTC) for w in window)
    assert cal.service_window(D(day), HOURS, SH) == expected
    assert Calendar(service=HOURS, timezone=SH).service_window(D(day)) == expected


def test_service_window_follows_daylight_saving():
    # New York moved its clocks forward on Sunday 2026-03-08: Friday is UTC-5, Monday UTC-4
    ny = ZoneInfo("America/New_York")
    assert cal.service_window(D("2026-03-06"), HOURS, ny)[0] == datetime(2026, 3, 6, 13, 30, tzinfo=UTC)
    assert cal.service_window(D("2026-03-09"), HOURS, ny)[0] == datetime(2026, 3, 9, 12, 30, tzinfo=UTC)


def test_holidays_given_to_the_calendar_or_its_service_hours_count_for_both():
    a, b = D("2026-11-26"), D("2026-11-27")
    calendar = Calendar(holidays=frozenset({a}), service=ServiceHours(holidays=frozenset({b})))
    assert calendar.holidays == calendar.service.holidays == frozenset({a, b})
    assert calendar.service_window(b) is None and not calendar.is_trading_day(a)


# ---- read from the settings, once ------------------------------------------------------------------------

def test_calendar_from_config():
    calendar = calendar_from_config({"HOLIDAYS": "2031-10-01, 2031-10-02\n2031-10-03", "QUIET_HOURS": "22:00-07:30",
                                     "SERVICE_HOURS": "09:00-17:00", "TIMEZONE": "Asia/Shanghai"})
    assert calendar == Calendar(holidays=frozenset(map(D, ("2031-10-01", "2031-10-02", "2031-10-03"))),
                                quiet=(time(22, 0), time(7, 30)), service=ServiceHours(time(9, 0), time(17, 0)),
                                timezone=SH)


def test_calendar_from_config_defaults():
    assert calendar_from_config({}) == Calendar(holidays=frozenset(), quiet=(time(21, 0), time(8, 0)),
                                                service=ServiceHours(), timezone=SH)
    assert calendar_from_config({"QUIET_HOURS": ""}).quiet is None  # empty: no quiet hours


@pytest.mark.parametrize(("setting", "value"), [
    ("QUIET_HOURS", "25:00-08:00"),
    ("QUIET_HOURS", 2100),
    ("SERVICE_HOURS", "21:00-08:30"),
    ("SERVICE_HOURS", "all day"),
    ("HOLIDAYS", "2026-10-01,2026-13-01"),
    ("TIMEZONE", "Asia/Beijing"),
    ("TIMEZONE", ""),
    ("TIMEZONE", "../etc/passwd"),
])
def test_calendar_from_config_names_a_bad_setting(setting, value):
    with pytest.raises(CalendarError) as info:
        calendar_from_config({setting: value})
    assert info.value.setting == setting
    assert setting in str(info.value) or setting == "SERVICE_HOURS"  # its template says "service hours"


def test_admins_are_told_on_the_home_page_when_the_holiday_calendar_runs_out(app, auth, make_staff):
    """A year the package does not cover yet (far ahead of its last release) is named to admins, not others."""
    from core.clock import SettableClock

    admin, chief = make_staff("admin"), make_staff("chief_analyst")
    before = app.extensions["clock"]
    app.extensions["clock"] = SettableClock(datetime(2040, 3, 2, 2, 0, tzinfo=UTC))
    try:
        auth.login(admin.email)
        page = auth.client.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)
        assert "does not cover 2040, 2041 yet" in page
        auth.client.post("/logout", data={"csrf_token": auth.token})
        auth.login(chief.email)
        assert "does not cover" not in auth.client.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    finally:
        app.extensions["clock"] = before
