"""send_rate: the worker sends 10,000 messages through the twilio SDK to the Twilio emulator (50 ms a request)
at SMS_RATE_PER_SECOND=100 at no less than 90 msg/s, on SQLite and on PostgreSQL; beside it, the rate of a
plain loop of `client.messages.create`, the naive way (issue 3).

Each run starts `TwilioEmulator(latency=0.05)` on loopback and a fresh database with the book (as
audience_snapshot's, 10,000 clients); the daily comment is approved and scheduled for now, and `Worker.tick()`
starts it (the snapshot makes the pending messages). Timed: `worker.send_batch()` until it returns 0, with
the real `messaging.worker.Worker` and `TwilioGateway`, SMS_CONCURRENCY=8. Before the rate counts, every row
must be queued with the emulator's SID and the emulator must hold one message per recipient, with its text.
"""
from __future__ import annotations

import gc
import logging
import secrets
import statistics
import threading
import time

from benchmarks import harness

NAME = "send_rate"
RATE = 100.0  # SMS_RATE_PER_SECOND
TARGET = 90.0  # msg/s, 90% of RATE
LATENCY = 0.05  # seconds the emulator adds to every create
CONCURRENCY = 8
SID, TOKEN, FROM = "AC" + "be0c" * 8, "benchmark-auth-token", "+15005550006"


class TimedGateway:
    """The real gateway, noting when each send starts and ends (to split the time into sending and the rest)."""

    def __init__(self, gateway):
        self.gateway, self.name = gateway, gateway.name
        self.spans: list[tuple[float, float]] = []
        self._lock = threading.Lock()

    def send(self, to: str, body: str, status_callback: str):
        start = time.perf_counter()
        try:
            return self.gateway.send(to, body, status_callback)
        finally:
            with self._lock:
                self.spans.append((start, time.perf_counter()))


class PoolFull(logging.Handler):
    """Counts urllib3's "Connection pool is full, discarding connection" warnings (instead of printing them)."""

    def __init__(self):
        super().__init__(logging.WARNING)
        self.count = 0

    def emit(self, record):
        self.count += "pool is full" in record.getMessage()


def baselines(quick: bool = False, progress=print) -> list[harness.Row]:
    """The plain loop of 500 messages (`quick`: 20) like the broadcast's, one thread, no database, against an
    emulator of its own with the same latency: the baseline of the worker's rows."""
    from sms.emulator import TwilioEmulator
    from sms.twilio_client import close_client, make_client

    count = 20 if quick else 500
    messages = [("+86" + c.mobile, "【示例期货】" + harness.DAILY_COMMENT["body"].format(
        name=c.name, note_link=f"{harness.PUBLIC_BASE_URL}/n/{secrets.token_urlsafe(8)}") + "拒收请回复R")
        for c in harness.book(count)]
    with TwilioEmulator(account_sid=SID, auth_token=TOKEN, latency=LATENCY) as emulator:
        client = make_client(SID, TOKEN, api_base=emulator.base_url)
        try:
            gc.collect()
            start = time.perf_counter()
            for to, body in messages:
                client.messages.create(to=to, from_=FROM, body=body)
            elapsed = time.perf_counter() - start
        finally:
            close_client(client)
        got = emulator.messages
    if len(got) != count or {(m["to"], m["body"]) for m in got} != set(messages):
        raise AssertionError(f"plain loop: the emulator got {len(got)} messages, expected these {count}")
    progress(f"plain loop: {count} messages in {elapsed:.1f} s, {count / elapsed:.1f} msg/s")
    return [harness.Row(NAME, f"plain client.messages.create loop, {count} messages, 1 thread, no database", "",
                        "msg/s", count / elapsed, key="plain", short="plain loop",
                        note="the baseline: the naive way, one request at a time")]


def table(backend: str, postgres_url: str | None = None, quick: bool = False, progress=print) -> list[harness.Row]:
    """One row: the worker's rate against 90 msg/s, compared with the plain loop. `quick`: 300 messages."""
    from broadcast.models import Broadcast, BroadcastState
    from core.extensions import db
    from messaging.worker import Worker
    from sms.emulator import TwilioEmulator
    from sms.gateway import TwilioGateway

    messages = 300 if quick else 10_000
    pool_full, urllib3_log = PoolFull(), logging.getLogger("urllib3.connectionpool")
    urllib3_log.addHandler(pool_full)
    propagate, urllib3_log.propagate = urllib3_log.propagate, False
    with TwilioEmulator(account_sid=SID, auth_token=TOKEN, latency=LATENCY) as emulator, \
            harness.fresh_app(backend, postgres_url, PUBLIC_BASE_URL=harness.PUBLIC_BASE_URL, SMS_GATEWAY="twilio",
                              TWILIO_ACCOUNT_SID=SID, TWILIO_AUTH_TOKEN=TOKEN, TWILIO_FROM=FROM,
                              TWILIO_API_BASE=emulator.base_url, SMS_RATE_PER_SECOND=RATE,
                              SMS_CONCURRENCY=CONCURRENCY, SMS_MAX_ATTEMPTS=5) as app:
        gateway = TimedGateway(TwilioGateway(SID, TOKEN, from_=FROM, api_base=emulator.base_url, timeout=10.0))
        worker = Worker(app, gateway)
        try:
            ids, _ = harness.build(app, messages, ["chief", "approver"])
            broadcast_id = harness.approved_broadcast(app, ids, schedule=True)
            worker.tick()  # starts the broadcast: the snapshot makes the pending messages
            with app.app_context():
                state = db.session.get(Broadcast, broadcast_id).state
                db.session.remove()
            if state != BroadcastState.sending:
                raise AssertionError(f"after the worker's tick the broadcast is {state.value}, not sending")
            batches: list[tuple[float, float]] = []
            gc.collect()
            start = time.perf_counter()
            while True:
                seen = len(gateway.spans)
                if not worker.send_batch():
                    break
                spans = gateway.spans[seen:]
                batches.append((min(s for s, _ in spans), max(e for _, e in spans)))
            elapsed = time.perf_counter() - start
            with app.app_context():
                harness.check_sent(emulator, broadcast_id, messages)
        finally:
            worker.close()
            gateway.gateway.client.http_client.close()
            urllib3_log.removeHandler(pool_full)
            urllib3_log.propagate = propagate
    sending = sum(e - s for s, e in batches)
    progress(f"{messages:,} sent in {elapsed:.1f} s, {messages / elapsed:.1f} msg/s: {len(batches)} batches, "
             f"{sending:.1f} s in their send windows, {elapsed - sending:.1f} s between them (claiming and "
             f"recording); {statistics.median(e - s for s, e in gateway.spans) * 1000:.0f} ms a request; "
             f"{pool_full.count} connections discarded by a full pool")
    rate = messages / elapsed
    return [harness.Row(NAME, f"worker at SMS_RATE_PER_SECOND={RATE:.0f}, {messages:,} messages", backend, "msg/s",
                        rate, ("min", rate), f"≥ {TARGET:.0f}", rate >= TARGET, baseline="plain")]
