"""The send rate (SMS_RATE_PER_SECOND) as send slots: a worker that has claimed a batch reserves a window of
evenly spaced moments for it, then hands each message over at its own moment.

One worker (SQLite, or tests) keeps the next free moment in memory (`LocalSlots`). Several workers on
PostgreSQL share it in the one row of `send_slots` (`SharedSlots`): a single conditional UPDATE moves the
row past the window it hands out, so two workers never get overlapping windows and the configured rate is
a limit for all of them together, on one machine or many. Times in that row are the database server's
clock; a worker only ever uses the distance from "now" on that clock, so the workers' own clocks need not
agree.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import sqlalchemy as sa


@dataclass(frozen=True)
class Window:
    """`size` send moments, `interval` seconds apart, the first at `start` (time.monotonic())."""

    start: float
    interval: float
    size: int

    def at(self, index: int) -> float:
        return self.start + index * self.interval

    @property
    def end(self) -> float:
        return self.at(self.size)


def interval_for(rate: float) -> float:
    """Seconds between two sends at `rate` per second; 0 (no limit) for a rate of 0 or less."""
    return 1.0 / rate if rate > 0 else 0.0


class LocalSlots:
    """The slots of a single process, shared by its sending threads."""

    shared = False

    def __init__(self, rate: float):
        self.interval = interval_for(rate)
        self._next = time.monotonic()
        self._lock = threading.Lock()

    def reserve(self, size: int) -> Window:
        """`size` moments after every moment reserved so far, the first no sooner than now."""
        with self._lock:
            start = max(time.monotonic(), self._next)
            self._next = start + size * self.interval
            return Window(start, self.interval, size)


# one statement, so that reservations by concurrent workers are serialised by the row lock
_RESERVE = sa.text("""
    UPDATE send_slots
       SET next_slot = GREATEST(next_slot, clock_timestamp() AT TIME ZONE 'UTC') + make_interval(secs => :span)
     WHERE id = 1
 RETURNING next_slot, clock_timestamp() AT TIME ZONE 'UTC' AS now
""")
_CREATE = sa.text("INSERT INTO send_slots (id, next_slot) VALUES (1, clock_timestamp() AT TIME ZONE 'UTC') "
                  "ON CONFLICT (id) DO NOTHING")


class SharedSlots:
    """The slots of all workers of one PostgreSQL database, in the one row of `send_slots`.

    Each reservation is its own short transaction on the engine's pool (never the caller's), committed at
    once, so that the row is locked only for the moment of the UPDATE."""

    shared = True

    def __init__(self, engine: sa.Engine, rate: float):
        self.engine = engine
        self.interval = interval_for(rate)

    def reserve(self, size: int) -> Window:
        """`size` moments after every moment any worker reserved so far, the first no sooner than now."""
        if not self.interval:
            return Window(time.monotonic(), 0.0, size)
        span = size * self.interval
        with self.engine.begin() as conn:
            row = conn.execute(_RESERVE, {"span": span}).first()
            if row is None:  # the row is made on first use (and again after a test empties the tables)
                conn.execute(_CREATE)
                row = conn.execute(_RESERVE, {"span": span}).first()
            here = time.monotonic()
        end, now = row
        return Window(here + max(0.0, (end - now).total_seconds() - span), self.interval, size)


def for_engine(engine: sa.Engine, rate: float) -> LocalSlots | SharedSlots:
    """Shared slots on PostgreSQL (any number of workers), local ones on SQLite (one worker)."""
    if engine.dialect.name == "postgresql":
        return SharedSlots(engine, rate)
    return LocalSlots(rate)
