"""Exactly one worker (and so one scheduler) per database.

On PostgreSQL a session-level advisory lock, held by a connection kept open for the worker's life, is
released by the server the moment that worker dies. On SQLite, the embedded default for one machine,
an exclusive lock on a file beside the database does the same through the operating system.
"""
from __future__ import annotations

import fcntl
import os
from pathlib import Path

import sqlalchemy as sa

ADVISORY_KEY = 7_402_931_118  # any constant the project owns; all workers of one database use it


class AlreadyRunning(RuntimeError):
    pass


class WorkerLock:
    def __init__(self, engine: sa.Engine):
        self.engine = engine
        self._conn = None
        self._engine: sa.Engine | None = None
        self._fd: int | None = None

    def acquire(self) -> None:
        """Take the lock or raise AlreadyRunning naming where the other worker holds it."""
        if self.engine.dialect.name == "postgresql":
            # a connection of its own, outside the app's pool: the lock lives exactly as long as it does
            self._engine = sa.create_engine(self.engine.url, poolclass=sa.pool.NullPool)
            conn = self._engine.connect()
            got = conn.execute(sa.text("SELECT pg_try_advisory_lock(:key)"), {"key": ADVISORY_KEY}).scalar()
            conn.commit()
            if not got:
                conn.close()
                self._engine.dispose()
                raise AlreadyRunning("another worker already runs against this PostgreSQL database")
            self._conn = conn
            return
        database = self.engine.url.database
        if not database or database == ":memory:":
            return
        path = Path(database).with_name(Path(database).name + ".worker.lock")
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise AlreadyRunning(f"another worker already runs against this database (lock {path})") from None
        self._fd = fd

    def release(self) -> None:
        if self._conn is not None:
            try:
                self._conn.execute(sa.text("SELECT pg_advisory_unlock(:key)"), {"key": ADVISORY_KEY})
                self._conn.commit()
            finally:
                self._conn.close()
                self._conn = None
                self._engine.dispose()
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None
