"""Exactly one worker per database: a second one is refused until the first stops (or dies)."""
import threading

import pytest

from broadcast.leader import AlreadyRunning, WorkerLock
from broadcast.worker import Worker
from core.extensions import db
from tests.broadcast.helpers import ScriptedGateway


def test_a_second_lock_is_refused_until_the_first_is_released(app):
    first, second = WorkerLock(db.engine), WorkerLock(db.engine)
    first.acquire()
    try:
        with pytest.raises(AlreadyRunning):
            second.acquire()
    finally:
        first.release()
    second.acquire()
    second.release()


def test_a_running_worker_keeps_a_second_from_starting(app, monkeypatch):
    monkeypatch.setitem(app.config, "QUIET_HOURS", "")
    stop = threading.Event()
    first = Worker(app, ScriptedGateway())
    thread = threading.Thread(target=first.run, args=(stop, 0.05))
    thread.start()
    try:
        for _ in range(100):
            if first.running.is_set():
                break
            stop.wait(0.05)
        second = Worker(app, ScriptedGateway())
        with pytest.raises(AlreadyRunning):
            second.run(threading.Event())
        second.close()
    finally:
        stop.set()
        thread.join(timeout=10)
    assert not thread.is_alive()
