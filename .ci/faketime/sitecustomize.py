"""Loaded only by .ci/run's run a year ahead (PYTHONPATH=.ci/faketime), in every Python process it starts.

libfaketime 0.9.10 (Debian 12) with FAKETIME_DONT_FAKE_MONOTONIC=1 makes clock_nanosleep on the monotonic
clock fail with EINVAL, and Python 3.11's time.sleep uses it; faking the monotonic clock instead hangs
Event.wait. So, in that run only, time.sleep waits on an Event, which works under libfaketime.
"""
import threading
import time


def _sleep(seconds: float) -> None:
    if seconds < 0:
        raise ValueError("sleep length must be non-negative")
    if seconds:
        threading.Event().wait(seconds)


time.sleep = _sleep
