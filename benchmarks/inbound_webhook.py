"""Benchmark: the inbound SMS webhook (/sms/inbound) at 200 requests/s under gunicorn with 2 workers, on SQLite
and on PostgreSQL (target: p99 latency under 100 ms, at least 95% of the rate achieved, every message stored
once and routed).

The requirement: "The inbound webhook, signature check included, holds 200 requests/s from a concurrent
client on loopback under a production server (gunicorn, 2 workers, SQLite in WAL mode and PostgreSQL), with
p99 under 100 ms and every message stored once."

Each backend gets one fresh database built by the migrations: the eight account managers of
benchmarks/import_clients.py (business staff), two researchers on duty, a chief analyst, and 2,000 clients
(`--clients`) of the generated client export, most with an owner, every one with a tier; and, so that a
reply links to the broadcast it answers, a daily comment delivered to every client two days ago and a trade
suggestion delivered to every other client yesterday (outbox rows inserted directly). None of it is timed.
Then

    python -m gunicorn -w 2 -b 127.0.0.1:<free port> "app:create_app()"

starts from the repository root with DATABASE_URL (that database), SECRET_KEY (a fixed dummy: the simulator
signs with a token derived from it), PUBLIC_BASE_URL=http://127.0.0.1:<port>, SMS_GATEWAY=simulator and
QUIET_HOURS="", and the benchmark waits until it answers.

The load is open-loop: request i is due at start + i / 200 s, whatever happened to the ones before it, and
16 client threads (`--threads`), each with its own http.client.HTTPConnection, send the requests in order
when they fall due. Each request's latency is measured from the moment it was due (not from when a thread
got round to sending it), so a server that falls behind shows its queueing delay in the figures
(no coordinated omission). Every request is Twilio's incoming-message webhook, correctly signed with
`RequestValidator(token).compute_signature(PUBLIC_BASE_URL + "/sms/inbound", form)`, with a fresh MessageSid,
From a client's mobile (5% from numbers that are nobody's), and a Body from a fixed list: research
questions, account matters, feedback, a complaint and an opt-out (退订). Every 20th request is a replay of
an earlier one, the same signed request again (half of them right after the first, half a second later),
as Twilio sends when it did not get an answer in time. The bodies and signatures are computed before the
timed part, so the client's own CPU (it shares the 2 cores with the server) is spent on HTTP only.

Before the runs, 100 requests at 100/s warm the workers up (not counted in the figures, but stored and
checked). After the runs, the stored-once check reads the database: one inbound_messages row per distinct
MessageSid sent (no SID stored twice, none missing, none extra), each with its follow-up item and routed
(followup_id and routed_at set, no routing error). Finally gunicorn is stopped (SIGTERM, then SIGKILL if it
has not exited within 15 s) and the PostgreSQL database dropped.

The figures per run: requests, achieved rate (200 answers over first due .. last answer), p50, p99 and max
latency, errors (anything but 200), how late the client got a request out after it was due (large when every
client thread is waiting for an answer: the server has fallen behind), and the CPU the gunicorn workers
(from /proc, Linux) and the client used per request. `table()` gives one row per backend: the median p99 of
`--runs` runs (default 3 runs of 10 s each, on one server and database) and the median p50; ok when the
median p99 is under 100 ms, the median achieved rate is at least 190/s and the stored-once check holds.

PostgreSQL: `--postgres URL` (default: $BENCH_POSTGRES_URL) makes a database `bench_<pid>_<random>` beside
the named one and drops it at the end.

`--profile` then sends 200 more requests in-process (Flask test client, same database, no HTTP server)
and prints the time per request without and with cProfile, the SQL statements and commits per request,
and the top functions.

Run it from the repository root (gunicorn must be installed: `.venv/bin/pip install gunicorn`):

    .venv/bin/python benchmarks/inbound_webhook.py [--seconds 10] [--runs 3] [--rate 200] [--postgres URL]

`table()` gives its rows to the one table of `python -m benchmarks`.
"""
from __future__ import annotations

import argparse
import cProfile
import gc
import http.client
import importlib.util
import io
import itertools
import math
import os
import pstats
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

import _common as common  # noqa: E402 - puts the repository root on sys.path too

NAME = "inbound_webhook"
TARGET_S = 0.1  # p99
RATE = 200.0  # requests per second
SHARE = 0.95  # the achieved rate must be at least this share of RATE
DEFAULT_SECONDS = 10.0
DEFAULT_RUNS = 3
DEFAULT_THREADS = 16
DEFAULT_CLIENTS = 2000
WORKERS = 2
WARMUP = (100, 100.0)  # requests, rate
REPLAY_EVERY = 20  # every 20th request (5%) replays an earlier one
UNKNOWN_SHARE = 0.05  # requests from numbers that are nobody's
PROFILE_REQUESTS = 200
POSTGRES_ENV = common.POSTGRES_ENV
QUICK = {"seconds": 2.0, "runs": 1, "clients": 300}
SECRET_KEY = "benchmark-dummy-secret-key-not-for-production"
ACCOUNT_SID = "AC" + "be0c" * 8
SERVICE_NUMBER = "+8610690000"
PATH = "/sms/inbound"
SEED = 20261125

# what clients write back, cycled in order: 8 research questions, 5 account matters, 5 feedback, a complaint
# and one opt-out (5%)
BODIES = [
    "螺纹钢2605止损设在多少合适？",
    "请问rb2605今天的支撑位在哪里",
    "铁矿后市怎么看，还能做多吗",
    "原油反弹了，空单要不要减仓？",
    "豆粕的目标价是多少",
    "沪铜突破了，可以追多吗",
    "What is the stop loss for rebar?",
    "黄金回调到哪里可以入场",
    "保证金不够了，会被强平吗",
    "银期转账一直不到账怎么办",
    "交易软件登录不了，密码忘了",
    "手续费能不能再低一点",
    "结算单在哪里下载",
    "收到，谢谢",
    "好的，明白了",
    "你们的早评写得很好，辛苦了",
    "最近行情太难做了",
    "下周一正常开盘吗？",
    "按你们的建议操作亏了好多，我要投诉",
    "退订",
]


def _sid(rng: random.Random) -> str:
    return "SM" + "%032x" % rng.getrandbits(128)


# ---- the database ------------------------------------------------------------------------------------------

def postgres_url_from_env() -> str | None:
    return os.environ.get(POSTGRES_ENV) or None


def build_database(url: str, clients: int) -> list[str]:
    """Migrations, the account managers (business staff), two researchers on duty, a chief analyst,
    `clients` clients with tiers, and two broadcasts already delivered to them (a daily comment two days ago
    to everyone, a trade suggestion yesterday to every other client), so that a reply links to the latest
    one. Returns the clients' mobile numbers."""
    import sqlalchemy as sa

    from clients.models import Client
    from core.extensions import db
    from staff.service import create_staff

    bench = common.import_bench()
    rows = bench.make_rows(clients)
    app = common.make_app(url)
    with app.app_context():
        common.migrate()
        common.create_business_staff(bench.STAFF, bench.STAFF_PASSWORD)
        for n in (1, 2):
            researcher = create_staff(db.session, email=f"researcher{n}@bench.example.com", name=f"研究员{n}",
                                      password=bench.STAFF_PASSWORD, roles=["researcher"])
            researcher.on_duty = True
        chief = create_staff(db.session, email="chief@bench.example.com", name="首席分析师",
                             password=bench.STAFF_PASSWORD, roles=["chief_analyst"])
        db.session.commit()
        common.import_book(bench.to_csv(rows), clients)
        db.session.execute(sa.text(common.TIER_SPREAD_SQL))
        db.session.commit()
        book = db.session.execute(sa.select(Client.id, Client.mobile).where(Client.mobile.is_not(None))
                                  .order_by(Client.id)).all()
        owned = db.session.scalar(sa.select(sa.func.count()).select_from(Client).where(Client.owner_id.is_not(None)))
        if len(book) != clients or not owned:
            raise AssertionError(f"{len(book)} clients with a mobile, {owned} with an owner; expected {clients} "
                                 "with a mobile, most with an owner")
        _delivered_broadcasts(chief.id, book)
        if db.engine.dialect.name == "postgresql":
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(sa.text("VACUUM ANALYZE"))
        db.session.remove()
        db.engine.dispose()
    return [mobile for _, mobile in book]


def _delivered_broadcasts(author_id: int, book) -> None:
    """A daily comment delivered to every client two days ago and a trade suggestion delivered to every
    other client yesterday: outbox rows inserted directly (executemany), committed."""
    from datetime import timedelta

    import sqlalchemy as sa

    from broadcast.models import Broadcast, BroadcastKind, BroadcastState
    from core.extensions import db
    from core.timeutil import utcnow
    from messaging.models import MessagePurpose, MessageState, OutboundMessage

    now = utcnow()
    for kind, title, days, recipients in (
            (BroadcastKind.daily_comment, "早评", 2, book),
            (BroadcastKind.trade_suggestion, "螺纹钢2605做多建议", 1, book[::2])):
        at = now - timedelta(days=days)
        b = Broadcast(kind=kind, title=title, body=f"【示例期货】{title}", author_id=author_id,
                      state=BroadcastState.completed, created_at=at, updated_at=at, started_at=at, finished_at=at)
        db.session.add(b)
        db.session.flush()
        db.session.execute(sa.insert(OutboundMessage), [
            {"broadcast_id": b.id, "purpose": MessagePurpose.broadcast, "client_id": client_id, "to": mobile,
             "body": f"【示例期货】{title}，拒收请回复R", "segments": 1, "state": MessageState.delivered, "attempts": 1,
             "provider_sid": f"SMbench{b.id}x{client_id}", "created_at": at, "handed_over_at": at, "updated_at": at}
            for client_id, mobile in recipients])
    db.session.commit()


@dataclass
class Check:
    """The stored-once check: what the database holds against what was sent."""

    sent_unique: int
    stored: int
    distinct: int
    missing: int
    extra: int
    unrouted: int  # followup_id or routed_at not set
    routing_errors: int
    items: int

    @property
    def ok(self) -> bool:
        return (self.stored == self.distinct == self.sent_unique and not self.missing and not self.extra
                and not self.unrouted and not self.routing_errors)

    def line(self) -> str:
        verdict = "holds" if self.ok else "FAILS"
        return (f"stored once {verdict}: {self.sent_unique:,} distinct MessageSids sent, {self.stored:,} rows stored "
                f"({self.distinct:,} distinct SIDs, {self.missing} missing, {self.extra} extra), {self.unrouted} "
                f"without item or routing, {self.routing_errors} routing errors; {self.items:,} follow-up items")


def check_stored(url: str, sids: set[str]) -> Check:
    import sqlalchemy as sa

    from core.config import normalise_db_url

    engine = sa.create_engine(normalise_db_url(url))
    try:
        with engine.connect() as conn:
            stored = set()
            total = 0
            for (sid,) in conn.execute(sa.text("SELECT provider_sid FROM inbound_messages")):
                stored.add(sid)
                total += 1
            unrouted, errors = conn.execute(sa.text(
                "SELECT SUM(CASE WHEN followup_id IS NULL OR routed_at IS NULL THEN 1 ELSE 0 END), "
                "SUM(CASE WHEN routing_error IS NOT NULL THEN 1 ELSE 0 END) FROM inbound_messages")).one()
            items = conn.execute(sa.text("SELECT COUNT(*) FROM followups")).scalar_one()
    finally:
        engine.dispose()
    return Check(sent_unique=len(sids), stored=total, distinct=len(stored), missing=len(sids - stored),
                 extra=len(stored - sids), unrouted=int(unrouted or 0), routing_errors=int(errors or 0), items=items)


# ---- the requests ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Request:
    sid: str
    body: bytes  # the url-encoded form
    headers: dict
    replay: bool


def _form(sid: str, number: str, text: str) -> dict[str, str]:
    """Twilio's incoming-message webhook, with the fields Twilio sends."""
    return {"ToCountry": "CN", "ToState": "", "SmsMessageSid": sid, "NumMedia": "0", "ToCity": "", "FromZip": "",
            "SmsSid": sid, "FromState": "", "SmsStatus": "received", "FromCity": "", "Body": text,
            "FromCountry": "CN", "To": SERVICE_NUMBER, "ToZip": "", "NumSegments": "1", "MessageSid": sid,
            "AccountSid": ACCOUNT_SID, "From": number, "ApiVersion": "2010-04-01"}


class Signer:
    """Signed webhook requests for one server, as Twilio makes them."""

    def __init__(self, public_base_url: str, mobiles: list[str], seed: int):
        from twilio.request_validator import RequestValidator

        from sms.gateway import simulator_token

        self.url = public_base_url.rstrip("/") + PATH
        self.validator = RequestValidator(simulator_token(SECRET_KEY))
        self.mobiles = mobiles
        book = set(mobiles)
        self.unknown = [n for n in (f"+86170{k:08d}" for k in range(0, 10_000_000, 99_991)) if n not in book][:50]
        self.rng = random.Random(seed)
        self.sent = 0

    def form(self) -> dict[str, str]:
        number = (self.rng.choice(self.unknown) if self.rng.random() < UNKNOWN_SHARE
                  else self.rng.choice(self.mobiles))
        text = BODIES[self.sent % len(BODIES)]
        self.sent += 1
        return _form(_sid(self.rng), number, text)

    def sign(self, form: dict[str, str], replay: bool = False) -> Request:
        signature = self.validator.compute_signature(self.url, form)
        headers = {"Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": signature}
        return Request(form["MessageSid"], urlencode(form).encode(), headers, replay)

    def schedule(self, count: int) -> list[Request]:
        """`count` requests; every REPLAY_EVERY-th one replays an earlier request: the one just before it, or
        (every other time, once far enough in) one of about a second earlier."""
        out: list[Request] = []
        for i in range(count):
            if i >= REPLAY_EVERY and i % REPLAY_EVERY == REPLAY_EVERY // 2:
                back = 1 if (i // REPLAY_EVERY) % 2 or i < 2 * int(RATE) else int(RATE) - 1
                original = out[i - back]
                out.append(Request(original.sid, original.body, original.headers, True))
            else:
                out.append(self.sign(self.form()))
        return out


# ---- the load ----------------------------------------------------------------------------------------------

@dataclass
class Run:
    requests: int
    replays: int
    rate: float  # target
    latencies: list[float]  # seconds from due to answer, every request that got an answer
    statuses: dict = field(default_factory=dict)  # status (None: no answer) -> count
    elapsed: float = 0.0  # first due .. last answer
    lag_max: float = 0.0  # the latest the client got a request out after it was due
    failures: list[str] = field(default_factory=list)  # the first few non-200 answers, for the report
    client_cpu: float = 0.0  # CPU seconds of this process (the client threads) during the run
    server_cpu: float | None = None  # CPU seconds of the gunicorn workers during the run (Linux only)

    @property
    def ok_answers(self) -> int:
        return self.statuses.get(200, 0)

    @property
    def errors(self) -> int:
        return self.requests - self.ok_answers

    @property
    def achieved(self) -> float:
        return self.ok_answers / self.elapsed if self.elapsed else 0.0

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies)
        if not ordered:
            return math.inf
        return ordered[max(0, math.ceil(p * len(ordered)) - 1)]  # nearest rank


def send(port: int, requests: list[Request], rate: float, threads: int, server_cpu=None) -> Run:
    """Open loop: request i goes out at start + i / rate from one of `threads` threads with persistent
    connections; its latency counts from when it was due. `server_cpu`: a function giving the server's CPU
    seconds so far, or None."""
    n = len(requests)
    due_at = [i / rate for i in range(n)]
    results: list[tuple[float, float, int | None] | None] = [None] * n  # (lag, latency, status)
    failures: list[str] = []
    counter = itertools.count()
    start_barrier = threading.Barrier(threads + 1)
    t0_box: list[float] = []

    def worker() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        start_barrier.wait()
        t0 = t0_box[0]
        try:
            while True:
                i = next(counter)
                if i >= n:
                    return
                due = t0 + due_at[i]
                delay = due - time.perf_counter()
                if delay > 0:
                    time.sleep(delay)
                sent = time.perf_counter()
                req = requests[i]
                try:
                    conn.request("POST", PATH, body=req.body, headers=req.headers)
                    response = conn.getresponse()
                    data = response.read()
                    status = response.status
                    if status != 200 and len(failures) < 5:
                        failures.append(f"{status}: {data[:200]!r}")
                except (OSError, http.client.HTTPException) as exc:
                    status = None
                    if len(failures) < 5:
                        failures.append(f"no answer: {exc.__class__.__name__}: {exc}")
                    conn.close()
                    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                end = time.perf_counter()
                results[i] = (sent - due, end - due, status)
        finally:
            conn.close()

    pool = [threading.Thread(target=worker, daemon=True) for _ in range(threads)]
    for t in pool:
        t.start()
    gc.collect()
    gc.disable()  # no collector pauses in the client while it measures
    server_before = server_cpu() if server_cpu else None
    client_before = time.process_time()
    try:
        t0_box.append(time.perf_counter() + 0.05)
        start_barrier.wait()
        for t in pool:
            t.join()
    finally:
        gc.enable()
    run = Run(requests=n, replays=sum(r.replay for r in requests), rate=rate, latencies=[], failures=failures,
              client_cpu=time.process_time() - client_before)
    if server_before is not None:
        server_after = server_cpu()
        run.server_cpu = server_after - server_before if server_after is not None else None
    last = 0.0
    for i, result in enumerate(results):
        if result is None:
            raise AssertionError(f"request {i} was never sent")
        lag, latency, status = result
        run.statuses[status] = run.statuses.get(status, 0) + 1
        run.lag_max = max(run.lag_max, lag)
        if status is not None:
            run.latencies.append(latency)
        last = max(last, due_at[i] + latency)
    run.elapsed = last
    return run


def _per_request_ms(cpu: float | None, requests: int) -> str:
    return "?" if cpu is None else f"{cpu / requests * 1000:.1f} ms"


# ---- the server --------------------------------------------------------------------------------------------

def gunicorn_missing() -> str | None:
    if importlib.util.find_spec("gunicorn") is None:
        return ("gunicorn is not installed in this Python environment; install it with "
                f"`{sys.executable} -m pip install gunicorn` (pip install gunicorn)")
    return None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """gunicorn with WORKERS sync workers serving the app on `url`, started from the repository root."""

    def __init__(self, url: str, log_path: Path, workers: int = WORKERS):
        self.port = _free_port()
        self.public_base_url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        env = dict(os.environ)
        env.update({"DATABASE_URL": url, "SECRET_KEY": SECRET_KEY, "PUBLIC_BASE_URL": self.public_base_url,
                    "SMS_GATEWAY": "simulator", "QUIET_HOURS": "", "PYTHONUNBUFFERED": "1"})
        self._log = open(log_path, "wb")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-w", str(workers), "-b", f"127.0.0.1:{self.port}",
             "app:create_app()"], cwd=str(common.ROOT), env=env, stdout=self._log, stderr=subprocess.STDOUT)

    def wait_ready(self, timeout: float = 60.0) -> None:
        """Until GET /login answers 200 (both workers boot at once; the warm-up takes care of the rest)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited with status {self.proc.returncode}:\n{self.log_tail()}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                conn.request("GET", "/login")
                status = conn.getresponse().status
                conn.close()
                if status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"gunicorn did not answer within {timeout:.0f} s:\n{self.log_tail()}")

    def cpu_seconds(self) -> float | None:
        """User and system CPU seconds of the workers (the master's children) so far; None when /proc cannot
        tell (not Linux)."""
        total = 0.0
        tick = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
        try:
            entries = os.listdir("/proc")
        except OSError:
            return None
        for entry in entries:
            if not entry.isdigit():
                continue
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            fields = stat[stat.rindex(")") + 2:].split()  # after "pid (comm) "
            if int(fields[1]) == self.proc.pid:  # ppid
                total += (int(fields[11]) + int(fields[12])) / tick  # utime, stime
        return total

    def log_text(self) -> str:
        if not self._log.closed:
            self._log.flush()
        return self.log_path.read_text(errors="replace")

    def log_tail(self, lines: int = 30) -> str:
        return "\n".join(self.log_text().splitlines()[-lines:])

    def trouble(self) -> list[str]:
        """Lines of the server's log that show a failure: tracebacks, worker timeouts, errors."""
        marks = ("Traceback", "WORKER TIMEOUT", "[ERROR]", "[CRITICAL]", "database is locked")
        return [line for line in self.log_text().splitlines() if any(m in line for m in marks)]

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=15)
        self._log.close()


# ---- one backend -------------------------------------------------------------------------------------------

@dataclass
class BackendResult:
    backend: str
    runs: list[Run]
    check: Check
    trouble: list[str]
    workers: int = WORKERS
    profile: str | None = None


def _row_label(backend: str, rate: float, workers: int = WORKERS) -> str:
    return (f"{NAME}: p99 at {rate:.0f} req/s, gunicorn -w {workers}, "
            f"{'SQLite' if backend == 'sqlite' else 'PostgreSQL'}")


def measure_backend(backend: str, postgres_url: str | None = None, *, seconds: float = DEFAULT_SECONDS,
                    runs: int = DEFAULT_RUNS, rate: float = RATE, threads: int = DEFAULT_THREADS,
                    clients: int = DEFAULT_CLIENTS, workers: int = WORKERS, profile: bool = False,
                    progress=None) -> BackendResult:
    missing = gunicorn_missing()
    if missing:
        raise RuntimeError(missing)
    say = progress or (lambda text: None)
    with common.database(backend, postgres_url, prefix="bench-webhook-") as url, \
            tempfile.TemporaryDirectory(prefix="bench-webhook-log-") as logs:
        started = time.perf_counter()
        mobiles = build_database(url, clients)
        say(f"{backend}: {clients:,} clients, 8 business staff, 2 researchers on duty "
            f"({time.perf_counter() - started:.0f} s)")
        server = Server(url, Path(logs) / "gunicorn.log", workers)
        try:
            server.wait_ready()
            say(f"{backend}: gunicorn -w {workers} answers on {server.public_base_url}")
            signer = Signer(server.public_base_url, mobiles, SEED)
            sent_sids: set[str] = set()
            warm = signer.schedule(WARMUP[0])
            sent_sids.update(r.sid for r in warm)
            warm_run = send(server.port, warm, WARMUP[1], threads, server.cpu_seconds)
            say(f"{backend}: warm-up {warm_run.requests} requests, {warm_run.errors} errors, "
                f"p99 {warm_run.percentile(0.99) * 1000:.0f} ms")
            done: list[Run] = []
            for n in range(runs):
                requests = signer.schedule(int(round(rate * seconds)))
                sent_sids.update(r.sid for r in requests)
                time.sleep(1.0)
                result = send(server.port, requests, rate, threads, server.cpu_seconds)
                done.append(result)
                say(f"{backend} run {n + 1}/{runs}: {result.requests:,} requests ({result.replays} replays), "
                    f"{result.achieved:.1f}/s, p50 {result.percentile(0.5) * 1000:.0f} ms, "
                    f"p99 {result.percentile(0.99) * 1000:.0f} ms, max {max(result.latencies, default=0) * 1000:.0f} ms, "
                    f"{result.errors} errors, client late by up to {result.lag_max * 1000:.0f} ms; CPU per request: "
                    f"server {_per_request_ms(result.server_cpu, result.requests)}, "
                    f"client {_per_request_ms(result.client_cpu, result.requests)}")
                for failure in result.failures:
                    say(f"  {failure}")
        finally:
            server.stop()
        trouble = server.trouble()
        check = check_stored(url, sent_sids)
        say(f"{backend}: {check.line()}")
        report = profile_in_process(url, mobiles) if profile else None
    return BackendResult(backend, done, check, trouble, workers, report)


def row(result: BackendResult, rate: float = RATE) -> dict:
    p99s = [r.percentile(0.99) for r in result.runs]
    achieved = statistics.median(r.achieved for r in result.runs)
    median = statistics.median(p99s)
    ok = median < TARGET_S and achieved >= SHARE * rate and result.check.ok
    return {"benchmark": _row_label(result.backend, rate, result.workers), "median_s": median, "min_s": min(p99s),
            "target_s": TARGET_S, "ok": ok}


# ---- where the time goes -----------------------------------------------------------------------------------

def profile_in_process(url: str, mobiles: list[str], count: int = PROFILE_REQUESTS) -> str:
    """`count` signed requests through the Flask test client without and then with cProfile: ms per request,
    SQL statements and commits per request, and the top functions."""
    import sqlalchemy as sa

    from core.extensions import db

    base = "http://127.0.0.1:5000"
    app = common.make_app(url, SECRET_KEY=SECRET_KEY, PUBLIC_BASE_URL=base, SMS_GATEWAY="simulator", QUIET_HOURS="",
                          TESTING=False)
    signer = Signer(base, mobiles, SEED + 1)
    client = app.test_client()
    counts = {"statements": 0, "commits": 0}
    with app.app_context():
        engine = db.engine

    def on_statement(*_args):
        counts["statements"] += 1

    def on_commit(*_args):
        counts["commits"] += 1

    sa.event.listen(engine, "before_cursor_execute", on_statement)
    sa.event.listen(engine, "commit", on_commit)

    def post(requests: list[Request]) -> float:
        start = time.perf_counter()
        for r in requests:
            response = client.post(PATH, data=r.body, headers=r.headers)
            if response.status_code != 200:
                raise AssertionError(f"in-process webhook: status {response.status_code}")
        return time.perf_counter() - start

    try:
        post([signer.sign(signer.form()) for _ in range(20)])  # warm-up
        plain = [signer.sign(signer.form()) for _ in range(count)]
        counts.update(statements=0, commits=0)
        gc.collect()
        elapsed = post(plain)
        per_statements, per_commits = counts["statements"] / count, counts["commits"] / count
        profiled = [signer.sign(signer.form()) for _ in range(count)]
        prof = cProfile.Profile()
        prof.enable()
        profiled_elapsed = post(profiled)
        prof.disable()
        sign_start = time.perf_counter()
        for r in plain:
            signer.validator.validate(signer.url, dict(_parse(r.body)), r.headers["X-Twilio-Signature"])
        validate_ms = (time.perf_counter() - sign_start) / count * 1000
    finally:
        sa.event.remove(engine, "before_cursor_execute", on_statement)
        sa.event.remove(engine, "commit", on_commit)
        engine.dispose()
    out = io.StringIO()
    stats = pstats.Stats(prof, stream=out)
    stats.sort_stats("cumulative").print_stats(35)
    stats.sort_stats("tottime").print_stats(20)
    return (f"in-process, one request at a time, {count} requests on {engine.dialect.name}: "
            f"{elapsed / count * 1000:.2f} ms per request ({profiled_elapsed / count * 1000:.2f} ms with cProfile on); "
            f"{per_statements:.1f} SQL statements and {per_commits:.1f} commits per request; "
            f"RequestValidator.validate alone {validate_ms:.3f} ms\n" + out.getvalue())


def _parse(body: bytes):
    from urllib.parse import parse_qsl

    return parse_qsl(body.decode(), keep_blank_values=True)


# ---- entry points ------------------------------------------------------------------------------------------

def table(backend: str, postgres_url: str | None = None, quick: bool = False, progress=None) -> list[common.Row]:
    """One row: the median p99 latency of the runs (and the median p50) against 100 ms, on `backend`; ok also
    needs the median achieved rate at 95% of 200/s and the stored-once check to hold. `quick`: one run of 2 s,
    300 clients."""
    size = QUICK if quick else {"seconds": DEFAULT_SECONDS, "runs": DEFAULT_RUNS, "clients": DEFAULT_CLIENTS}
    result = measure_backend(backend, postgres_url, seconds=size["seconds"], runs=size["runs"],
                             clients=size["clients"], progress=progress)
    verdict = row(result)
    achieved = statistics.median(r.achieved for r in result.runs)
    notes = []
    if achieved < SHARE * RATE:
        notes.append(f"achieved {achieved:.1f} requests/s, under {SHARE * RATE:.0f}/s")
    if not result.check.ok:
        notes.append(result.check.line())
    if result.trouble:
        notes.append(f"{len(result.trouble)} failure lines in gunicorn's log, such as {result.trouble[0]}")
    errors = sum(r.errors for r in result.runs)
    if errors:
        notes.append(f"{errors} requests answered other than 200 or not at all")
    p50 = statistics.median(r.percentile(0.5) for r in result.runs)
    runs = len(result.runs)
    return [common.Row(NAME, f"p99 at {RATE:.0f} signed req/s, gunicorn -w {result.workers}, "
                       f"{runs} run{'s' if runs > 1 else ''} of {size['seconds']:g} s",
                       backend, "ms", verdict["median_s"] * 1000, ("p50", p50 * 1000), f"< {TARGET_S * 1000:.0f}",
                       verdict["ok"], note="; ".join(notes))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=DEFAULT_SECONDS,
                        help="seconds of load per run (default %(default)s)")
    parser.add_argument("--runs", type=int, default=DEFAULT_RUNS,
                        help="runs per backend, on one server and database; the median and lowest p99 are "
                             "reported (default %(default)s)")
    parser.add_argument("--rate", type=float, default=RATE, help="requests per second (default %(default)s)")
    parser.add_argument("--threads", type=int, default=DEFAULT_THREADS,
                        help="client threads, each with its own connection (default %(default)s)")
    parser.add_argument("--workers", type=int, default=WORKERS,
                        help="gunicorn sync workers; the requirement is %(default)s (default %(default)s)")
    parser.add_argument("--clients", type=int, default=DEFAULT_CLIENTS,
                        help="clients in the book (default %(default)s)")
    parser.add_argument("--postgres", metavar="URL", default=postgres_url_from_env(),
                        help=f"also on PostgreSQL, in a new database beside this one (default: ${POSTGRES_ENV}, "
                             "else SQLite only)")
    parser.add_argument("--sqlite-only", action="store_true", help=f"ignore --postgres and ${POSTGRES_ENV}")
    parser.add_argument("--profile", action="store_true",
                        help="after the runs, profile requests in-process (Flask test client) per backend")
    args = parser.parse_args(argv)
    if args.seconds <= 0 or args.runs < 1 or args.rate <= 0 or args.threads < 1 or args.workers < 1 \
            or args.clients < 100:
        parser.error("--seconds and --rate must be positive, --runs, --threads and --workers at least 1, --clients "
                     "at least 100")
    missing = gunicorn_missing()
    if missing:
        print(missing, file=sys.stderr)
        return 2
    backends = ["sqlite"] + ([] if args.sqlite_only or not args.postgres else ["postgresql"])

    def progress(text):
        print(text, flush=True)

    print(f"{NAME}: {args.rate:.0f} signed webhook requests/s for {args.seconds:g} s x {args.runs} run(s), "
          f"{args.threads} client threads, gunicorn -w {args.workers}, {' and '.join(backends)}; target p99 "
          f"{TARGET_S * 1000:.0f} ms, at least {SHARE * args.rate:.0f}/s, every message stored once "
          f"{common.machine()}", flush=True)
    results = [measure_backend(b, args.postgres, seconds=args.seconds, runs=args.runs, rate=args.rate,
                               threads=args.threads, clients=args.clients, workers=args.workers, profile=args.profile,
                               progress=progress)
               for b in backends]
    for result in results:
        if result.profile:
            print()
            print(f"{result.backend}: {result.profile}")
    print()
    print(f"{'backend':<10} {'run':>3} {'requests':>8} {'replays':>7} {'rate/s':>7} {'p50 ms':>7} {'p99 ms':>7} "
          f"{'max ms':>7} {'errors':>6} {'late ms':>7} {'server CPU ms/req':>17} {'client CPU ms/req':>17}")
    for result in results:
        for n, r in enumerate(result.runs, start=1):
            print(f"{result.backend:<10} {n:>3} {r.requests:>8,} {r.replays:>7} {r.achieved:>7.1f} "
                  f"{r.percentile(0.5) * 1000:>7.1f} {r.percentile(0.99) * 1000:>7.1f} "
                  f"{max(r.latencies, default=0) * 1000:>7.0f} {r.errors:>6} {r.lag_max * 1000:>7.1f} "
                  f"{_per_request_ms(r.server_cpu, r.requests).removesuffix(' ms'):>17} "
                  f"{_per_request_ms(r.client_cpu, r.requests).removesuffix(' ms'):>17}")
    print()
    rows = [row(r, args.rate) for r in results]
    for result in results:
        print(f"{result.backend}: {result.check.line()}")
        if result.trouble:
            print(f"{result.backend}: {len(result.trouble)} failure lines in gunicorn's log:")
            for line in result.trouble[:10]:
                print(f"  {line}")
    print()
    width = max(len(r["benchmark"]) for r in rows)
    print(f"{'benchmark':<{width}} {'median p99 ms':>13} {'min p99 ms':>10} {'rate/s':>7}  result")
    for result, r in zip(results, rows, strict=True):
        achieved = statistics.median(x.achieved for x in result.runs)
        print(f"{r['benchmark']:<{width}} {r['median_s'] * 1000:>13.1f} {r['min_s'] * 1000:>10.1f} "
              f"{achieved:>7.1f}  {common.verdict(r)}")
    return 0 if all(r["ok"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
