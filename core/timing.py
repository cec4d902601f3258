"""Quiet hours and trading days, as plain functions of a local time. No Flask."""
from __future__ import annotations

import re
from datetime import date, datetime, time

from core.errors import N_, Problem


class TimingError(Problem):
    pass


def parse_quiet_hours(spec: str | None) -> tuple[time, time] | None:
    """'21:00-08:00' -> (21:00, 08:00); empty -> None (no quiet hours)."""
    if not spec or not spec.strip():
        return None
    match = re.fullmatch(r"\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*", spec)
    if not match:
        raise TimingError(N_("QUIET_HOURS %(value)s is not like 21:00-08:00"), value=spec)
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    if h1 > 23 or h2 > 23 or m1 > 59 or m2 > 59:
        raise TimingError(N_("QUIET_HOURS %(value)s is not like 21:00-08:00"), value=spec)
    return time(h1, m1), time(h2, m2)


def in_quiet_hours(local: datetime, quiet: tuple[time, time] | None) -> bool:
    """True when `local` (a local wall-clock time) falls inside quiet hours; the start is inside, the end not."""
    if quiet is None:
        return False
    start, end = quiet
    now = local.time().replace(tzinfo=None)
    if start == end:
        return False
    if start < end:
        return start <= now < end
    return now >= start or now < end  # spans midnight


def is_trading_day(day: date, holidays: frozenset[date] = frozenset()) -> bool:
    return day.weekday() < 5 and day not in holidays


def parse_holidays(spec: str | None) -> frozenset[date]:
    """'2026-10-01,2026-10-02' -> those dates; bad entries are an error naming them."""
    days = set()
    for part in (spec or "").replace("\n", ",").split(","):
        part = part.strip()
        if not part:
            continue
        try:
            days.add(date.fromisoformat(part))
        except ValueError:
            raise TimingError(N_("HOLIDAYS has %(value)s, which is not a date"), value=part) from None
    return frozenset(days)


def parse_recurrence(spec: str | None) -> time | None:
    """'trading_days@08:30' -> 08:30 (every trading day at that local time); None/empty -> no recurrence."""
    if not spec:
        return None
    match = re.fullmatch(r"trading_days@(\d{1,2}):(\d{2})", spec.strip())
    if not match or int(match.group(1)) > 23 or int(match.group(2)) > 59:
        raise TimingError(N_("a recurrence is written trading_days@08:30 (every trading day at that time)"))
    return time(int(match.group(1)), int(match.group(2)))


def next_occurrence(after_local: datetime, at: time, holidays: frozenset[date] = frozenset()) -> datetime:
    """The first trading day at `at` strictly after `after_local` (a local, timezone-aware time)."""
    day = after_local.date()
    for _ in range(400):
        candidate = after_local.replace(year=day.year, month=day.month, day=day.day, hour=at.hour,
                                        minute=at.minute, second=0, microsecond=0)
        if candidate > after_local and is_trading_day(day, holidays):
            return candidate
        day = date.fromordinal(day.toordinal() + 1)
    raise TimingError(N_("no trading day in the coming year; check HOLIDAYS"))
