"""First-response deadlines, counted in service time. No Flask, no database.

The department answers inbound replies during service hours on trading days only, so a target such as
"30 minutes" means 30 minutes of service time: a reply at 20:50 on a Friday with service ending at 21:00
is due at 08:50 on Monday (10 minutes on Friday, 20 carried over). All datetimes in and out are aware
UTC; the local calendar (`tz`) is used only to place the service windows.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from clients.tiers import Tier
from core.errors import N_, Problem
from core.timing import is_trading_day

MAX_DAYS = 400  # the longest stretch searched for service time; more means the holidays list is wrong
MAX_TARGET_MINUTES = 7 * 24 * 60  # a target longer than a week is a typo, not a service level


class DeadlineError(Problem):
    pass


@dataclass(frozen=True)
class ServiceHours:
    """The daily service window, local wall-clock time, on trading days (weekdays not in `holidays`)."""

    start: time = time(8, 30)
    end: time = time(21, 0)
    holidays: frozenset[date] = frozenset()


@dataclass(frozen=True)
class Targets:
    """First-response targets, in service time."""

    diamond: timedelta = timedelta(minutes=15)
    complaint: timedelta = timedelta(minutes=15)
    vip: timedelta = timedelta(minutes=30)
    other: timedelta = timedelta(hours=2)


_HOURS = re.compile(r"\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*")


def parse_service_hours(spec: str | None, holidays: frozenset[date] = frozenset()) -> ServiceHours:
    """'08:30-21:00' -> those hours; empty or None -> the default 08:30-21:00.

    The window must lie within one day (start before end): a deadline is counted per local day, and a
    window spanning midnight would make "the day's service time" ambiguous.
    """
    if spec is None or not spec.strip():
        return ServiceHours(holidays=holidays)
    match = _HOURS.fullmatch(spec)
    if not match:
        raise DeadlineError(N_("service hours %(value)s are not like 08:30-21:00"), value=spec)
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    if h1 > 23 or h2 > 23 or m1 > 59 or m2 > 59:
        raise DeadlineError(N_("service hours %(value)s are not like 08:30-21:00"), value=spec)
    start, end = time(h1, m1), time(h2, m2)
    if start >= end:
        raise DeadlineError(N_("service hours %(value)s must start before they end, within one day"),
                            value=spec)
    return ServiceHours(start, end, holidays)


def parse_targets(spec: str | None) -> Targets:
    """'diamond=15,complaint=15,vip=30,other=120' (minutes, any subset) -> Targets; the rest keep defaults.

    Each value is a whole number of minutes from 1 to a week; an unknown key, a repeated key or a bad
    value is an error naming it, so a typo in the settings never silently leaves a default in force.
    """
    values: dict[str, timedelta] = {}
    for part in (spec or "").split(","):
        if not part.strip():
            continue
        key, sep, raw = (s.strip() for s in part.partition("="))
        if not sep or key not in Targets.__dataclass_fields__:
            raise DeadlineError(N_("response target %(value)s is not one of diamond, complaint, vip, other"),
                                value=part.strip())
        if key in values:
            raise DeadlineError(N_("response target %(value)s is given twice"), value=key)
        if not re.fullmatch(r"\d+", raw) or not 1 <= int(raw) <= MAX_TARGET_MINUTES:
            raise DeadlineError(N_("response target %(key)s=%(value)s is not a whole number of minutes "
                                   "from 1 to %(max)s"), key=key, value=raw, max=MAX_TARGET_MINUTES)
        values[key] = timedelta(minutes=int(raw))
    return Targets(**values)


def target_for(targets: Targets, *, high_priority: bool, tier: str | None) -> timedelta:
    """The shortest target that applies: a complaint is fast whatever the tier, and a VIP is never made to
    wait longer than anyone else because of a misconfigured list. An unknown tier counts as 'other'."""
    try:
        known = Tier(tier) if tier is not None else None
    except ValueError:
        known = None
    applicable = [targets.other]
    if high_priority:
        applicable.append(targets.complaint)
    if known is Tier.diamond:
        applicable.append(targets.diamond)
    elif known in (Tier.platinum, Tier.gold):
        applicable.append(targets.vip)
    return min(applicable)


def _utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("naive datetime given where an aware UTC one is required")
    return value.astimezone(UTC)


def _window(day: date, hours: ServiceHours, tz: ZoneInfo) -> tuple[datetime, datetime] | None:
    """The day's service window in UTC, or None on a non-trading day. Built from local wall-clock times
    and converted, so a DST change on that day shortens or lengthens the window as it really does."""
    if not is_trading_day(day, hours.holidays):
        return None
    opening = datetime.combine(day, hours.start, tzinfo=tz).astimezone(UTC)
    closing = datetime.combine(day, hours.end, tzinfo=tz).astimezone(UTC)
    return opening, closing


def add_service_time(start: datetime, span: timedelta, hours: ServiceHours, tz: ZoneInfo) -> datetime:
    """The moment when `span` of service time has passed since `start` (aware; returns aware UTC).

    Time outside service hours does not count: a start outside hours begins at the next opening, and a
    span that ends exactly at a closing ends there rather than at the next opening. Walks day by day,
    at most MAX_DAYS, then raises ValueError (a holidays list that leaves no service time is a mistake).
    """
    if span < timedelta(0):
        raise ValueError("a negative span of service time")
    start = _utc(start)
    remaining = span
    day = start.astimezone(tz).date()
    for _ in range(MAX_DAYS):
        window = _window(day, hours, tz)
        if window is not None:
            begin, closing = max(window[0], start), window[1]
            if begin < closing:
                if remaining <= closing - begin:
                    return begin + remaining
                remaining -= closing - begin
        day += timedelta(days=1)
    raise ValueError(f"no room for {span} of service time within {MAX_DAYS} days; check the holidays")


def due_at(received: datetime, *, high_priority: bool, tier: str | None, targets: Targets,
           hours: ServiceHours, tz: ZoneInfo) -> datetime:
    """When the first response to a reply received at `received` is due (aware UTC)."""
    span = target_for(targets, high_priority=high_priority, tier=tier)
    return add_service_time(received, span, hours, tz)


def service_time_between(a: datetime, b: datetime, hours: ServiceHours, tz: ZoneInfo) -> timedelta:
    """The service time from `a` to `b`: how long a client really waited by the department's clock.

    A reply at 20:55 answered at 08:35 on the next trading day took 10 minutes. Zero when b <= a. The
    inverse of add_service_time: service_time_between(s, add_service_time(s, d)) == d.
    """
    a, b = _utc(a), _utc(b)
    total = timedelta(0)
    if b <= a:
        return total
    day, last = a.astimezone(tz).date(), b.astimezone(tz).date()
    while day <= last:
        window = _window(day, hours, tz)
        if window is not None:
            begin, end = max(window[0], a), min(window[1], b)
            if begin < end:
                total += end - begin
        day += timedelta(days=1)
    return total


def urgency(due: datetime | None, now: datetime, *, near: timedelta = timedelta(minutes=10)) -> str:
    """'none' (no deadline), 'overdue' (now at or past due), 'near' (due within `near`) or 'ok'.

    Counted in wall-clock time, not service time: it drives a badge on the queue, which is looked at now.
    """
    if due is None:
        return "none"
    if now >= due:
        return "overdue"
    if due - now <= near:
        return "near"
    return "ok"
