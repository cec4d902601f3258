"""Who is alive, and which one worker leads (runs the periodic job), decided by the database itself.

PostgreSQL: every worker keeps one connection of its own (`ControlConnection`, outside the app's pool) and
holds on it two session-level advisory locks of the class `LOCK_CLASS`: key (LOCK_CLASS, its worker id),
which says it is alive, and, for one worker only, (LOCK_CLASS, 0), which makes it the leader. The server
releases both the moment that connection ends: the process died, was killed, its machine went away (TCP
keepalives are set short on that connection, so a dead machine is noticed within seconds), or the
database restarted. Nothing depends on clocks or heartbeats. Advisory locks belong to one database, so two
databases on one server never see each other's workers.

The leader runs its periodic job on that same connection, so a leader whose connection broke cannot
commit anything more: its lock and its transaction end together, before another worker can take the lock.

SQLite, the embedded default for one machine: one worker only, kept so by an exclusive lock on a file beside
the database (`WorkerLock`); that worker is always the leader.
"""
from __future__ import annotations

import fcntl
import os
from pathlib import Path

import sqlalchemy as sa

LOCK_CLASS = 74_029  # the first key of every advisory lock of this project; the second is 0 or a worker id
LEADER = 0

# libpq connection settings for the control connection: notice a dead server within ~10 s
_CLIENT_KEEPALIVES = {"keepalives": 1, "keepalives_idle": 5, "keepalives_interval": 2, "keepalives_count": 3}
# and make the server notice a dead worker machine as fast, so that its locks are released
_SERVER_KEEPALIVES = ("SET tcp_keepalives_idle = 5", "SET tcp_keepalives_interval = 2",
                      "SET tcp_keepalives_count = 3")


class AlreadyRunning(RuntimeError):
    pass


class LostLeadership(RuntimeError):
    pass


class WorkerLock:
    """SQLite only: one worker per database file. On PostgreSQL any number may run; this lock does nothing."""

    def __init__(self, engine: sa.Engine):
        self.engine = engine
        self._fd: int | None = None

    def acquire(self) -> None:
        """Take the lock or raise AlreadyRunning naming the lock file."""
        database = self.engine.url.database
        if self.engine.dialect.name != "sqlite" or not database or database == ":memory:":
            return
        path = Path(database).with_name(Path(database).name + ".worker.lock")
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise AlreadyRunning(f"another worker already runs against this SQLite database (lock {path}); "
                                 "several workers need PostgreSQL") from None
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


class ControlConnection:
    """A worker's own PostgreSQL connection, holding its liveness lock and, when it leads, the leader's.

    Used by one thread only (the worker's control loop). Any database error leaves it for `drop()`; the
    next `ensure()` connects again and takes the liveness lock again."""

    def __init__(self, url: sa.URL, worker_id: int):
        self.worker_id = worker_id
        self._engine = sa.create_engine(
            url, poolclass=sa.pool.NullPool, hide_parameters=True,
            connect_args={**_CLIENT_KEEPALIVES, "application_name": f"futures-sms worker {worker_id}"})
        self.conn: sa.Connection | None = None
        self.leading = False

    def ensure(self) -> sa.Connection:
        """The connection, made and its liveness lock taken if needed. Raises a database error if the server
        cannot be reached, or RuntimeError if the lock is held elsewhere (only a previous session of this same
        worker the server has not yet noticed is gone can hold it: the next try will get it)."""
        if self.conn is not None and not (self.conn.invalidated or self.conn.closed):
            return self.conn
        # never let SQLAlchemy quietly reconnect a broken connection: a new session holds none of the locks
        self.drop()
        conn = self._engine.connect()
        try:
            for statement in _SERVER_KEEPALIVES:
                conn.execute(sa.text(statement))
            got = conn.execute(sa.text("SELECT pg_try_advisory_lock(:c, :k)"),
                               {"c": LOCK_CLASS, "k": self.worker_id}).scalar()
            conn.commit()
        except Exception:
            conn.close()
            raise
        if not got:
            conn.close()
            raise RuntimeError(f"the liveness lock of worker {self.worker_id} is still held by an older session")
        self.conn = conn
        return conn

    def try_lead(self) -> bool:
        """Take the leader's lock if nobody holds it. Returns whether this worker leads now."""
        if not self.leading:
            conn = self.ensure()
            self.leading = bool(conn.execute(sa.text("SELECT pg_try_advisory_lock(:c, :k)"),
                                             {"c": LOCK_CLASS, "k": LEADER}).scalar())
            conn.commit()
        return self.leading

    def alive(self) -> bool:
        """Whether the connection still answers and still holds this worker's liveness lock."""
        if self.conn is None or self.conn.invalidated or self.conn.closed:
            return False
        try:
            keys = held_keys(self.conn)
            self.conn.commit()
        except sa.exc.SQLAlchemyError:
            return False
        return self.worker_id in keys

    def check_leading(self, conn: sa.Connection) -> None:
        """Raise LostLeadership unless `conn` (this connection, in the transaction about to run the
        leader's job) is still the session that holds the leader's lock."""
        if conn.invalidated or LEADER not in held_keys(conn):
            raise LostLeadership(f"worker {self.worker_id} no longer holds the leader's lock")

    def drop(self) -> None:
        """Close the connection: the server releases its locks (if it has not already). Never raises."""
        conn, self.conn, self.leading = self.conn, None, False
        if conn is not None:
            try:
                conn.invalidate()
                conn.close()
            except Exception:  # the connection is broken anyway
                pass

    def close(self) -> None:
        self.drop()
        self._engine.dispose()


_THIS_DATABASE = "(SELECT oid FROM pg_database WHERE datname = current_database())"


def held_keys(conn: sa.Connection) -> set[int]:
    """The second keys of this project's advisory locks that the session of `conn` holds."""
    rows = conn.execute(sa.text("SELECT objid::bigint FROM pg_locks WHERE locktype = 'advisory' AND granted "
                                "AND objsubid = 2 AND classid = :c AND pid = pg_backend_pid()"), {"c": LOCK_CLASS})
    return {int(r[0]) for r in rows}


def live_workers(conn: sa.Connection) -> set[int]:
    """Ids of the workers whose liveness lock is held in this database right now."""
    rows = conn.execute(sa.text(
        "SELECT objid::bigint FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 2 "
        f"AND classid = :c AND objid <> :leader AND database = {_THIS_DATABASE}"),
        {"c": LOCK_CLASS, "leader": LEADER})
    return {int(r[0]) for r in rows}


def current_leader(conn: sa.Connection) -> int | None:
    """The id of the worker that leads now (its session holds both the leader's and its own lock), or None."""
    return conn.execute(sa.text(
        "SELECT own.objid::bigint FROM pg_locks lead JOIN pg_locks own ON own.pid = lead.pid "
        "WHERE lead.locktype = 'advisory' AND lead.granted AND lead.objsubid = 2 AND lead.classid = :c "
        "AND lead.objid = :leader AND own.locktype = 'advisory' AND own.granted AND own.objsubid = 2 "
        f"AND own.classid = :c AND own.objid <> :leader AND lead.database = {_THIS_DATABASE} LIMIT 1"),
        {"c": LOCK_CLASS, "leader": LEADER}).scalar()
