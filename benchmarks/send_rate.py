"""Benchmark: the worker sending 10,000 messages through the Twilio SDK to the Twilio emulator with 50 ms
latency per request at SMS_RATE_PER_SECOND=100 (target: an achieved rate of at least 90% of it, 90 msg/s), on
SQLite and on PostgreSQL; and, in the same run, the rate of a plain loop of `client.messages.create` for
comparison.

The requirement (issue 3): "Sending 10,000 messages against the Twilio emulator with 50 ms latency per
request and SMS_RATE_PER_SECOND=100: the achieved rate is at least 90% of the configured rate, and the
benchmark prints, in the same run, the rate of a plain loop of client.messages.create as a user would
write it."

Each run starts `sms.emulator.TwilioEmulator(latency=0.05)` on loopback (in this process, as the tests do)
and builds a fresh database (a SQLite file, or a new PostgreSQL database beside the one `--postgres` names)
with the migrations, the account managers of benchmarks/import_clients.py and a 10,000-row generated client
export, every client with a tier (as benchmarks/audience_snapshot.py does, not timed). A daily comment to
every tier is created, submitted, approved and scheduled for now through `broadcast.service` and
`broadcast.scheduling`, and `Worker.tick()` starts it: the snapshot makes the 10,000 pending messages and the
broadcast is sending. The worker is the real one, `broadcast.worker.Worker` in this process, with
`TwilioGateway(api_base=emulator.base_url)` (the official twilio SDK over HTTP), SMS_RATE_PER_SECOND=100,
SMS_CONCURRENCY=8 (`--concurrency`), QUIET_HOURS="". The timed part is

    while worker.send_batch():
        pass

and the achieved rate is messages / elapsed. Before it counts, the run checks that every message row is
queued with the SID the emulator gave it, and that the emulator received exactly one message per
recipient, with the row's text. The table also splits the time: the send windows (first request out to
last answer of each batch, which the rate limiter stretches to about 1 s per 100 messages) and the rest,
claiming and recording in the database between batches, when nothing is being sent.

Then, in the same run, the naive way, against an emulator of its own with the same latency: one thread, no
database, a plain loop as a user would write it,

    client = make_client(account_sid, auth_token, api_base=emulator.base_url)
    for to, body in messages[:500]:
        client.messages.create(to=to, from_=FROM, body=body)

its rate (500 / elapsed) and the time it would take for all 10,000 messages are printed beside the
worker's.

Run it from the repository root:

    .venv/bin/python benchmarks/send_rate.py [--messages 10000] [--concurrency 8] [--runs 1] [--plain 500] \
        [--postgres URL] [--sqlite-only]

`--concurrency 2,4,8` runs once per value (each on a fresh database and emulator). `baselines()` (the plain
loop) and `table()` (the worker) give their rows to the one table of `python -m benchmarks`.
"""
from __future__ import annotations

import argparse
import gc
import logging
import os
import secrets
import statistics
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

import _common as common  # noqa: E402 - puts the repository root on sys.path too

NAME = "send_rate"
DEFAULT_MESSAGES = 10_000
DEFAULT_RUNS = 1
DEFAULT_PLAIN = 500
QUICK_MESSAGES, QUICK_PLAIN = 300, 20
RATE = 100.0  # SMS_RATE_PER_SECOND
SHARE = 0.90  # the achieved rate must be at least this share of RATE
LATENCY = 0.05  # seconds the emulator adds to every message create
DEFAULT_CONCURRENCY = 8
SID = "AC" + "be0c" * 8
TOKEN = "benchmark-auth-token"
FROM = "+15005550006"


class TimedGateway:
    """The real gateway, noting when each send starts and ends (to split a batch's time)."""

    def __init__(self, gateway):
        self.gateway = gateway
        self.name = gateway.name
        self.spans: list[tuple[float, float]] = []
        self._lock = threading.Lock()

    def send(self, to: str, body: str, status_callback: str):
        start = time.perf_counter()
        try:
            return self.gateway.send(to, body, status_callback)
        finally:
            end = time.perf_counter()
            with self._lock:
                self.spans.append((start, end))


class _CountPoolFull(logging.Handler):
    """Counts urllib3's "Connection pool is full, discarding connection" warnings."""

    def __init__(self):
        super().__init__(logging.WARNING)
        self.count = 0

    def emit(self, record):
        if "pool is full" in record.getMessage():
            self.count += 1


@dataclass
class Result:
    concurrency: int
    messages: int
    elapsed: float
    batches: int
    send_window: float  # seconds inside batches' send windows (first request out .. last answer)
    request_median: float  # seconds per request, as the worker's threads saw it
    pool_full: int

    @property
    def rate(self) -> float:
        return self.messages / self.elapsed


def _check(emulator, broadcast_id: int, messages: int) -> None:
    """Every row queued with its emulator SID; exactly one message per recipient at the emulator, with the
    row's text. AssertionError otherwise."""
    import sqlalchemy as sa

    from core.extensions import db
    from messaging.models import MessageState, OutboundMessage

    rows = db.session.execute(sa.select(OutboundMessage.to, OutboundMessage.body, OutboundMessage.state,
                                        OutboundMessage.provider_sid)
                              .where(OutboundMessage.broadcast_id == broadcast_id)).all()
    states: dict[str, int] = {}
    for row in rows:
        states[row.state.value] = states.get(row.state.value, 0) + 1
    if len(rows) != messages or states != {MessageState.queued.value: messages}:
        raise AssertionError(f"{len(rows)} message rows, states {states}; expected {messages} queued")
    sent = emulator.messages
    per_number: dict[str, int] = {}
    for m in sent:
        per_number[m["to"]] = per_number.get(m["to"], 0) + 1
    twice = {to: n for to, n in per_number.items() if n > 1}
    if len(sent) != messages or twice:
        raise AssertionError(f"the emulator got {len(sent)} messages for {len(per_number)} numbers "
                             f"({len(twice)} numbers more than once); expected {messages}, one each")
    by_sid = {m["sid"]: (m["to"], m["body"]) for m in sent}
    wrong = [r.to for r in rows if by_sid.get(r.provider_sid) != (r.to, r.body)]
    if wrong:
        raise AssertionError(f"{len(wrong)} rows whose SID, number or text differs from the emulator's, "
                             f"such as {wrong[0]}")
    db.session.remove()


def plain_messages(count: int) -> list[tuple[str, str]]:
    """`count` (number, text) pairs like the broadcast's: the generated clients' mobiles, the daily comment with
    the client's name and a note link, the signature and the opt-out line. No database."""
    snap = common.load("audience_snapshot")
    rows = common.import_bench().make_rows(count)
    template = snap.BROADCAST["body"]
    return [("+86" + row[2], "【示例期货】" + template.format(
        name=row[1], note_link=f"{snap.PUBLIC_BASE_URL}/n/{secrets.token_urlsafe(8)}") + "拒收请回复R")
        for row in rows]


def plain_loop(count: int = DEFAULT_PLAIN) -> dict:
    """The naive way: `count` messages sent by a plain loop of client.messages.create, one thread, no
    database, to an emulator of its own with the same latency. {"messages", "elapsed", "rate"}."""
    from sms.emulator import TwilioEmulator
    from sms.twilio_client import close_client, make_client

    messages = plain_messages(count)
    with TwilioEmulator(account_sid=SID, auth_token=TOKEN, latency=LATENCY) as emulator:
        client = make_client(emulator.account_sid, emulator.auth_token, api_base=emulator.base_url)
        try:
            gc.collect()
            start = time.perf_counter()
            for to, body in messages:
                client.messages.create(to=to, from_=FROM, body=body)
            elapsed = time.perf_counter() - start
        finally:
            close_client(client)
        got = emulator.messages
    if len(got) != len(messages) or {(m["to"], m["body"]) for m in got} != set(messages):
        raise AssertionError(f"plain loop: the emulator got {len(got)} messages, expected these {len(messages)}")
    return {"messages": len(messages), "elapsed": elapsed, "rate": len(messages) / elapsed}


def one_run(messages: int, concurrency: int, progress=None, backend: str = "sqlite",
            postgres_url: str | None = None) -> Result:
    """A fresh emulator and database; the worker sends `messages` messages."""
    import sqlalchemy as sa

    from broadcast import scheduling
    from broadcast.models import Broadcast, BroadcastState
    from broadcast.settings import Settings
    from core.extensions import db
    from core.timeutil import utcnow
    from messaging.models import MessageState, OutboundMessage
    from messaging.worker import Worker
    from sms.emulator import TwilioEmulator
    from sms.gateway import TwilioGateway
    from staff.models import Staff

    snap = common.load("audience_snapshot")
    bench = common.import_bench()
    client_rows = bench.make_rows(messages)
    data = bench.to_csv(client_rows)
    pool_full = _CountPoolFull()
    urllib3_log = logging.getLogger("urllib3.connectionpool")
    urllib3_log.addHandler(pool_full)
    propagate, urllib3_log.propagate = urllib3_log.propagate, False  # counted in the table, not printed
    with TwilioEmulator(account_sid=SID, auth_token=TOKEN, latency=LATENCY) as emulator, \
            common.database(backend, postgres_url, prefix="bench-send-") as url:
        app = snap.make_app(url, SMS_GATEWAY="twilio", TWILIO_ACCOUNT_SID=SID, TWILIO_AUTH_TOKEN=TOKEN,
                            TWILIO_FROM=FROM, TWILIO_API_BASE=emulator.base_url, SMS_RATE_PER_SECOND=RATE,
                            SMS_CONCURRENCY=concurrency, QUIET_HOURS="", SMS_MAX_ATTEMPTS=5)
        gateway = TimedGateway(TwilioGateway(SID, TOKEN, from_=FROM, api_base=emulator.base_url, timeout=10.0))
        worker = Worker(app, gateway)
        try:
            with app.app_context():
                ids = snap.build_book(app, client_rows, data)
                broadcast_id = snap.approved_broadcast(app, ids)
                settings = Settings.from_config(app.config)
                b = db.session.get(Broadcast, broadcast_id)
                scheduling.schedule(db.session, b, db.session.get(Staff, ids["chief"]), None, settings, utcnow(),
                                    "")
                db.session.commit()
                db.session.remove()
            worker.tick()  # starts the broadcast: the snapshot makes the pending messages
            with app.app_context():
                state = db.session.get(Broadcast, broadcast_id).state
                pending = db.session.scalar(sa.select(sa.func.count()).select_from(OutboundMessage).where(
                    OutboundMessage.broadcast_id == broadcast_id, OutboundMessage.state == MessageState.pending))
                db.session.remove()
            if state != BroadcastState.sending or pending != messages:
                raise AssertionError(f"after the worker's tick: broadcast {state.value}, {pending} pending messages; "
                                     f"expected sending, {messages}")
            if progress:
                progress(f"concurrency {concurrency}: {messages:,} pending messages; sending ...")
            batch_spans: list[tuple[float, float, int]] = []
            gc.collect()
            start = time.perf_counter()
            while True:
                seen = len(gateway.spans)
                sent = worker.send_batch()
                if not sent:
                    break
                spans = gateway.spans[seen:]
                batch_spans.append((min(s for s, _ in spans), max(e for _, e in spans), sent))
            elapsed = time.perf_counter() - start
            with app.app_context():
                _check(emulator, broadcast_id, messages)
            requests = sorted(e - s for s, e in gateway.spans)
            result = Result(concurrency=concurrency, messages=messages, elapsed=elapsed, batches=len(batch_spans),
                            send_window=sum(e - s for s, e, _ in batch_spans),
                            request_median=statistics.median(requests), pool_full=pool_full.count)
            if progress:
                progress(f"concurrency {concurrency}: {messages:,} sent in {elapsed:.1f} s, {result.rate:.1f} msg/s "
                         f"({result.batches} batches, {result.send_window:.1f} s in send windows, "
                         f"{elapsed - result.send_window:.1f} s between them)")
        finally:
            worker.close()
            gateway.gateway.client.http_client.close()
            urllib3_log.removeHandler(pool_full)
            urllib3_log.propagate = propagate
            with app.app_context():
                db.engine.dispose()
    return result


def measure(messages: int = DEFAULT_MESSAGES, runs: int = DEFAULT_RUNS, concurrency: int = DEFAULT_CONCURRENCY,
            progress=None, backend: str = "sqlite", postgres_url: str | None = None) -> list[Result]:
    """`runs` runs at one concurrency, each on a fresh database and emulator."""
    return [one_run(messages, concurrency, progress, backend, postgres_url) for _ in range(runs)]


def target_s(messages: int) -> float:
    return messages / (RATE * SHARE)


def _label(messages: int, concurrency: int) -> str:
    return (f"{NAME}: {messages:,} messages at {RATE:.0f}/s, Twilio emulator {LATENCY * 1000:.0f} ms, "
            f"concurrency {concurrency}")


def _row(results: list[Result]) -> dict:
    return common.result_row(_label(results[0].messages, results[0].concurrency), [r.elapsed for r in results],
                             target_s(results[0].messages), inclusive=True)


def _plain_line(results: list[Result], plain: dict) -> str:
    worker = statistics.median(r.rate for r in results)
    n = results[0].messages
    return (f"worker {worker:.1f} msg/s; plain loop of client.messages.create {plain['rate']:.1f} msg/s "
            f"({plain['messages']} messages in {plain['elapsed']:.1f} s; {n:,} would take "
            f"{n / plain['rate'] / 60:.1f} min, the worker {n / worker / 60:.1f} min)")


def baselines(quick: bool = False, progress=None) -> list[common.Row]:
    """The plain loop's rate (500 messages; `quick`: 20), the baseline of the worker's rows."""
    plain = plain_loop(QUICK_PLAIN if quick else DEFAULT_PLAIN)
    if progress:
        progress(f"plain loop: {plain['messages']} messages in {plain['elapsed']:.1f} s, {plain['rate']:.1f} msg/s")
    return [common.Row(NAME, f"plain client.messages.create loop, {plain['messages']} messages, 1 thread, no "
                       "database", "", "msg/s", plain["rate"], key="plain",
                       short="plain loop", note="the baseline: the naive way, one request at a time")]


def table(backend: str, postgres_url: str | None = None, quick: bool = False, progress=None) -> list[common.Row]:
    """One row: the worker's achieved rate (median and slowest run) against 90 msg/s, on `backend`, compared
    with the plain loop of `baselines()`. `quick`: 300 messages."""
    messages = QUICK_MESSAGES if quick else DEFAULT_MESSAGES
    results = measure(messages, DEFAULT_RUNS, DEFAULT_CONCURRENCY, progress, backend, postgres_url)
    rates = [r.rate for r in results]
    median = statistics.median(rates)
    return [common.Row(NAME, f"worker at SMS_RATE_PER_SECOND={RATE:.0f}, {messages:,} messages", backend, "msg/s",
                       median,
                       ("min", min(rates)), f"≥ {RATE * SHARE:.0f}", median >= RATE * SHARE, baseline="plain")]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=DEFAULT_MESSAGES,
                        help="messages (and clients) to send (default %(default)s)")
    parser.add_argument("--runs", type=int, default=DEFAULT_RUNS,
                        help="runs per concurrency, each on a fresh database and emulator (default %(default)s)")
    parser.add_argument("--concurrency", default=str(DEFAULT_CONCURRENCY),
                        help="SMS_CONCURRENCY, or a comma-separated list to try each (default %(default)s)")
    parser.add_argument("--plain", type=int, default=DEFAULT_PLAIN,
                        help="messages sent by the plain client.messages.create loop, 0 for none "
                             "(default %(default)s)")
    parser.add_argument("--postgres", metavar="URL", default=os.environ.get(common.POSTGRES_ENV),
                        help=f"also on PostgreSQL, in a new database beside this one (default: ${common.POSTGRES_ENV}, "
                             "else SQLite only)")
    parser.add_argument("--sqlite-only", action="store_true", help=f"ignore --postgres and ${common.POSTGRES_ENV}")
    args = parser.parse_args(argv)
    try:
        levels = [int(v) for v in args.concurrency.split(",") if v.strip()]
    except ValueError:
        parser.error("--concurrency takes whole numbers, such as 8 or 4,8,16")
    if args.messages < 100 or args.runs < 1 or not levels or min(levels) < 1 or args.plain < 0:
        parser.error("--messages must be at least 100, --runs and --concurrency at least 1, --plain not negative")
    backends = ["sqlite"] + ([] if args.sqlite_only or not args.postgres else ["postgresql"])

    def progress(text):
        print(text, flush=True)

    print(f"{NAME}: {args.messages:,} messages, SMS_RATE_PER_SECOND={RATE:.0f}, emulator latency "
          f"{LATENCY * 1000:.0f} ms, concurrency {', '.join(map(str, levels))}, {args.runs} run(s) each, "
          f"{' and '.join(backends)}; target {RATE * SHARE:.0f} msg/s, {target_s(args.messages):.1f} s "
          f"{common.machine()}", flush=True)
    all_results: list[tuple[str, list[Result]]] = []
    for backend in backends:
        for level in levels:
            progress(f"{common.BACKEND_NAMES[backend]}:")
            all_results.append((backend, measure(args.messages, args.runs, level, progress, backend, args.postgres)))
    plain = None
    if args.plain:
        plain = plain_loop(args.plain)
        progress(f"plain loop: {plain['messages']} messages in {plain['elapsed']:.1f} s, {plain['rate']:.1f} msg/s")
    rows = [_row(results) for _, results in all_results]
    print()
    print(f"{'backend':<10} {'concurrency':>11} {'median s':>9} {'min s':>8} {'msg/s':>7} {'of 100/s':>8} "
          f"{'batches':>7} {'in sends s':>10} {'between s':>9} {'req ms':>6} {'pool full':>9}  result")
    for (backend, results), row in zip(all_results, rows, strict=True):
        r = min(results, key=lambda x: abs(x.elapsed - row["median_s"]))
        rate = r.messages / row["median_s"]
        print(f"{common.BACKEND_NAMES[backend]:<10} {r.concurrency:>11} {row['median_s']:>9.1f} {row['min_s']:>8.1f} "
              f"{rate:>7.1f} {rate / RATE:>8.0%} {r.batches:>7} {r.send_window:>10.1f} "
              f"{r.elapsed - r.send_window:>9.1f} {r.request_median * 1000:>6.0f} {r.pool_full:>9}  "
              f"{common.verdict(row)}")
    if plain:
        print()
        for backend, results in all_results:
            print(f"{common.BACKEND_NAMES[backend]}, concurrency {results[0].concurrency}: {_plain_line(results, plain)}")
    return 0 if all(row["ok"] for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
