"""The worker registry (one row per `flask worker` run) and the leader's judgement of which are dead.

A message is claimed by a registered worker (`outbound_messages.claimed_by`). When that worker dies while
handing it over, nobody can tell whether the provider has it: the leader marks it unknown, for a person to
look at, and it is never resent on its own. A live worker's messages are never touched: it records what the
provider answered itself, however long the database was away.
"""
from __future__ import annotations

import os
import socket
from collections.abc import Iterable
from datetime import datetime

import sqlalchemy as sa

from messaging.models import WorkerProcess


def register(session, now: datetime) -> int:
    """A new row for this process; returns its id (the worker's name in locks and in claimed_by). Commits."""
    row = WorkerProcess(host=socket.gethostname()[:255], pid=os.getpid(), started_at=now, last_seen_at=now)
    session.add(row)
    session.commit()
    return row.id


def seen(conn_or_session, worker_id: int, now: datetime) -> None:
    """Note that the worker is still running (for people; liveness itself is the advisory lock)."""
    conn_or_session.execute(sa.update(WorkerProcess).where(WorkerProcess.id == worker_id)
                            .values(last_seen_at=now))


def stopped(session, worker_id: int, now: datetime) -> None:
    """The worker stopped on purpose. Commits."""
    session.execute(sa.update(WorkerProcess).where(WorkerProcess.id == worker_id)
                    .values(stopped_at=now, last_seen_at=now))
    session.commit()


class DeathWatch:
    """Which workers that hold messages in handing_over are dead, as the current leader sees it.

    A worker counts as dead once it has been missing from the live set for `grace` seconds in a row, as
    observed by this leader. Why wait at all: when the database restarts, every connection ends and every
    liveness lock with it, and live workers take theirs again only when they have reconnected. Counting
    from the leader's own first observation (not from a heartbeat written before the restart) means a
    restart of any length never makes a live worker look dead. A worker that is really gone is found dead
    `grace` seconds after the leader first looks; its messages wait in handing_over meanwhile, which only
    delays the end of their broadcast.
    """

    def __init__(self, grace: float):
        self.grace = grace
        self._missing_since: dict[int | None, float] = {}

    def dead(self, holders: Iterable[int | None], live: set[int], now: float) -> set[int | None]:
        """Of the workers `holders` (None: claimed before workers registered), those dead by `now`
        (time.monotonic())."""
        missing = {h for h in holders if h is None or h not in live}
        self._missing_since = {h: self._missing_since.get(h, now) for h in missing}
        return {h for h, since in self._missing_since.items() if now - since >= self.grace}

    def forget(self) -> None:
        """Start observing afresh (this worker just became the leader, or stopped leading)."""
        self._missing_since.clear()
