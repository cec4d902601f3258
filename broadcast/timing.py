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
