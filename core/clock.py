"""The one clock. Everything that needs "now" asks `now()`: requests, webhooks, the worker, the leader's tick,
deadlines, reviews, link expiry, the CLI. Nothing else calls `datetime.now()` or `date.today()`.

The application holds its clock (`app.extensions["clock"]`); tests replace it with a `SettableClock` and move
it. A process a test starts (a worker, the emulator) takes the test's time from `FAKE_NOW` (an ISO time),
honoured only when `TESTING` is set: its clock starts there and runs on with the monotonic timer, so the
process sees the test's day while its timeouts still pass. Monotonic timers for pacing stay as they are.
"""
from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, aware, in UTC."""


class SystemClock:
    """The machine's time: the only place that reads it."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now()


class SettableClock:
    """A clock that stands still until it is set or advanced (tests)."""

    def __init__(self, at: datetime):
        self._at = _aware(at)

    def now(self) -> datetime:
        return self._at

    def __call__(self) -> datetime:
        return self._at

    def set(self, at: datetime) -> None:
        self._at = _aware(at)

    def advance(self, **delta: float) -> None:
        self._at += timedelta(**delta)


class RunningClock:
    """Starts at a given time and runs on with the monotonic timer (a process started by a test)."""

    def __init__(self, start: datetime):
        self._start = _aware(start)
        self._t0 = time.monotonic()

    def now(self) -> datetime:
        return self._start + timedelta(seconds=time.monotonic() - self._t0)

    def __call__(self) -> datetime:
        return self.now()


def _aware(at: datetime) -> datetime:
    if at.tzinfo is None:
        raise ValueError("a clock is set to an aware time")
    return at.astimezone(UTC)


def parse_fake_now(value: str) -> datetime:
    """FAKE_NOW: an ISO time with its offset ('2026-11-25T02:00:00+00:00' or '...Z')."""
    at = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    if at.tzinfo is None:
        raise ValueError("FAKE_NOW needs an offset, e.g. 2026-11-25T10:00:00+08:00")
    return at.astimezone(UTC)


def for_config(config) -> Clock:
    """The clock an app starts with: the system's, or, when testing, FAKE_NOW's."""
    fake = config.get("FAKE_NOW")
    if fake and config.get("TESTING"):
        return RunningClock(parse_fake_now(fake))
    return SystemClock()


_process_clock: Clock = SystemClock()


def init_app(app) -> None:
    app.extensions["clock"] = for_config(app.config)


def current() -> Clock:
    """The clock of the current app, or the process's outside an app (the emulator, a plain script)."""
    from flask import current_app, has_app_context

    if has_app_context():
        return current_app.extensions.get("clock", _process_clock)
    return _process_clock


def set_process_clock(clock: Clock) -> None:
    """The clock used outside any app context (the emulator run as a process of its own)."""
    global _process_clock
    _process_clock = clock


def now() -> datetime:
    """Now, aware UTC, by the one clock."""
    return current().now()


def local_today(tz_name: str) -> date:
    """Today's date where the department works (TIMEZONE), not in UTC."""
    return now().astimezone(ZoneInfo(tz_name)).date()
