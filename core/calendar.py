"""The trading calendar: trading days, night sessions, quiet hours and service hours. Pure: no Flask, no clock.

A trading day is a weekday that is not a statutory holiday. Statutory holidays (including the weekdays given
off in lieu) come from the `chinese_calendar` package; `HOLIDAYS` (ISO dates) adds days to them, for an
exchange closure the package does not know or a year it does not cover yet. Make-up working weekends (调休,
e.g. Saturday 2026-10-10) are working days for offices but not trading days: the exchanges stay closed.
For a year the package does not cover, trading days are the weekdays minus `HOLIDAYS`; `uncovered_years`
says which years those are, so the app can warn the admins before it matters.

Broadcasts (quiet hours, "every trading day at 08:30") and follow-ups (response deadlines counted in
service hours on trading days) both ask this module, through one `Calendar` read once from the settings
(`calendar_from_config`), or the plain functions below with the parsed settings.
"""
from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import chinese_calendar

from core.errors import N_, SettingProblem

MAX_DAYS = 400  # the longest stretch searched for a trading day; more means HOLIDAYS is wrong
DEFAULT_TIMEZONE = "Asia/Shanghai"
NIGHT_SESSION_OPENS = time(21, 0)

DEFAULT_QUIET_HOURS = "21:00-08:00"

_HOURS = re.compile(r"\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*")


class CalendarError(SettingProblem):
    """A bad calendar setting (`setting` names it) or a calendar with no trading day in sight."""


# ---- days ----------------------------------------------------------------------------------------------

def _statutory(day: date) -> bool | None:
    """True on a statutory holiday, False on any other day, None when the package has no data for the year."""
    try:
        resting, name = chinese_calendar.get_holiday_detail(day)
    except NotImplementedError:
        return None
    return bool(resting and name is not None)  # an ordinary weekend rests with no holiday name


def is_holiday(day: date, holidays: frozenset[date] = frozenset()) -> bool:
    """True on a statutory holiday (weekend days of a holiday included) or a day listed in `holidays`.
    An ordinary weekend is not a holiday, and neither is a make-up working weekend (调休)."""
    return day in holidays or bool(_statutory(day))


def is_trading_day(day: date, holidays: frozenset[date] = frozenset()) -> bool:
    """True on a weekday that is neither a statutory holiday nor in `holidays`. Weekends never trade, not
    even a make-up working Saturday; in a year the package does not cover, only `holidays` is subtracted."""
    return day.weekday() < 5 and not is_holiday(day, holidays)


def uncovered_years(years: Iterable[int]) -> list[int]:
    """The years, sorted and once each, for which the package has no holiday data: there the trading days are
    the weekdays minus HOLIDAYS, right only if someone entered that year's every closure. One HOLIDAYS day in
    such a year (an extra closure) does not make it covered, so the warning stays until the package knows it."""
    return sorted({y for y in years if _statutory(date(y, 1, 1)) is None})


def next_trading_day(day: date, holidays: frozenset[date] = frozenset()) -> date:
    """The first trading day strictly after `day`. Raises CalendarError when none comes within MAX_DAYS."""
    for offset in range(1, MAX_DAYS + 1):
        candidate = day + timedelta(days=offset)
        if is_trading_day(candidate, holidays):
            return candidate
    raise CalendarError(N_("no trading day in the coming year; check HOLIDAYS"), setting="HOLIDAYS",
                        reason="leaves no trading day in the coming year")


def _last_trading_day(first: date, last: date, holidays: frozenset[date]) -> date | None:
    day = last
    while day >= first:
        if is_trading_day(day, holidays):
            return day
        day -= timedelta(days=1)
    return None


def last_trading_day_of_week(day: date, holidays: frozenset[date] = frozenset()) -> date | None:
    """The last trading day of the Monday-to-Sunday week holding `day`, or None when that week has none
    (a Spring Festival week)."""
    monday = day - timedelta(days=day.weekday())
    return _last_trading_day(monday, monday + timedelta(days=6), holidays)


def last_trading_day_of_month(day: date, holidays: frozenset[date] = frozenset()) -> date | None:
    """The last trading day of the month holding `day`, or None when that month has none."""
    following = date(day.year + day.month // 12, day.month % 12 + 1, 1)
    return _last_trading_day(day.replace(day=1), following - timedelta(days=1), holidays)


def has_night_session(day: date, holidays: frozenset[date] = frozenset()) -> bool:
    """True when the commodity exchanges (SHFE, INE, DCE, ZCE, GFEX) hold a night session from 21:00 on `day`.

    A night session follows a trading day and belongs to the next trading day, so it is held only when
    nothing but an ordinary weekend lies between the two: the exchanges cancel it on the evening before a
    statutory holiday (none on 2026-09-30 before National Day, none on Friday 2026-04-03 before Qingming on
    Monday the 6th, none before a day in `holidays`). A Friday has one when the next Monday trades; a
    make-up working weekend (调休) is not a holiday and does not cancel it. The first trading day after a
    holiday has its night session as usual. CFFEX (financial futures) holds no night sessions at all.
    """
    if not is_trading_day(day, holidays):
        return False
    following = next_trading_day(day, holidays)
    between = (day + timedelta(days=n) for n in range(1, (following - day).days))
    return not any(is_holiday(d, holidays) for d in between)


def parse_holidays(spec: str | None) -> frozenset[date]:
    """'2026-10-01,2026-10-02' (commas or new lines) -> those dates; empty -> none. A bad entry is a
    CalendarError naming it."""
    days = set()
    for part in (spec or "").replace("\n", ",").split(","):
        part = part.strip()
        if not part:
            continue
        try:
            days.add(date.fromisoformat(part))
        except ValueError:
            raise CalendarError(N_("HOLIDAYS has %(value)s, which is not a date"), value=part,
                                setting="HOLIDAYS", reason=f"has {part!r}, which is not a date") from None
    return frozenset(days)


# ---- quiet hours and recurrences -------------------------------------------------------------------------

def _span(spec: str) -> tuple[time, time] | None:
    """'21:00-08:00' -> (21:00, 08:00); None when `spec` is not two valid HH:MM times joined by '-'."""
    match = _HOURS.fullmatch(spec)
    if not match:
        return None
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    if h1 > 23 or h2 > 23 or m1 > 59 or m2 > 59:
        return None
    return time(h1, m1), time(h2, m2)


def parse_quiet_hours(spec: str | None) -> tuple[time, time] | None:
    """'21:00-08:00' -> (21:00, 08:00), which may span midnight; empty or None -> None (no quiet hours)."""
    if not spec or not spec.strip():
        return None
    span = _span(spec)
    if span is None:
        raise CalendarError(N_("QUIET_HOURS %(value)s is not like 21:00-08:00"), value=spec,
                            setting="QUIET_HOURS", reason="is not like 21:00-08:00")
    return span


def in_quiet_hours(local: datetime, quiet: tuple[time, time] | None) -> bool:
    """True when `local` (a local wall-clock time) falls inside quiet hours; the start is inside, the end
    not. Equal start and end mean no quiet hours."""
    if quiet is None:
        return False
    start, end = quiet
    now = local.time().replace(tzinfo=None)
    if start == end:
        return False
    if start < end:
        return start <= now < end
    return now >= start or now < end  # spans midnight


def parse_recurrence(spec: str | None) -> time | None:
    """'trading_days@08:30' -> 08:30 (every trading day at that local time); None/empty -> no recurrence."""
    if not spec:
        return None
    match = re.fullmatch(r"trading_days@(\d{1,2}):(\d{2})", spec.strip())
    if not match or int(match.group(1)) > 23 or int(match.group(2)) > 59:
        raise CalendarError(N_("a recurrence is written trading_days@08:30 (every trading day at that time)"),
                            reason="is not like trading_days@08:30")
    return time(int(match.group(1)), int(match.group(2)))


def next_occurrence(after_local: datetime, at: time, holidays: frozenset[date] = frozenset()) -> datetime:
    """The first trading day at `at` strictly after `after_local` (a local, timezone-aware time), in the
    same time zone. Raises CalendarError when no trading day comes within MAX_DAYS."""
    day = after_local.date()
    for _ in range(MAX_DAYS):
        candidate = after_local.replace(year=day.year, month=day.month, day=day.day, hour=at.hour,
                                        minute=at.minute, second=0, microsecond=0)
        if candidate > after_local and is_trading_day(day, holidays):
            return candidate
        day += timedelta(days=1)
    raise CalendarError(N_("no trading day in the coming year; check HOLIDAYS"), setting="HOLIDAYS",
                        reason="leaves no trading day in the coming year")


# ---- service hours ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ServiceHours:
    """The daily service window, local wall-clock time, on trading days (see is_trading_day; `holidays`
    adds days to the statutory ones)."""

    start: time = time(8, 30)
    end: time = time(21, 0)
    holidays: frozenset[date] = frozenset()


def parse_service_hours(spec: str | None, holidays: frozenset[date] = frozenset()) -> ServiceHours:
    """'08:30-21:00' -> those hours; empty or None -> the default 08:30-21:00.

    The window must lie within one day (start before end): a deadline is counted per local day, and a
    window spanning midnight would make "the day's service time" ambiguous.
    """
    if spec is None or not spec.strip():
        return ServiceHours(holidays=holidays)
    span = _span(spec)
    if span is None:
        raise CalendarError(N_("service hours %(value)s are not like 08:30-21:00"), value=spec,
                            setting="SERVICE_HOURS", reason="is not like 08:30-21:00")
    start, end = span
    if start >= end:
        raise CalendarError(N_("service hours %(value)s must start before they end, within one day"),
                            value=spec, setting="SERVICE_HOURS",
                            reason="must start before it ends, within one day")
    return ServiceHours(start, end, holidays)


def service_window(day: date, hours: ServiceHours, tz: ZoneInfo) -> tuple[datetime, datetime] | None:
    """The day's service window in UTC, or None on a non-trading day. Built from local wall-clock times
    and converted, so a DST change on that day shortens or lengthens the window as it really does."""
    if not is_trading_day(day, hours.holidays):
        return None
    opening = datetime.combine(day, hours.start, tzinfo=tz).astimezone(UTC)
    closing = datetime.combine(day, hours.end, tzinfo=tz).astimezone(UTC)
    return opening, closing




def parse_timezone(name: str | None) -> ZoneInfo:
    """'Asia/Shanghai' -> that zone; None -> Asia/Shanghai. Anything else, the empty string included, that
    is not an IANA time zone is a CalendarError naming TIMEZONE."""
    if name is None:
        return ZoneInfo(DEFAULT_TIMEZONE)
    try:
        return ZoneInfo(str(name))
    except (ZoneInfoNotFoundError, ValueError):
        raise CalendarError(N_("TIMEZONE %(value)s is not a time zone such as Asia/Shanghai"), value=name,
                            setting="TIMEZONE", reason="is not a time zone such as Asia/Shanghai") from None


# ---- the calendar as one value ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Calendar:
    """The department's calendar, read once from the settings (see calendar_from_config).

    `holidays` adds days to the statutory holidays; `quiet` is None for no quiet hours; `service.holidays`
    is always the same set as `holidays` (days given in either place count for both).
    """

    holidays: frozenset[date] = frozenset()
    quiet: tuple[time, time] | None = (time(21, 0), time(8, 0))
    service: ServiceHours = ServiceHours()
    timezone: ZoneInfo = ZoneInfo(DEFAULT_TIMEZONE)

    def __post_init__(self) -> None:
        both = frozenset(self.holidays) | self.service.holidays
        object.__setattr__(self, "holidays", both)
        object.__setattr__(self, "service", replace(self.service, holidays=both))

    def local(self, moment: datetime) -> datetime:
        """`moment` as local wall-clock time: an aware time is converted, a naive one is taken as local."""
        return moment if moment.tzinfo is None else moment.astimezone(self.timezone)

    def is_holiday(self, day: date) -> bool:
        return is_holiday(day, self.holidays)

    def is_trading_day(self, day: date) -> bool:
        return is_trading_day(day, self.holidays)

    def next_trading_day(self, day: date) -> date:
        return next_trading_day(day, self.holidays)

    def last_trading_day_of_week(self, day: date) -> date | None:
        return last_trading_day_of_week(day, self.holidays)

    def last_trading_day_of_month(self, day: date) -> date | None:
        return last_trading_day_of_month(day, self.holidays)

    def has_night_session(self, day: date) -> bool:
        return has_night_session(day, self.holidays)

    @property
    def quiet_text(self) -> str:
        """The quiet hours as people write them, '21:00-08:00' ('' for none)."""
        return "" if self.quiet is None else "-".join(t.strftime("%H:%M") for t in self.quiet)

    def in_quiet_hours(self, moment: datetime) -> bool:
        """True when `moment` (aware, or naive local wall-clock time) falls inside quiet hours."""
        return in_quiet_hours(self.local(moment), self.quiet)

    def next_occurrence(self, after: datetime, at: time) -> datetime:
        """The first trading day at local time `at` strictly after the aware moment `after`, as an aware
        time in the calendar's time zone."""
        if after.tzinfo is None:
            raise ValueError("next_occurrence needs an aware time")
        return next_occurrence(after.astimezone(self.timezone), at, self.holidays)

    def service_window(self, day: date) -> tuple[datetime, datetime] | None:
        """The service window of local day `day` in aware UTC, or None when `day` does not trade."""
        return service_window(day, self.service, self.timezone)


def _text(config: Mapping, name: str, default: str | None = None) -> str | None:
    """The setting as text; a number or a list given in a Python config is judged by its text (and refused)."""
    value = config.get(name, default)
    return value if value is None or isinstance(value, str) else str(value)


def calendar_for(config: Mapping) -> Calendar:
    """The Calendar of these settings, parsed once per distinct value (the settings are checked at start;
    tests change them), for the worker's send loop, the periodic job, scheduling and deadlines alike."""
    return _parsed(*(_text(config, name) for name in ("HOLIDAYS", "QUIET_HOURS", "SERVICE_HOURS", "TIMEZONE")))


@functools.lru_cache(maxsize=32)
def _parsed(holidays: str | None, quiet: str | None, service: str | None, timezone: str | None) -> Calendar:
    given = {"HOLIDAYS": holidays, "QUIET_HOURS": quiet, "SERVICE_HOURS": service, "TIMEZONE": timezone}
    return calendar_from_config({name: value for name, value in given.items() if value is not None})


def calendar_from_config(config: Mapping) -> Calendar:
    """The Calendar the settings describe: HOLIDAYS, QUIET_HOURS, SERVICE_HOURS, TIMEZONE.

    Absent settings take the defaults core/config.py gives them (quiet hours 21:00-08:00, service hours
    08:30-21:00, Asia/Shanghai, no extra holidays); an empty QUIET_HOURS means no quiet hours. A bad value
    raises CalendarError whose `setting` names it.
    """
    holidays = parse_holidays(_text(config, "HOLIDAYS"))
    return Calendar(holidays=holidays,
                    quiet=parse_quiet_hours(_text(config, "QUIET_HOURS", DEFAULT_QUIET_HOURS)),
                    service=parse_service_hours(_text(config, "SERVICE_HOURS"), holidays),
                    timezone=parse_timezone(_text(config, "TIMEZONE")))
