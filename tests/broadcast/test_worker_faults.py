"""The worker's send loop when the database fails under it, in-process on both databases: a claim whose commit
failed (it may have landed) is undone, an answer that could not be recorded is kept and recorded later, and
nothing is sent twice. (The same with real processes and a real restart: test_workers.py.)"""
from __future__ import annotations

import threading
import time

import sqlalchemy as sa

from core.extensions import db
from messaging import dispatch, hooks, registry
from tests.broadcast.helpers import start_now, states


def _gone() -> sa.exc.OperationalError:
    return sa.exc.OperationalError("COMMIT", {}, Exception("server closed the connection unexpectedly"))


def _run_until(worker, predicate, timeout=10.0) -> bool:
    stop = threading.Event()
    thread = threading.Thread(target=worker._send_loop, args=(stop, 0.01))
    worker._stop = stop
    thread.start()
    try:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return True
            time.sleep(0.05)
        return False
    finally:
        stop.set()
        thread.join(timeout=10)


def test_a_claim_that_failed_after_committing_is_put_back_and_sent_once(app, approved, clock, worker, gateway,
                                                                        monkeypatch):
    start_now(app, approved, clock, worker)
    worker.worker_id = registry.register(db.session, clock())
    worker.present.set()
    real_claim, failures = dispatch.claim, []

    def claim_then_lose_the_answer(*args, **kwargs):
        claimed = real_claim(*args, **kwargs)  # committed, but the worker never hears so
        if not failures:
            failures.append(claimed)
            raise _gone()
        return claimed

    monkeypatch.setattr(dispatch, "claim", claim_then_lose_the_answer)
    assert _run_until(worker, lambda: states(approved) == {"queued": 5})
    assert len(failures[0]) == 5  # the first claim did take all five ...
    assert sorted(gateway.calls) == sorted(set(gateway.calls)) and len(gateway.calls) == 5  # ... none went twice
    attempts = set(db.session.scalars(sa.select(dispatch.OutboundMessage.attempts)))
    assert attempts == {1}  # the undone claim did not count as an attempt


def test_answers_that_could_not_be_recorded_are_kept_and_recorded_later_not_resent(app, approved, clock, worker,
                                                                                   gateway, monkeypatch):
    start_now(app, approved, clock, worker)
    worker.worker_id = registry.register(db.session, clock())
    worker.present.set()
    real_record, failures = dispatch.record_all, []

    def record_while_the_database_is_away(*args, **kwargs):
        if len(failures) < 2:
            failures.append(1)
            raise _gone()
        return real_record(*args, **kwargs)

    monkeypatch.setattr(dispatch, "record_all", record_while_the_database_is_away)
    assert _run_until(worker, lambda: states(approved) == {"queued": 5})
    assert len(failures) == 2 and len(gateway.calls) == 5 == len(set(gateway.calls))
    sids = set(db.session.scalars(sa.select(dispatch.OutboundMessage.provider_sid)))
    assert sids == {sid for _, _, sid in gateway.accepted}


def test_an_answer_recorded_after_the_leader_gave_the_message_up_as_unknown_makes_it_queued(app, approved, clock,
                                                                                             worker):
    start_now(app, approved, clock, worker)
    claimed = dispatch.claim(db.session, 1, clock(), holds=hooks.of(app).holds)
    assert dispatch.recover_after_crash(db.session, clock(), {None}) == 1  # the worker was thought dead
    db.session.commit()
    dispatch.record_all(db.session, [(claimed[0], dispatch.Sent(sid="SM" + "7" * 32))], clock(), 3)
    db.session.commit()
    assert states(approved) == {"queued": 1, "pending": 4}
