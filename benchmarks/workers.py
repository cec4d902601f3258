"""Benchmark: several `flask worker` processes on one PostgreSQL database against a single one (target: the
several together send at the configured SMS_RATE_PER_SECOND, within 10%, nobody receiving anything twice).

The requirement (issue 5): `flask --app app worker` runs as several processes against one PostgreSQL
database; no two hand over the same message, and the configured messages-per-second is a limit for all of
them together, not per worker. The fault test of the same issue asks for a 5,000-message broadcast by three
workers "with no recipient receiving it twice and the overall rate within 10% of the limit".

One fresh PostgreSQL database (beside the one `--postgres` names, dropped at the end) gets the migrations,
the account managers of benchmarks/import_clients.py, a chief analyst, an approver and 5,000 generated
clients with tiers (as benchmarks/audience_snapshot.py builds them). Then, twice, against a fresh
`sms.emulator.TwilioEmulator(latency=0.05)` on loopback in this process:

1. the baseline: ONE worker process, `python -m flask --app app worker`, with SMS_GATEWAY=twilio (the
   official twilio SDK over HTTP to the emulator), SMS_RATE_PER_SECOND=250 (`--rate`), SMS_CONCURRENCY=8,
   QUIET_HOURS="";
2. THREE worker processes (`--workers`) with the very same settings.

Each time the benchmark waits until every process is alive and one leads (`broadcast.leader`), schedules a
daily comment to all 5,000 clients for now (the leader starts it), and waits until every message is
handed over. The figure is the rate the emulator saw: (messages - 1) / (last create - first create), from
the moment each create request arrived; "peak 1 s" is the most creates that arrived within one second.
Before a figure counts: every message row is queued, the emulator got exactly one message per recipient,
and (with several) every worker sent some. The several workers' row passes when their rate is within 10%
of the limit; its ratio to the single worker says what the extra processes bring: one worker with 8
requests in flight against 50 ms of latency cannot go much past 8 / 0.052 = 154 msg/s, so at a limit of
250/s several workers should reach the limit (a ratio of about 1.6) and never pass it (if the limit were
per worker, three would try for 750/s).

When several workers cannot run (the second exits, for example with "another worker already runs", or
they do not all come alive within 30 s), the row says "n/a" and why, instead of a figure.

SQLite runs one worker by design (a second is refused): its single-worker rate is benchmarks/send_rate.py.

Run it from the repository root:

    .venv/bin/python benchmarks/workers.py [--messages 5000] [--workers 3] [--rate 250] [--postgres URL]

`table()` gives its rows to the one table of `python -m benchmarks`.
"""
from __future__ import annotations

import argparse
import bisect
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

import _common as common  # noqa: E402 - puts the repository root on sys.path too

NAME = "workers"
BACKENDS = ("postgresql",)  # SQLite runs one worker by design
DEFAULT_MESSAGES = 5_000
DEFAULT_WORKERS = 3
DEFAULT_RATE = 250.0
CONCURRENCY = 8
LATENCY = 0.05
WITHIN = 0.10  # the several workers' rate must be within this share of the limit
QUICK_MESSAGES = 600
READY_TIMEOUT = 30.0
SID = "AC" + "be0c" * 8
TOKEN = "benchmark-auth-token"
FROM = "+15005550006"


class Unavailable(RuntimeError):
    """Several workers cannot run here (yet)."""


@dataclass
class Phase:
    workers: int
    messages: int
    rate: float  # creates per second, as the emulator saw them arrive
    peak: int  # the most creates that arrived within one second
    senders: int | None  # distinct workers that claimed the messages (None: the schema does not say)
    seconds: float  # first create .. last create


class Pool:
    """`count` worker processes (`python -m flask --app app worker`) on `url`, sending to `emulator`."""

    def __init__(self, url: str, emulator, count: int, rate: float, log_dir: Path):
        self.count = count
        self.log_dir = log_dir
        log_dir.mkdir(parents=True, exist_ok=True)
        self.env = {k: v for k, v in os.environ.items() if k != "TEST_DATABASE_URL"}
        self.env.update({
            "DATABASE_URL": url, "SECRET_KEY": "bench", "QUIET_HOURS": "", "SMS_GATEWAY": "twilio",
            "TWILIO_ACCOUNT_SID": SID, "TWILIO_AUTH_TOKEN": TOKEN, "TWILIO_FROM": FROM,
            "TWILIO_API_BASE": emulator.base_url, "PUBLIC_BASE_URL": "http://127.0.0.1:9",
            "SMS_RATE_PER_SECOND": str(rate), "SMS_CONCURRENCY": str(CONCURRENCY), "PYTHONUNBUFFERED": "1"})
        self.procs: list[subprocess.Popen] = []

    def start(self) -> None:
        for n in range(1, self.count + 1):
            with open(self.log_dir / f"worker-{n}.log", "wb") as log:
                self.procs.append(subprocess.Popen([sys.executable, "-m", "flask", "--app", "app", "worker"],
                                                   cwd=str(common.ROOT), env=self.env, stdout=log,
                                                   stderr=subprocess.STDOUT))

    def exited(self) -> list[str]:
        """A line for each process that has exited: its number, status and the last line of its log."""
        return [f"worker {n} exited with status {proc.returncode}: {self.last_line(n)}"
                for n, proc in enumerate(self.procs, start=1) if proc.poll() is not None]

    def last_line(self, n: int) -> str:
        lines = [line for line in (self.log_dir / f"worker-{n}.log").read_text(errors="replace").splitlines()
                 if line.strip()]
        return lines[-1].strip() if lines else "(nothing in its log)"

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)


def wait_ready(pool: Pool, engine) -> None:
    """Until every process of `pool` is alive in the database and one of them leads; Unavailable when one
    exits or they do not all come alive within READY_TIMEOUT seconds."""
    try:
        from messaging.leader import current_leader, live_workers
    except ImportError:  # no registry of live workers: all that can be checked is that none exits
        current_leader = live_workers = None
    started = time.monotonic()
    live, leader = 0, None
    while time.monotonic() - started < READY_TIMEOUT:
        gone = pool.exited()
        if gone:
            raise Unavailable(f"{len(gone)} of {pool.count} worker processes exited at start; " + "; ".join(gone))
        if live_workers is None:
            if time.monotonic() - started >= 5:
                return
        else:
            with engine.connect() as conn:
                live, leader = len(live_workers(conn)), current_leader(conn)
            if live == pool.count and leader is not None:
                return
        time.sleep(0.2)
    raise Unavailable(f"{live} of {pool.count} worker processes alive and {'a' if leader else 'no'} leader after "
                      f"{READY_TIMEOUT:.0f} s")


def _outbox(broadcast_id: int):
    """The broadcast's rows: (to, state, claimed_by or None)."""
    import sqlalchemy as sa

    from core.extensions import db
    from messaging.models import OutboundMessage

    claimed_by = getattr(OutboundMessage, "claimed_by", sa.null())
    rows = db.session.execute(sa.select(OutboundMessage.to, OutboundMessage.state, claimed_by)
                              .where(OutboundMessage.broadcast_id == broadcast_id)).all()
    db.session.remove()
    return rows


def _settled(broadcast_id: int, messages: int) -> bool:
    rows = _outbox(broadcast_id)
    return len(rows) == messages and not any(r[1].value in ("pending", "handing_over") for r in rows)


def _schedule(app, ids: dict[str, int]) -> int:
    """A new approved daily comment to every client, scheduled for now (the same text again: confirmed)."""
    from broadcast import scheduling
    from broadcast.models import Broadcast
    from broadcast.settings import Settings
    from core.extensions import db
    from core.timeutil import utcnow
    from staff.models import Staff

    snap = common.load("audience_snapshot")
    with app.app_context():
        broadcast_id = snap.approved_broadcast(app, ids)
        b = db.session.get(Broadcast, broadcast_id)
        scheduling.schedule(db.session, b, db.session.get(Staff, ids["chief"]), None, Settings.from_config(app.config),
                            utcnow(), "", confirm_duplicate=True)
        db.session.commit()
        db.session.remove()
    return broadcast_id


def _peak(times: list[float]) -> int:
    """The most of the sorted `times` within one second of each other."""
    return max((bisect.bisect_left(times, t + 1.0) - i for i, t in enumerate(times)), default=0)


def run_phase(app, url: str, ids: dict[str, int], count: int, messages: int, rate: float, log_dir: Path,
              progress=None) -> Phase:
    """`count` worker processes send one broadcast to all `messages` clients; checked, then stopped."""
    from core.extensions import db
    from sms.emulator import TwilioEmulator

    say = progress or (lambda text: None)
    with TwilioEmulator(account_sid=SID, auth_token=TOKEN, latency=LATENCY) as emulator:
        pool = Pool(url, emulator, count, rate, log_dir)
        pool.start()
        try:
            with app.app_context():
                wait_ready(pool, db.engine)
            say(f"{count} worker process(es) alive, one leading; scheduling {messages:,} messages")
            broadcast_id = _schedule(app, ids)
            deadline = time.monotonic() + max(120.0, messages / rate * 4)
            with app.app_context():
                while not (len(emulator.messages) >= messages and _settled(broadcast_id, messages)):
                    gone = pool.exited()
                    if gone:
                        raise RuntimeError("a worker process exited during the send: " + "; ".join(gone))
                    if time.monotonic() > deadline:
                        raise RuntimeError(f"{len(emulator.messages):,} of {messages:,} messages sent after "
                                           f"{max(120.0, messages / rate * 4):.0f} s")
                    time.sleep(0.25)
                outbox = _outbox(broadcast_id)
            sent = emulator.messages
        finally:
            pool.stop()
    states = Counter(state.value for _, state, _ in outbox)
    if states != {"queued": messages}:
        raise AssertionError(f"{count} worker(s): message states {dict(states)}; expected {messages} queued")
    per_number = Counter(m["to"] for m in sent)
    twice = sum(1 for n in per_number.values() if n > 1)
    if len(sent) != messages or twice or set(per_number) != {to for to, _, _ in outbox}:
        raise AssertionError(f"{count} worker(s): the emulator got {len(sent)} messages for {len(per_number)} "
                             f"numbers ({twice} numbers more than once); expected {messages}, one per recipient")
    claimed = {c for _, _, c in outbox}
    senders = None if claimed == {None} else len(claimed - {None})
    times = sorted(m["received_at"] for m in sent)
    seconds = times[-1] - times[0]
    phase = Phase(count, messages, (messages - 1) / seconds if seconds > 0 else float("inf"), _peak(times),
                  senders, seconds)
    say(f"{count} worker process(es): {messages:,} messages in {seconds:.1f} s, {phase.rate:.1f} msg/s, peak "
        f"{phase.peak} in 1 s, {senders if senders is not None else '?'} worker(s) sent")
    return phase


def measure(postgres_url: str, messages: int = DEFAULT_MESSAGES, workers: int = DEFAULT_WORKERS,
            rate: float = DEFAULT_RATE, progress=None) -> tuple[Phase, Phase | str]:
    """The single worker's phase, and the several workers' phase or why they cannot run."""
    from core.extensions import db

    snap = common.load("audience_snapshot")
    bench = common.import_bench()
    client_rows = bench.make_rows(messages)
    data = bench.to_csv(client_rows)
    with common.database("postgresql", postgres_url, prefix="bench-workers-") as url, \
            tempfile.TemporaryDirectory(prefix="bench-workers-log-") as logs:
        app = snap.make_app(url, SMS_RATE_PER_SECOND=rate)
        try:
            with app.app_context():
                ids = snap.build_book(app, client_rows, data)
            one = run_phase(app, url, ids, 1, messages, rate, Path(logs) / "one", progress)
            try:
                several: Phase | str = run_phase(app, url, ids, workers, messages, rate, Path(logs) / "several",
                                                 progress)
            except Unavailable as exc:
                several = str(exc)
                if progress:
                    progress(f"{workers} workers: not available: {several}")
        finally:
            with app.app_context():
                db.engine.dispose()
    return one, several


def _case(count: int, messages: int, rate: float) -> str:
    if count == 1:
        return f"1 worker process, limit {rate:.0f}/s, {messages:,} messages"
    return f"{count} worker processes, limit {rate:.0f}/s for all, {messages:,} messages"


def rows(one: Phase, several: Phase | str, workers: int, rate: float) -> list[common.Row]:
    low, high = (1 - WITHIN) * rate, (1 + WITHIN) * rate
    out = [common.Row(NAME, _case(1, one.messages, rate), "postgresql", "msg/s", one.rate, ("peak 1 s", one.peak),
                      key="one", short="1 worker", note="the baseline: the same settings, one process")]
    case = _case(workers, one.messages, rate)
    target = f"{low:.0f}–{high:.0f}"
    if isinstance(several, str):
        out.append(common.Row(NAME, case, "postgresql", "msg/s", target=target, baseline="one", status="n/a",
                              note=f"several workers cannot run here: {several}"))
        return out
    ok = low <= several.rate <= high and several.senders in (None, workers)
    notes = []
    if several.senders is not None and several.senders != workers:
        notes.append(f"only {several.senders} of {workers} workers sent")
    if not low <= several.rate <= high:
        notes.append(f"{several.rate:.1f} msg/s is not within {WITHIN:.0%} of the limit, {rate:.0f}/s")
    out.append(common.Row(NAME, case, "postgresql", "msg/s", several.rate, ("peak 1 s", several.peak), target, ok,
                          baseline="one", note="; ".join(notes)))
    return out


def table(backend: str, postgres_url: str | None = None, quick: bool = False, progress=None) -> list[common.Row]:
    """The single worker's row (the baseline) and the several workers' row, on PostgreSQL. `quick`: 600
    messages."""
    if backend != "postgresql":
        raise ValueError("several workers need PostgreSQL")
    messages = QUICK_MESSAGES if quick else DEFAULT_MESSAGES
    one, several = measure(postgres_url or common.postgres_url(), messages, DEFAULT_WORKERS, DEFAULT_RATE, progress)
    return rows(one, several, DEFAULT_WORKERS, DEFAULT_RATE)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=DEFAULT_MESSAGES,
                        help="messages (and clients) per broadcast (default %(default)s)")
    parser.add_argument("--workers", type=int, default=DEFAULT_WORKERS,
                        help="worker processes after the single one (default %(default)s)")
    parser.add_argument("--rate", type=float, default=DEFAULT_RATE,
                        help="SMS_RATE_PER_SECOND, for all workers together (default %(default)s)")
    parser.add_argument("--postgres", metavar="URL", default=common.postgres_url(),
                        help=f"the server, and a database beside which a new one is made (default: "
                             f"${common.POSTGRES_ENV}, else {common.DEFAULT_POSTGRES_URL})")
    args = parser.parse_args(argv)
    if args.messages < 100 or args.workers < 2 or args.rate <= 0:
        parser.error("--messages must be at least 100, --workers at least 2 and --rate positive")

    def progress(text):
        print(text, flush=True)

    print(f"{NAME}: {args.messages:,} messages by 1 and then {args.workers} worker processes on PostgreSQL, "
          f"SMS_RATE_PER_SECOND={args.rate:.0f} for all together, SMS_CONCURRENCY={CONCURRENCY}, emulator latency "
          f"{LATENCY * 1000:.0f} ms; target {(1 - WITHIN) * args.rate:.0f}–{(1 + WITHIN) * args.rate:.0f} msg/s "
          f"{common.machine()}", flush=True)
    one, several = measure(args.postgres, args.messages, args.workers, args.rate, progress)
    out = rows(one, several, args.workers, args.rate)
    print()
    print(f"{'case':<24} {'msg/s':>7} {'peak 1 s':>8} {'senders':>7} {'ratio':>6}  result")
    for phase, row in zip((one, several), out, strict=True):
        label = "1 worker (baseline)" if phase is one else f"{args.workers} workers"
        if isinstance(phase, str):
            print(f"{label:<24} {'n/a':>7}  {row.note}")
            continue
        ratio = f"{phase.rate / one.rate:.2f}" if phase is not one else ""
        result = "" if row.ok is None else "PASS" if row.ok else f"FAIL ({row.note})"
        print(f"{label:<24} {phase.rate:>7.1f} {phase.peak:>8} {phase.senders if phase.senders else '?':>7} "
              f"{ratio:>6}  {result}")
    return 0 if out[-1].ok else 1


if __name__ == "__main__":
    sys.exit(main())
