"""Who may run: on SQLite one worker per database; on PostgreSQL any number, exactly one of them leading.
In-process; the multi-process proofs are in test_workers.py."""
import threading
import time

import pytest
import sqlalchemy as sa

from broadcast import tick
from broadcast.models import Broadcast, BroadcastState
from core.calendar import calendar_for
from core.extensions import db
from messaging.leader import AlreadyRunning, ControlConnection, WorkerLock, current_leader, live_workers
from messaging.models import OutboundMessage
from messaging.registry import DeathWatch
from messaging.worker import Backoff, Worker
from tests.broadcast.helpers import ON_POSTGRES, ScriptedGateway, states

postgres_only = pytest.mark.skipif(not ON_POSTGRES, reason="leadership by advisory lock is PostgreSQL's; "
                                   "SQLite has one worker (run with TEST_DATABASE_URL=postgresql+psycopg://...)")


def wait_for(predicate, timeout=10.0, step=0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return False


def test_on_sqlite_a_second_worker_is_refused_until_the_first_stops(app, monkeypatch):
    if db.engine.dialect.name != "sqlite":
        first, second = WorkerLock(db.engine), WorkerLock(db.engine)
        first.acquire()
        second.acquire()  # PostgreSQL: no limit on workers
        return
    monkeypatch.setitem(app.config, "QUIET_HOURS", "")
    stop = threading.Event()
    first = Worker(app, ScriptedGateway())
    thread = threading.Thread(target=first.run, args=(stop, 0.05))
    thread.start()
    try:
        assert wait_for(first.running.is_set)
        assert wait_for(first.leading.is_set)  # the only worker leads
        second = Worker(app, ScriptedGateway())
        with pytest.raises(AlreadyRunning):
            second.run(threading.Event())
        second.close()
    finally:
        stop.set()
        thread.join(timeout=10)
    assert not thread.is_alive()
    lock = WorkerLock(db.engine)
    lock.acquire()
    lock.release()


@postgres_only
def test_one_leader_among_connections_and_the_next_takes_over_when_it_goes(app):
    url = db.engine.url
    a, b = ControlConnection(url, 101), ControlConnection(url, 102)
    try:
        assert a.try_lead() and not b.try_lead()
        with db.engine.connect() as conn:
            assert live_workers(conn) == {101, 102}
            assert current_leader(conn) == 101
        a.drop()  # as when its process dies: the server releases both locks
        assert b.try_lead()
        with db.engine.connect() as conn:
            assert live_workers(conn) == {102} and current_leader(conn) == 102
    finally:
        a.close()
        b.close()


@postgres_only
def test_a_leader_whose_connection_is_cut_steps_down_and_another_leads(app, monkeypatch):
    monkeypatch.setitem(app.config, "QUIET_HOURS", "")
    stops = [threading.Event(), threading.Event()]
    workers = [Worker(app, ScriptedGateway()), Worker(app, ScriptedGateway())]
    threads = [threading.Thread(target=w.run, args=(s, 0.05)) for w, s in zip(workers, stops, strict=True)]
    for t in threads:
        t.start()
    try:
        assert wait_for(lambda: sum(w.leading.is_set() for w in workers) == 1)
        leader = next(w for w in workers if w.leading.is_set())
        with db.engine.connect() as conn:  # the database ends the leader's session, as a failover would
            conn.execute(sa.text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                 "WHERE application_name = :n"), {"n": f"futures-sms worker {leader.worker_id}"})
            conn.commit()
        assert wait_for(lambda: not leader.leading.is_set() or current_is_other(leader), timeout=5)
        assert wait_for(lambda: sum(w.leading.is_set() for w in workers) == 1, timeout=5)
        assert wait_for(lambda: all(w.present.is_set() for w in workers), timeout=5)
        for _ in range(20):  # never two at once
            assert sum(w.leading.is_set() for w in workers) <= 1
            time.sleep(0.05)
    finally:
        for s in stops:
            s.set()
        for t in threads:
            t.join(timeout=10)
        for w in workers:
            w.close()


def current_is_other(worker) -> bool:
    with db.engine.connect() as conn:
        return current_leader(conn) not in (None, worker.worker_id)


def test_a_broadcast_is_started_once_even_by_two_overlapping_ticks(app, approved, clock):
    """Two runs of the job that both listed the broadcast as due: only the first starts it, the second finds
    it no longer scheduled and neither snapshots nor audits it again."""
    from broadcast import scheduling
    from broadcast.settings import Settings
    from core.audit import AuditEntry

    cfg = tick.TickConfig.from_config(app.config)
    scheduling.schedule(db.session, approved, approved.chief, None, Settings.from_config(app.config), clock(), calendar_for({"QUIET_HOURS": ""}))
    db.session.commit()
    other = sa.orm.Session(db.engine)
    stale = other.get(Broadcast, approved.id)  # the second run read it while it was still scheduled
    assert stale.state == BroadcastState.scheduled
    assert tick.start_due(db.session, clock(), cfg) == [approved.id]
    assert tick.start_one(other, stale, clock(), cfg) is False
    other.close()
    assert states(approved) == {"pending": 5}
    starts = db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)
                               .where(AuditEntry.action == "broadcast.start"))
    assert starts == 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboundMessage)) == 5


def test_the_leader_judges_a_worker_dead_only_after_missing_for_the_grace():
    watch = DeathWatch(grace=10)
    assert watch.dead({1, 2, None}, live={1}, now=100.0) == set()
    assert watch.dead({1, 2, None}, live={1, 2}, now=105.0) == set()  # 2 came back (after a restart)
    assert watch.dead({1, 2, None}, live={1}, now=109.9) == set()
    assert watch.dead({1, 2, None}, live={1}, now=110.0) == {None}  # None: claimed before registration
    assert watch.dead({1, 2, None}, live={1}, now=119.0) == {None}  # 2 missing since 110 only
    assert watch.dead({1, 2}, live={1}, now=120.0) == {2}
    assert DeathWatch(grace=0).dead({3}, live={4}, now=0.0) == {3}


def test_backoff_doubles_to_a_cap_and_resets():
    b = Backoff(first=0.5, cap=3)
    assert [b.next() for _ in range(5)] == [0.5, 1.0, 2.0, 3, 3]
    b.reset()
    assert b.next() == 0.5


def test_worker_status_lists_the_registered_workers(app, runner, clock):
    from messaging.cli import worker_command
    from messaging.registry import register, stopped

    gone, running = register(db.session, clock()), register(db.session, clock())
    stopped(db.session, register(db.session, clock()), clock())
    control = ControlConnection(db.engine.url, running) if ON_POSTGRES else None
    try:
        if control is not None:
            control.try_lead()
        result = runner.invoke(worker_command, ["--status"])
    finally:
        if control is not None:
            control.close()
    assert result.exit_code == 0, result.output
    states = {int(line.split()[0]): line.split()[-1] for line in result.output.splitlines()[1:]}
    assert states[gone] == "gone" and states[gone + 2] == "stopped"
    assert states[running] == ("leader" if ON_POSTGRES else "gone")  # SQLite: no worker holds the file lock
