"""workers: three `flask worker` processes on one PostgreSQL database send at the shared SMS_RATE_PER_SECOND of
250/s, within 10%, nobody receiving anything twice; one process is the baseline (issue 5).

One database gets the book of audience_snapshot with 5,000 clients. Then twice, one process and then three
with the same settings (SMS_GATEWAY=twilio to a fresh `TwilioEmulator(latency=0.05)`, SMS_CONCURRENCY=8), the
benchmark waits until every process is alive and one leads, schedules the daily comment to all clients for
now (the leader starts it; the same text again is confirmed), and waits until every message is handed over.
The figure is the rate at which the emulator received the creates, (messages - 1) / (last - first); "peak 1 s"
the most within one second. Every row must be queued, the emulator must hold one message per recipient,
and all three processes must have sent. When several workers cannot run, their row says n/a and why.
SQLite runs one worker by design: its rate is send_rate's.
"""
from __future__ import annotations

import bisect
import sys
import tempfile
import time
from pathlib import Path

from benchmarks import harness
from benchmarks.send_rate import FROM, LATENCY, SID, TOKEN

NAME = "workers"
BACKENDS = ("postgresql",)
RATE = 250.0
WORKERS = 3
CONCURRENCY = 8
WITHIN = 0.10  # the several workers' rate must be within this share of RATE
READY_TIMEOUT = 30.0


class Unavailable(RuntimeError):
    """Several workers cannot run here."""


def run_phase(app, ids: dict[str, int], count: int, messages: int, logs: Path, progress) -> tuple[float, int, int]:
    """`count` worker processes send one broadcast to all `messages` clients; checked, then stopped. Returns the
    rate, the peak in one second and how many processes sent."""
    import sqlalchemy as sa

    from core.extensions import db
    from messaging.leader import current_leader, live_workers
    from messaging.models import MessageState
    from messaging.models import OutboundMessage as om
    from sms.emulator import TwilioEmulator

    with TwilioEmulator(account_sid=SID, auth_token=TOKEN, latency=LATENCY) as emulator:
        env = {"DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"], "SECRET_KEY": harness.SECRET_KEY,
               "QUIET_HOURS": "", "SMS_GATEWAY": "twilio", "TWILIO_ACCOUNT_SID": SID, "TWILIO_AUTH_TOKEN": TOKEN,
               "TWILIO_FROM": FROM, "TWILIO_API_BASE": emulator.base_url, "PUBLIC_BASE_URL": "http://127.0.0.1:9",
               "SMS_RATE_PER_SECOND": str(RATE), "SMS_CONCURRENCY": str(CONCURRENCY)}
        pool = [harness.Process([sys.executable, "-m", "flask", "--app", "app", "worker"], env,
                                logs / f"worker-{count}-{n}.log") for n in range(1, count + 1)]

        def exited() -> str:
            return "; ".join(f"worker {n} {gone}" for n, p in enumerate(pool, start=1) if (gone := p.exited()))

        try:
            with app.app_context():
                started, live, leader = time.monotonic(), 0, None
                while live != count or leader is None:
                    if exited():
                        raise Unavailable(f"processes exited at start: {exited()}")
                    if time.monotonic() - started > READY_TIMEOUT:
                        raise Unavailable(f"{live} of {count} processes alive and {'a' if leader else 'no'} leader "
                                          f"after {READY_TIMEOUT:.0f} s")
                    time.sleep(0.2)
                    with db.engine.connect() as conn:
                        live, leader = len(live_workers(conn)), current_leader(conn)
            progress(f"{count} worker process(es) alive, one leading; scheduling {messages:,} messages")
            broadcast_id = harness.approved_broadcast(app, ids, schedule=True)
            settled = sa.select(sa.func.count()).where(  # rows past handing over
                om.broadcast_id == broadcast_id, om.state.not_in([MessageState.pending, MessageState.handing_over]))
            deadline = time.monotonic() + max(120.0, messages / RATE * 4)
            with app.app_context():
                while len(emulator.messages) < messages or db.session.scalar(settled) != messages:
                    db.session.remove()
                    if exited():
                        raise RuntimeError(f"a worker process exited during the send: {exited()}")
                    if time.monotonic() > deadline:
                        raise RuntimeError(f"{len(emulator.messages):,} of {messages:,} messages sent after "
                                           f"{max(120.0, messages / RATE * 4):.0f} s")
                    time.sleep(0.25)
                senders = len(harness.check_sent(emulator, broadcast_id, messages) - {None})
        finally:
            for p in pool:
                p.stop()
        times = sorted(m["received_at"] for m in emulator.messages)
    seconds = times[-1] - times[0]
    rate = (messages - 1) / seconds if seconds > 0 else float("inf")
    peak = max(bisect.bisect_left(times, t + 1.0) - i for i, t in enumerate(times))
    progress(f"{count} worker process(es): {messages:,} messages in {seconds:.1f} s, {rate:.1f} msg/s, peak {peak} "
             f"in 1 s, {senders} sent")
    return rate, peak, senders


def table(backend: str, postgres_url: str | None = None, quick: bool = False, progress=print) -> list[harness.Row]:
    """The single process's row (the baseline) and the three's, on PostgreSQL. `quick`: 600 messages."""
    messages = 600 if quick else 5_000
    low, high = (1 - WITHIN) * RATE, (1 + WITHIN) * RATE
    case = f"{WORKERS} worker processes, limit {RATE:.0f}/s for all, {messages:,} messages"
    with harness.fresh_app(backend, postgres_url, SMS_RATE_PER_SECOND=RATE) as app, \
            tempfile.TemporaryDirectory(prefix="bench-workers-") as logs:
        ids, _ = harness.build(app, messages, ["chief", "approver"])
        one, peak, _ = run_phase(app, ids, 1, messages, Path(logs), progress)
        rows = [harness.Row(NAME, f"1 worker process, limit {RATE:.0f}/s, {messages:,} messages", backend, "msg/s",
                            one, ("peak 1 s", peak), key="one", short="1 worker",
                            note="the baseline: the same settings, one process")]
        try:
            rate, peak, senders = run_phase(app, ids, WORKERS, messages, Path(logs), progress)
        except Unavailable as exc:
            progress(f"{WORKERS} workers: not available: {exc}")
            return rows + [harness.Row(NAME, case, backend, "msg/s", target=f"{low:.0f}–{high:.0f}", baseline="one",
                                       status="n/a", note=f"several workers cannot run here: {exc}")]
    notes = ([f"only {senders} of {WORKERS} workers sent"] if senders != WORKERS else []) + \
        ([f"{rate:.1f} msg/s is not within {WITHIN:.0%} of the limit, {RATE:.0f}/s"] if not low <= rate <= high else [])
    return rows + [harness.Row(NAME, case, backend, "msg/s", rate, ("peak 1 s", peak), f"{low:.0f}–{high:.0f}",
                               not notes, baseline="one", note="; ".join(notes))]
