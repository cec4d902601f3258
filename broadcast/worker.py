"""The worker (`flask --app app worker`): starts scheduled broadcasts, hands messages to the gateway at the
configured rate, and finishes broadcasts. One worker per database on SQLite (the embedded default).

APScheduler runs the periodic job (start what is due, expire, finish) from a SQLAlchemyJobStore in the
app's own database; the schedule itself is the broadcasts' `send_at`, so a restart loses nothing and a
broadcast that should have started while the worker was down is judged when it comes back: sent if it
is still valid and outside quiet hours, otherwise marked missed for a person to decide.
"""
from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from broadcast import dispatch
from broadcast.models import Broadcast, BroadcastState
from broadcast.settings import Settings
from broadcast.timing import in_quiet_hours, parse_quiet_hours
from core import audit
from core.extensions import db
from core.timeutil import utcnow
from followups import intake
from followups.settings import FollowUpSettings
from sms.gateway import Gateway, GatewayError

log = logging.getLogger(__name__)


class RateLimiter:
    """At most `rate` acquisitions per second, evenly spaced, shared by the sending threads."""

    def __init__(self, rate: float):
        self.interval = 1.0 / rate if rate > 0 else 0.0
        self._next = time.monotonic()
        self._lock = threading.Lock()

    def acquire(self) -> None:
        with self._lock:
            now = time.monotonic()
            wait = self._next - now
            self._next = max(now, self._next) + self.interval
        if wait > 0:
            time.sleep(wait)


class Worker:
    def __init__(self, app, gateway: Gateway, clock=utcnow):
        self.app = app
        self.gateway = gateway
        self.clock = clock
        config = app.config
        self.settings = Settings.from_config(config)
        self.followup_settings = FollowUpSettings.from_config(config)
        self.quiet = parse_quiet_hours(config.get("QUIET_HOURS"))
        self.max_attempts = int(config.get("SMS_MAX_ATTEMPTS", 5))
        self.late_grace = timedelta(seconds=int(config.get("LATE_GRACE_SECONDS", 120)))
        self.concurrency = int(config.get("SMS_CONCURRENCY", 8))
        self.limiter = RateLimiter(float(config.get("SMS_RATE_PER_SECOND", 10)))
        self.callback_url = self.settings.public_base_url + "/sms/status"
        self.pool = ThreadPoolExecutor(max_workers=self.concurrency, thread_name_prefix="sms-send")
        self.running = threading.Event()  # set once the worker holds the lock and sends

    # ---- the periodic job ---------------------------------------------------------------------------------

    def quiet_now(self, now: datetime) -> bool:
        return in_quiet_hours(now.astimezone(ZoneInfo(self.settings.timezone)), self.quiet)

    def too_late(self, send_at: datetime, now: datetime) -> str | None:
        """Why a start this late needs a person to decide, or None. A little late is fine; late into quiet
        hours, or on another day than planned (the worker was down overnight), is not."""
        if now - send_at <= self.late_grace:
            return None
        if self.quiet_now(now):
            return "due during quiet hours"
        zone = ZoneInfo(self.settings.timezone)
        if send_at.astimezone(zone).date() != now.astimezone(zone).date():
            return "not sent on the day it was planned for"
        return None

    def start_due(self, now: datetime) -> list[int]:
        """Start every scheduled broadcast whose time has come. Commits."""
        started = []
        due = db.session.scalars(sa.select(Broadcast).where(Broadcast.state == BroadcastState.scheduled,
                                                            Broadcast.send_at <= now)).all()
        for b in due:
            if b.recurrence:
                self._occur(b, now)
                continue
            expired = b.valid_until is not None and b.valid_until <= now
            too_late = self.too_late(b.send_at, now)
            if expired or too_late:
                b.state = BroadcastState.missed
                b.state_reason = "expired before it could start" if expired else too_late
                audit.record(db.session, "broadcast.missed", actor_label="worker", obj_type="broadcast", obj_id=b.id,
                             detail={"send_at": b.send_at.isoformat(), "reason": b.state_reason})
                db.session.commit()
                continue
            count = dispatch.snapshot(db.session, b, self.settings, now)
            b.state = BroadcastState.sending
            b.started_at = now
            audit.record(db.session, "broadcast.start", actor_label="worker", obj_type="broadcast", obj_id=b.id,
                         detail={"recipients": count, "late_seconds": int((now - b.send_at).total_seconds())})
            db.session.commit()
            started.append(b.id)
        return started

    def _occur(self, parent: Broadcast, now: datetime) -> None:
        """One occurrence of a recurring commentary: sent as a child broadcast, unless the worker comes back
        so late that the occurrence falls in quiet hours (then it is recorded as missed); then the next one."""
        from broadcast.scheduling import occurrence
        from broadcast.timing import next_occurrence, parse_holidays, parse_recurrence

        too_late = self.too_late(parent.send_at, now)
        if too_late:
            audit.record(db.session, "broadcast.missed", actor_label="worker", obj_type="broadcast", obj_id=parent.id,
                         detail={"send_at": parent.send_at.isoformat(), "reason": too_late})
        else:
            child = occurrence(db.session, parent, now)
            count = dispatch.snapshot(db.session, child, self.settings, now)
            audit.record(db.session, "broadcast.start", actor_label="worker", obj_type="broadcast", obj_id=child.id,
                         detail={"recipients": count, "recurrence_of": parent.id})
        local_now = now.astimezone(ZoneInfo(self.settings.timezone))
        parent.send_at = next_occurrence(local_now, parse_recurrence(parent.recurrence),
                                         parse_holidays(self.app.config.get("HOLIDAYS"))).astimezone(now.tzinfo)
        db.session.commit()

    def tick(self) -> None:
        with self.app.app_context():
            now = self.clock()
            self.start_due(now)
            dispatch.sweep(db.session, now)
            db.session.commit()
            intake.route_stragglers(db.session, self.followup_settings, now)

    # ---- sending --------------------------------------------------------------------------------------------

    def _send(self, claimed: dispatch.Claimed):
        self.limiter.acquire()
        try:
            if claimed.check_first:  # the last attempt timed out after it may have reached the provider
                earlier = self.gateway.find(claimed.to, claimed.body)
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
        """Claim due messages and hand them over, `concurrency` at a time at the configured rate. Returns how many."""
        with self.app.app_context():
            now = self.clock()
            # a broadcast that runs into quiet hours pauses here and goes on when they end; answers to clients
            # who wrote in still go
            quiet = self.quiet_now(now)
            # about two seconds' worth: the claim and record commits between batches cost little of the rate,
            # and a pause or cancel still takes effect within seconds
            per_second = int(1.0 / self.limiter.interval) if self.limiter.interval else 100
            batch = limit or max(self.concurrency, 2 * per_second)
            claimed = dispatch.claim(db.session, batch, now, broadcasts=not quiet)
            if not claimed:
                return 0
            outcomes = list(self.pool.map(self._send, claimed))
            done = self.clock()
            for item, outcome in zip(claimed, outcomes, strict=True):
                dispatch.record(db.session, item, outcome, done, self.max_attempts)
            db.session.commit()
            return len(claimed)

    def close(self) -> None:
        self.pool.shutdown(wait=True)

    def recover(self) -> int:
        with self.app.app_context():
            count = dispatch.recover_after_crash(db.session, self.clock())
            db.session.commit()
            if count:
                log.warning("%s message(s) were being handed over when the worker stopped; marked unknown", count)
            return count

    def run(self, stop: threading.Event, idle_sleep: float = 0.5) -> None:
        from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
        from apscheduler.schedulers.background import BackgroundScheduler

        from broadcast.leader import WorkerLock

        with self.app.app_context():
            lock = WorkerLock(db.engine)
        lock.acquire()  # AlreadyRunning: a second worker would run a second scheduler
        try:
            self._run(stop, idle_sleep, SQLAlchemyJobStore, BackgroundScheduler)
        finally:
            lock.release()

    def _run(self, stop: threading.Event, idle_sleep: float, SQLAlchemyJobStore, BackgroundScheduler) -> None:
        self.recover()
        logging.getLogger("apscheduler").setLevel(logging.WARNING)  # not a line per second in the log
        with self.app.app_context():
            store = SQLAlchemyJobStore(engine=db.engine, tablename="apscheduler_jobs")
        scheduler = BackgroundScheduler(jobstores={"default": store}, timezone="UTC")
        scheduler.add_job(tick_job, "interval", seconds=1, id="broadcast-tick", replace_existing=True,
                          coalesce=True, max_instances=1, misfire_grace_time=30)
        scheduler.start()
        _CURRENT["worker"] = self
        self.running.set()
        log.info("worker started: gateway %s, %s msg/s", self.gateway.name, 1 / self.limiter.interval
                 if self.limiter.interval else "unlimited")
        try:
            while not stop.is_set():
                if not self.send_batch():
                    stop.wait(idle_sleep)
        finally:
            self.running.clear()
            scheduler.shutdown(wait=True)
            self.pool.shutdown(wait=True)
            _CURRENT.pop("worker", None)


# APScheduler stores jobs by reference to a module-level function; it finds the running worker here.
_CURRENT: dict[str, Worker] = {}


def tick_job() -> None:
    worker = _CURRENT.get("worker")
    if worker is not None:
        worker.tick()
