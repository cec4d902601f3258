"""A worker's control loop, a thread of its own: about once a second it stays alive (holds its liveness lock),
tries to lead, and, while it leads, runs the leader's job: first the handovers of dead workers, then the
periodic jobs the domains registered (messaging.hooks).

PostgreSQL: the liveness and leader locks live on the worker's own connection (messaging.leader), and the
leader's job runs in a session on that very connection, so a leader whose connection broke cannot commit
anything: it steps down, connects again, and leads again only if the lock is still free.
SQLite: one worker (the file lock), which is always the leader and always alive.
"""
from __future__ import annotations

import logging
import threading
import time

import sqlalchemy as sa
from sqlalchemy.orm import Session

from core.extensions import db
from messaging import dispatch, registry
from messaging.leader import ControlConnection, LostLeadership, live_workers

log = logging.getLogger("messaging.worker")

SEEN_EVERY = 5.0  # seconds between two updates of workers.last_seen_at


def lead_once(worker, session, live: set[int], watch: registry.DeathWatch) -> None:
    """One run of the leader's job on `session`: dead workers' handovers first, then the periodic job."""
    now = worker.clock()
    dead = watch.dead(dispatch.handing_over_holders(session), live, time.monotonic())
    if dead:
        count = dispatch.recover_after_crash(session, now, dead)
        session.commit()
        if count:
            log.warning("%s message(s) were being handed over by worker(s) %s when they stopped; marked unknown, "
                        "never resent", count, sorted(dead, key=str))
    worker.run_jobs(session, now)


class ControlLoop:
    def __init__(self, worker):
        self.worker = worker
        self.postgres = worker.postgres
        self.watch = registry.DeathWatch(worker.dead_after if self.postgres else 0.0)
        self.control = ControlConnection(worker.engine.url, worker.worker_id) if self.postgres else None
        self._seen = 0.0

    def run(self, halt: threading.Event) -> None:
        from messaging.worker import Backoff

        w = self.worker
        backoff = Backoff()
        try:
            while not halt.is_set():
                began = time.monotonic()
                try:
                    if self.control is None:
                        self._sqlite_once()
                    else:
                        self._postgres_once(began)
                    backoff.reset()
                    wait = 1.0 - (time.monotonic() - began)
                except Exception as exc:
                    if self.control is not None and (isinstance(exc, LostLeadership) or not self.control.alive()):
                        self._lost()
                    wait = w.log_error("running the periodic job", exc, backoff)
                halt.wait(max(0.0, wait))
        finally:
            w.leading.clear()
            if self.control is not None:
                self.control.close()  # releases the locks at once: another worker may lead within a second

    def _sqlite_once(self) -> None:
        """The file lock makes this the only worker, and so the leader; it is alive as long as it runs."""
        w = self.worker
        w.present.set()
        w.leading.set()
        with w.app.app_context():
            try:
                lead_once(w, db.session, {w.worker_id}, self.watch)
            finally:
                db.session.remove()

    def _postgres_once(self, now: float) -> None:
        w, control = self.worker, self.control
        conn = control.ensure()  # a new connection if the last one broke: then it does not lead (yet)
        w.present.set()
        if not control.leading and w.leading.is_set():
            log.warning("worker %s lost its database session: no longer the leader", w.worker_id)
            w.leading.clear()
            self.watch.forget()
        if not control.leading and control.try_lead():
            log.info("worker %s is the leader now", w.worker_id)
            self.watch.forget()
            w.leading.set()
        if now - self._seen >= SEEN_EVERY:
            registry.seen(conn, w.worker_id, w.clock())
            conn.commit()
            self._seen = now
        if control.leading:
            # on the leader's own connection: if it broke, the lock is gone and nothing here can commit
            # in the app's context, so that column defaults and the audit read the app's clock like `now`
            with w.app.app_context(), Session(bind=conn) as session:
                control.check_leading(session.connection())
                lead_once(w, session, live_workers(session.connection()), self.watch)

    def _lost(self) -> None:
        """The connection (and with it the locks) is gone, or may be: start again from nothing."""
        w = self.worker
        self.control.drop()
        w.present.clear()
        if w.leading.is_set():
            log.warning("worker %s lost its database session: no longer the leader", w.worker_id)
        w.leading.clear()
        self.watch.forget()


def unavailable(exc: Exception) -> bool:
    """Whether `exc` says the database could not be reached (expected during a restart: no traceback)."""
    if isinstance(exc, (sa.exc.OperationalError, sa.exc.InterfaceError, LostLeadership)):
        return True
    return isinstance(exc, sa.exc.DBAPIError) and exc.connection_invalidated
