"""The worker (`flask --app app worker`): hands messages to the gateway at the configured rate and, when it
leads, runs the periodic jobs the domains registered (messaging.control, messaging.hooks). On PostgreSQL any number of workers run
side by side, on one machine or many; on SQLite, the embedded default, one.

Every worker sends, in small batches (about a tenth of a second's worth): it claims a batch (marked
handing_over and committed before the provider is called; FOR UPDATE SKIP LOCKED, so no two workers take
the same message), reserves that many send slots (messaging.ratelimit, shared by all workers on
PostgreSQL), hands each message over at its slot, and records what the provider said. It claims the next
batch while the last is still on the wire, so that slots follow each other without gaps, and keeps only a
few batches in flight, so that a worker killed in the act leaves few messages unknown.

The database may go away (a restart, a failover): every database error in the loops is logged and retried
with a short back-off, and nothing is lost or sent twice. What the provider answered is kept in memory
until it is recorded, however long that takes; a worker killed before recording leaves its messages
handing_over, and the leader marks them unknown: never resent on their own. A claim whose commit failed
(it may have landed) is undone by the same worker before it claims again: it knows it sent none of them.
"""
from __future__ import annotations

import logging
import threading
import time
from collections import deque
from concurrent.futures import ALL_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from core.calendar import calendar_for
from core.extensions import db
from messaging import dispatch, hooks, ratelimit, registry
from messaging.control import ControlLoop, unavailable
from messaging.leader import WorkerLock
from sms.gateway import Gateway, GatewayError, Sent

log = logging.getLogger(__name__)

BATCH_SECONDS = 0.1  # a batch is about this much of the rate (at least SMS_CONCURRENCY messages)
AHEAD_SECONDS = 0.25  # how far ahead of now a worker keeps its sends scheduled
FIND_SKEW = timedelta(minutes=2)  # how far the provider's clock may be behind ours when a copy is looked up


class Backoff:
    """Waits after consecutive failures: 0.5, 1, 2, 4, 5, 5 ... seconds; reset by a success."""

    def __init__(self, first: float = 0.5, cap: float = 5.0):
        self.first, self.cap, self._next = first, cap, first

    def next(self) -> float:
        wait, self._next = self._next, min(self.cap, self._next * 2)
        return wait

    def reset(self) -> None:
        self._next = self.first


@dataclass
class _Batch:
    claimed: list[dispatch.Claimed]
    futures: list[Future]
    end: float  # time.monotonic() of the slot after its last

    def done(self) -> bool:
        return all(f.done() for f in self.futures)


class Worker:
    def __init__(self, app, gateway: Gateway):
        self.app = app
        self.gateway = gateway
        config = app.config
        self.max_attempts = int(config.get("SMS_MAX_ATTEMPTS", 5))
        self.concurrency = int(config.get("SMS_CONCURRENCY", 8))
        rate = float(config.get("SMS_RATE_PER_SECOND", 10))
        with app.app_context():
            self.engine = db.engine
        self.postgres = self.engine.dialect.name == "postgresql"
        self.slots = ratelimit.for_engine(self.engine, rate)
        self.batch_size = max(self.concurrency, int(rate * BATCH_SECONDS) if rate > 0 else 100)
        # claimed and not yet recorded, at most: the next batch can be claimed while one is on the wire
        self.max_in_flight = max(2 * self.batch_size, self.concurrency + self.batch_size)
        # a worker missing this long (as the leader sees it) is dead; longer than any reconnect takes
        self.dead_after = float(config.get("WORKER_DEAD_AFTER_SECONDS", 10))
        self.callback_url = config["PUBLIC_BASE_URL"].rstrip("/") + "/sms/status"
        self.pool = ThreadPoolExecutor(max_workers=self.concurrency, thread_name_prefix="sms-send")
        self.running = threading.Event()  # set while the send loop runs
        self.present = threading.Event()  # set while this worker's liveness lock is held
        self.leading = threading.Event()  # set while this worker leads
        self.worker_id: int | None = None
        self._stop = threading.Event()
        self._unrecorded: list[tuple[dispatch.Claimed, Sent | GatewayError]] = []
        self._claim_failed = False

    def clock(self) -> datetime:
        """Now, by the app's one clock (core.clock), which tests move."""
        return self.app.extensions["clock"].now()

    def quiet_now(self, now: datetime) -> bool:
        """Whether broadcasts wait now (QUIET_HOURS as the config says now: tests change it)."""
        return calendar_for(self.app.config).in_quiet_hours(now)

    def run_jobs(self, session, now: datetime) -> None:
        """The periodic jobs the domains registered, in order, each committing its own work. A job's bug is
        logged and does not keep the others (or the leader's next round) from running; a database that went
        away is raised, for the control loop to wait it out."""
        for name, job in hooks.of(self.app).jobs:
            try:
                job(session, now, self.app.config)
            except Exception as exc:
                session.rollback()
                if unavailable(exc):
                    raise
                log.exception("periodic job %s failed; it runs again in a second", name)

    def tick(self) -> None:
        """The periodic jobs once, on the app's session (tests and benchmarks call it directly)."""
        with self.app.app_context():
            self.run_jobs(db.session, self.clock())

    def recover(self) -> int:
        """Mark unknown every message left handing_over (only right for a single worker that is not sending)."""
        with self.app.app_context():
            count = dispatch.recover_after_crash(db.session, self.clock())
            db.session.commit()
            return count

    # ---- sending --------------------------------------------------------------------------------------------

    def _send(self, claimed: dispatch.Claimed, at: float):
        delay = at - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        try:
            if claimed.check_first:  # the last attempt timed out after it may have reached the provider
                # only a copy made since this message was (allowing for the provider's clock): an older one with
                # the same text to the same number is yesterday's commentary, another message's
                since = (claimed.created_at or datetime.min.replace(tzinfo=timezone.utc)) - FIND_SKEW
                earlier = self.gateway.find(claimed.to, claimed.body, since)
                if earlier is not None:
                    return earlier
            # the message id in the callback URL lets a callback that overtakes the API's answer find its
            # message before the SID is recorded (the signature covers the query string)
            return self.gateway.send(claimed.to, claimed.body, f"{self.callback_url}?m={claimed.id}")
        except GatewayError as exc:
            return exc
        except Exception as exc:  # a bug or an unexpected SDK error: retried, and logged for a person
            log.exception("unexpected error sending message %s", claimed.id)
            return GatewayError(f"{exc.__class__.__name__}: {exc}", retryable=True)

    def send_batch(self, limit: int | None = None) -> int:
        """Hand over what is due now, until nothing is (or `limit` messages), and record every answer; returns
        how many were claimed. A database error propagates; answers not yet recorded stay in memory for
        `_record()` to retry, and every send already started finishes first."""
        in_flight: deque[_Batch] = deque()
        claimed = 0
        more = True
        try:
            while True:
                while in_flight and in_flight[0].done():
                    self._collect(in_flight.popleft())
                    self._record()
                waiting = sum(len(b.claimed) for b in in_flight)
                size = min(self.batch_size, (limit or claimed + self.batch_size) - claimed)
                if more and size > 0 and self._may_claim() and waiting + size <= self.max_in_flight \
                        and (not in_flight or in_flight[-1].end - time.monotonic() < AHEAD_SECONDS):
                    batch = self._start(size)
                    if batch is not None:
                        in_flight.append(batch)
                        claimed += len(batch.claimed)
                        continue
                    more = False
                if not in_flight:
                    return claimed
                wait(in_flight[0].futures, timeout=0.02, return_when=ALL_COMPLETED)
        finally:
            for batch in in_flight:  # a send once started is never forgotten: its answer waits to be recorded
                self._collect(batch)

    def _may_claim(self) -> bool:
        """Not while stopping, nor while a running worker is not known to be alive (the leader could judge
        it dead and mark what it claims unknown)."""
        return not self._stop.is_set() and (self.worker_id is None or self.present.is_set())

    def _start(self, size: int) -> _Batch | None:
        """Claim up to `size` due messages, reserve their send slots and start their sends; None if none."""
        with self.app.app_context():
            now = self.clock()
            # a broadcast that runs into quiet hours pauses here and goes on when they end; answers to clients
            # who wrote in still go
            quiet = self.quiet_now(now)
            self._claim_failed = self.worker_id is not None  # until its sends have started
            claimed = dispatch.claim(db.session, size, now, quiet=quiet, holds=hooks.of(self.app).holds,
                                     worker_id=self.worker_id)
            if not claimed:
                self._claim_failed = False
                return None
            window = self.slots.reserve(len(claimed))
            futures = [self.pool.submit(self._send, c, window.at(i)) for i, c in enumerate(claimed)]
            self._claim_failed = False
            return _Batch(claimed, futures, window.end)

    def _collect(self, batch: _Batch) -> None:
        self._unrecorded.extend(zip(batch.claimed, (f.result() for f in batch.futures), strict=True))

    def _record(self) -> None:
        """Record the answers held in memory, in one transaction; kept for another try if it fails."""
        if not self._unrecorded:
            return
        with self.app.app_context():
            try:
                dispatch.record_all(db.session, self._unrecorded, self.clock(), self.max_attempts)
                db.session.commit()
            except Exception:
                db.session.rollback()
                raise
            self._unrecorded = []

    def _release(self) -> None:
        """After a failed claim: this worker's handing_over messages were never sent; back to pending."""
        with self.app.app_context():
            count = dispatch.release_unsent(db.session, self.worker_id, self.clock())
            if count:
                log.warning("a claim of %s message(s) failed after all; they are pending again", count)
            self._claim_failed = False

    def close(self) -> None:
        self.pool.shutdown(wait=True)

    # ---- running --------------------------------------------------------------------------------------------

    def run(self, stop: threading.Event, idle_sleep: float = 0.5) -> None:
        """Send and (when leading) run the periodic job until `stop` is set. On SQLite, AlreadyRunning if
        another worker runs against the same database."""
        lock = WorkerLock(self.engine)
        lock.acquire()
        try:
            self._run(stop, idle_sleep)
        finally:
            lock.release()

    def _run(self, stop: threading.Event, idle_sleep: float) -> None:
        self._stop = stop
        backoff = Backoff()
        while self.worker_id is None and not stop.is_set():
            try:
                with self.app.app_context():
                    self.worker_id = registry.register(db.session, self.clock())
            except Exception as exc:
                stop.wait(self.log_error("registering the worker", exc, backoff))
        if self.worker_id is None:
            return
        halt = threading.Event()
        control = threading.Thread(target=ControlLoop(self).run, args=(halt,), name="worker-control", daemon=True)
        control.start()
        log.info("worker %s started: gateway %s, %s msg/s%s", self.worker_id, self.gateway.name,
                 1 / self.slots.interval if self.slots.interval else "unlimited",
                 " for all workers together" if self.slots.shared else "")
        self.running.set()
        try:
            self._send_loop(stop, idle_sleep)
        finally:
            self.running.clear()
            self._finish(backoff)
            halt.set()
            control.join()
            try:
                with self.app.app_context():
                    registry.stopped(db.session, self.worker_id, self.clock())
            except Exception as exc:
                log.warning("could not mark worker %s stopped: %s", self.worker_id, exc.__class__.__name__)

    def _send_loop(self, stop: threading.Event, idle_sleep: float) -> None:
        backoff = Backoff()
        while not stop.is_set():
            try:
                self._record()
                if self._claim_failed:
                    self._release()
                sent = self.send_batch() if self.present.is_set() else 0
                backoff.reset()
                if not sent:
                    stop.wait(idle_sleep)
            except Exception as exc:
                stop.wait(self.log_error("sending", exc, backoff))

    def _finish(self, backoff: Backoff) -> None:
        """On the way out: the answers not yet recorded get a few more tries; then they are left handing_over,
        and the leader will mark them unknown."""
        self.pool.shutdown(wait=True)
        for _ in range(3):
            try:
                self._record()
                if self._claim_failed:
                    self._release()
                return
            except Exception as exc:
                time.sleep(self.log_error("recording on the way out", exc, backoff))
        log.error("stopping with %s answer(s) not recorded (messages %s); they will be marked unknown",
                  len(self._unrecorded), [c.id for c, _ in self._unrecorded])

    def log_error(self, doing: str, exc: Exception, backoff: Backoff) -> float:
        """Log a failure of the loop `doing`; returns how long to wait before the next try."""
        delay = backoff.next()
        if unavailable(exc):
            log.warning("worker %s: database unavailable while %s (%s); trying again in %.1f s", self.worker_id,
                        doing, exc.__class__.__name__, delay)
        else:
            log.exception("worker %s: error while %s; trying again in %.1f s", self.worker_id, doing, delay)
        return delay
