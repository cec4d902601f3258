"""First-response deadlines, counted in service time. No Flask, no database.

The department answers inbound replies during service hours on trading days only, so a target such as
"30 minutes" means 30 minutes of service time: a reply at 20:50 on a Friday with service ending at 21:00
is due at 08:50 on Monday (10 minutes on Friday, 20 carried over). All datetimes in and out are aware
UTC; the local calendar (`tz`) is used only to place the service windows.
"""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from clients.tiers import Tier
from core.calendar import ServiceHours, service_window
from core.service_levels import Targets

MAX_DAYS = 400  # the longest stretch searched for service time; more means the holidays list is wrong


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
        window = service_window(day, hours, tz)
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
        window = service_window(day, hours, tz)
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
