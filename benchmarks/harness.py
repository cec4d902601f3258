"""The one harness of the benchmarks (not a benchmark: the runner skips it).

A database of a run's own (a SQLite file, or a PostgreSQL database made beside a given one and dropped at the
end), the app on it, the staff and the client book of `clients.fakebook` imported as the settlement system
exports it, a timed step with its commit, a signed-in test client and timed pages, an approved broadcast, the
check of what the Twilio emulator received, processes started from the repository root, and the rows of the
one table `python -m benchmarks` prints.
"""
from __future__ import annotations

import csv
import gc
import io
import logging
import math
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa

from clients import fakebook
from clients.appropriateness import TOLERANCE_NAMES

ROOT = Path(__file__).resolve().parent.parent
BACKENDS = ("sqlite", "postgresql")
BACKEND_NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL", "": "none"}  # "": no database at all
DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
POSTGRES_ENV = "BENCH_POSTGRES_URL"
SECRET_KEY = "benchmark-dummy-secret-key-not-for-production"  # the simulator's webhook token derives from it
PASSWORD = "benchmark-password-1"
PUBLIC_BASE_URL = "https://sms.example.com"
NOW = datetime(2026, 11, 25, 1, 30, tzinfo=UTC)  # 09:30 in Shanghai, a Wednesday

EXPORT_HEADER = ["资金账号", "客户名称", "手机号码", "营业部", "客户经理编号", "开户日期", "最近交易日期", "最近持仓日期",
                 "投资者类别", "风险承受能力", "风险测评日期"]
# the account managers the export's 客户经理编号 refers to: (staff_code, name, branch)
MANAGERS = [(f"S{n:03d}", name, fakebook.BRANCHES[n % len(fakebook.BRANCHES)])
            for n, name in enumerate(["王芳", "李强", "张敏", "刘洋", "陈静", "杨磊", "赵丽", "黄勇"], start=1)]
# staff besides the account managers, by key: (role, name); each signs in as <key>@bench.example.com
PEOPLE = {"admin": ("admin", "管理员"), "chief": ("chief_analyst", "首席分析师"), "approver": ("approver", "合规审核"),
          "researcher1": ("researcher", "研究员1"), "researcher2": ("researcher", "研究员2")}

# a tier for every client by id % 100: 1% diamond, 2% platinum, 5% gold, 12% quality, 30% effective,
# 25% dormant, 25% ordinary
TIER_SPREAD_SQL = """
UPDATE clients SET tier = CASE
    WHEN id % 100 < 1 THEN 'diamond' WHEN id % 100 < 3 THEN 'platinum' WHEN id % 100 < 8 THEN 'gold'
    WHEN id % 100 < 20 THEN 'quality' WHEN id % 100 < 50 THEN 'effective' WHEN id % 100 < 75 THEN 'dormant'
    ELSE 'ordinary' END
"""
# a daily comment to every tier, dormant included (named, as a dormant audience must be): the whole book
DAILY_COMMENT = {
    "kind": "daily_comment", "title": "早评 2026-11-25",
    "body": "{name}您好：今日早评，螺纹钢震荡偏强，关注3150一线支撑，注意控制仓位。全文见{note_link}",
    "note_markdown": "## 早评 2026-11-25\n\n螺纹钢：库存连续三周下降，震荡偏强，关注3150一线支撑。\n\n市场有风险，投资需谨慎。",
    "audience": {"tiers": ["diamond", "platinum", "gold", "quality", "effective", "dormant", "ordinary"]},
}


def email(key: str) -> str:
    return f"{key.lower()}@bench.example.com"


# ---- the client book ---------------------------------------------------------------------------------------

def book(count: int) -> list[fakebook.FakeClient]:
    """The same `count` clients every time, 85% with one of the MANAGERS; assessed (C2 or more) within the two
    years before today by the clock, so that every one of them may receive a commentary."""
    from core import clock

    return fakebook.clients(count, staff_codes=[code for code, _, _ in MANAGERS], assessed_before=clock.now().date())


def export(clients: list[fakebook.FakeClient]) -> bytes:
    """The client export as the settlement system (Chinese Excel) writes it: UTF-8 with BOM, CRLF, Chinese headers."""
    def day(value):
        return value.isoformat() if value else ""

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(EXPORT_HEADER)
    writer.writerows([c.account_no, c.name, c.mobile, c.branch, c.staff_code, day(c.opened_on), day(c.last_trade_on),
                      day(c.last_position_on), "专业" if c.investor_type == "professional" else "普通",
                      TOLERANCE_NAMES[c.risk_tolerance] if c.risk_tolerance else "", day(c.risk_assessed_on)]
                     for c in clients)
    return out.getvalue().encode("utf-8-sig")


# ---- databases and the app ---------------------------------------------------------------------------------

def postgres_url() -> str:
    return os.environ.get(POSTGRES_ENV) or DEFAULT_POSTGRES_URL


def engine(url: str, **kw):
    from core.config import normalise_db_url

    return sa.create_engine(normalise_db_url(url), poolclass=sa.pool.NullPool, **kw)


@contextmanager
def database(backend: str, postgres_url: str | None = None):
    """A database of this run's own, as a URL: a SQLite file in a temporary folder, or a new PostgreSQL database
    `bench_<pid>_<random>` beside the one `postgres_url` names (never touching its tables); removed at the end."""
    if backend == "sqlite":
        with tempfile.TemporaryDirectory(prefix="bench-") as folder:
            yield f"sqlite:///{Path(folder) / 'bench.db'}"
        return
    admin = engine(postgres_url, isolation_level="AUTOCOMMIT")  # a new connection each time: the server may
    name = f"bench_{os.getpid()}_{uuid.uuid4().hex[:8]}"       # have restarted since the last one
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin.url.set(database=name).render_as_string(hide_password=False)
    finally:
        for attempt in range(5):  # the server may be restarting; a warning, so the run's own outcome is reported
            try:
                with admin.connect() as conn:
                    conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                break
            except sa.exc.SQLAlchemyError as exc:
                if attempt == 4:
                    print(f"warning: could not drop {name} ({exc.__class__.__name__}); drop it by hand: "
                          f'DROP DATABASE "{name}" WITH (FORCE)', file=sys.stderr, flush=True)
                time.sleep(2.0)


def postgres_answer(url: str, query: str = "SELECT 1"):
    """What the server at `url` answers to `query`; None when it does not answer (or the URL is no good)."""
    try:
        with engine(url, connect_args={"connect_timeout": 3}).connect() as conn:
            return conn.execute(sa.text(query)).scalar()
    except Exception:  # noqa: BLE001 - any failure means "not there"
        return None


def make_app(url: str, **config):
    """The app on database `url`, for testing; `config` adds to or overrides that."""
    os.environ.setdefault("SECRET_KEY", SECRET_KEY)  # else the app would make one in instance/
    from app import create_app

    # pages are timed as read, not the sign-in: the admin signs in with the password alone
    return create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": SECRET_KEY, "TESTING": True,
                       "SERVER_NAME": None, "QUIET_HOURS": "", "REQUIRE_SECOND_FACTOR": False, **config})


@contextmanager
def fresh_app(backend: str, postgres_url: str | None = None, **config):
    """The app on a new database of its own, built by the migrations; disposed of and removed at the end."""
    from flask_migrate import upgrade

    from core.extensions import db

    with database(backend, postgres_url) as url:
        app = make_app(url, **config)
        with app.app_context():
            logging.disable(logging.INFO)  # no "Running upgrade ..." lines
            try:
                upgrade()
            finally:
                logging.disable(logging.NOTSET)
        try:
            yield app
        finally:
            with app.app_context():
                db.engine.dispose()


def add_staff(people=()) -> dict[str, int]:
    """The MANAGERS as business staff and `people` (keys of PEOPLE; researchers on duty), committed; their ids
    by staff code and key. Call inside an app context."""
    from core.extensions import db
    from staff.service import create_staff

    made = {code: create_staff(db.session, email=email(code), name=name, password=PASSWORD,
                               roles=["business_staff"], branch=branch, staff_code=code)
            for code, name, branch in MANAGERS}
    for key in people:
        role, name = PEOPLE[key]
        made[key] = create_staff(db.session, email=email(key), name=name, password=PASSWORD, roles=[role])
        made[key].on_duty = role == "researcher"
        if role in ("researcher", "chief_analyst"):  # their advice names them and their qualification
            made[key].qualification_no = f"Z{len(made):07d}"
    db.session.commit()
    return {key: s.id for key, s in made.items()}


def add_book(clients: list[fakebook.FakeClient], tiers: bool = True, analyse: bool = True) -> None:
    """`import_clients` of the export of `clients`, committed, checked (all created, none rejected); then the tier
    spread, and the planner told about the new rows on PostgreSQL (as autovacuum soon would). In an app context."""
    from clients.imports import import_clients
    from core.extensions import db

    result = import_clients(db.session, export(clients), "clients.csv")
    db.session.commit()
    if (result.created, len(result.rejected)) != (len(clients), 0):
        raise AssertionError(f"client import: created {result.created}, rejected {len(result.rejected)}; "
                             f"expected {len(clients):,} created")
    if tiers:
        db.session.execute(sa.text(TIER_SPREAD_SQL))
        db.session.commit()
        odd = db.session.execute(sa.text("SELECT COUNT(*) FROM clients WHERE tier IS NULL OR opted_out")).scalar()
        if odd:
            raise AssertionError(f"after the tier spread: {odd} clients without a tier or opted out")
    if analyse:
        vacuum()
    db.session.remove()


def build(app, clients: int, people=(), tiers: bool = True, analyse: bool = True):
    """add_staff and add_book of `clients` generated clients on `app`: (staff ids, the book)."""
    with app.app_context():
        ids = add_staff(people)
        clients_made = book(clients)
        add_book(clients_made, tiers, analyse)
    return ids, clients_made


def vacuum(table: str = "") -> None:
    """On PostgreSQL, VACUUM ANALYZE (one table, or all); nothing on SQLite. Call inside an app context."""
    from core.extensions import db

    if db.engine.dialect.name == "postgresql":
        db.session.commit()
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text(f"VACUUM ANALYZE {table}"))


def timed(step):
    """(seconds, result) of `step()` and the commit after it (what a page, the API and the CLI do), on a fresh
    session that is removed afterwards. Call inside an app context."""
    from core.extensions import db

    gc.collect()
    start = time.perf_counter()
    result = step()
    db.session.commit()
    elapsed = time.perf_counter() - start
    db.session.remove()
    return elapsed, result


# ---- pages -------------------------------------------------------------------------------------------------

CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def sign_in(app, key: str):
    """A test client signed in as <key>@bench.example.com through the real login form (CSRF token included).
    Its requests run outside any app context, as in production: each gets its own, and its own session."""
    client = app.test_client()
    page = client.get("/login")
    token = CSRF.search(page.get_data(as_text=True))
    if page.status_code != 200 or not token:
        raise AssertionError(f"GET /login: status {page.status_code}, CSRF token {'found' if token else 'missing'}")
    response = client.post("/login", data={"email": email(key), "password": PASSWORD, "csrf_token": token.group(1)})
    if response.status_code != 302:
        raise AssertionError(f"sign-in as {email(key)} failed: status {response.status_code}")
    return client


def time_page(client, url: str, check, repeats: int) -> list[float]:
    """Seconds of `repeats` GETs of `url` after one warm-up; each must answer 200 with a page `check(html)`
    accepts (it raises AssertionError otherwise), so that a fast error or empty page cannot pass."""
    def get() -> float:
        start = time.perf_counter()
        response = client.get(url)
        html = response.get_data(as_text=True)
        elapsed = time.perf_counter() - start
        if response.status_code != 200:
            raise AssertionError(f"GET {url}: status {response.status_code}, expected 200")
        check(html)
        return elapsed

    get()
    gc.collect()
    return [get() for _ in range(repeats)]


# ---- sending -----------------------------------------------------------------------------------------------

def approved_broadcast(app, ids: dict[str, int], schedule: bool = False) -> int:
    """DAILY_COMMENT created by the chief analyst, submitted and approved through broadcast.service, and when
    `schedule`, scheduled for now (the same text again is confirmed as a duplicate). Returns its id."""
    from broadcast import scheduling, service
    from broadcast.settings import Settings
    from core import calendar, clock
    from core.extensions import db
    from staff.models import Staff

    with app.app_context():
        settings = Settings.from_config(app.config)
        chief, approver = db.session.get(Staff, ids["chief"]), db.session.get(Staff, ids["approver"])
        b = service.create_draft(db.session, dict(DAILY_COMMENT), chief, settings)
        service.submit(db.session, b, chief, settings, now=NOW)
        service.approve(db.session, b, approver)
        if schedule:
            scheduling.schedule(db.session, b, chief, None, settings, clock.now(), calendar.calendar_for({"QUIET_HOURS": ""}),
                                confirm_duplicate=True)
        db.session.commit()
        broadcast_id = b.id
        db.session.remove()
    return broadcast_id


def check_sent(emulator, broadcast_id: int, messages: int) -> set:
    """Every message of the broadcast queued with the SID the emulator gave it, and the emulator got exactly one
    message per recipient, with the row's text; AssertionError otherwise. Returns the workers that claimed
    them (`claimed_by`). Call inside an app context."""
    from core.extensions import db
    from messaging.models import OutboundMessage as om

    rows = db.session.execute(sa.select(om.to, om.body, om.state, om.provider_sid, om.claimed_by)
                              .where(om.broadcast_id == broadcast_id)).all()
    db.session.remove()
    states = Counter(r.state.value for r in rows)
    if states != {"queued": messages}:
        raise AssertionError(f"message states {dict(states)}; expected {messages} queued")
    sent = emulator.messages
    per_number = Counter(m["to"] for m in sent)
    twice = sum(1 for n in per_number.values() if n > 1)
    if len(sent) != messages or twice:
        raise AssertionError(f"the emulator got {len(sent)} messages for {len(per_number)} numbers ({twice} "
                             f"numbers more than once); expected {messages}, one per recipient")
    by_sid = {m["sid"]: (m["to"], m["body"]) for m in sent}
    wrong = [r.to for r in rows if by_sid.get(r.provider_sid) != (r.to, r.body)]
    if wrong:
        raise AssertionError(f"{len(wrong)} rows whose SID, number or text differ from the emulator's, such as "
                             f"{wrong[0]}")
    return {r.claimed_by for r in rows}


# ---- processes ---------------------------------------------------------------------------------------------

class Process:
    """`args` run from the repository root with `env` added to this one's, its output in `log`."""

    def __init__(self, args: list[str], env: dict[str, str], log: Path):
        self.log = log
        with open(log, "wb") as out:
            self.proc = subprocess.Popen(args, cwd=str(ROOT), stdout=out, stderr=subprocess.STDOUT,
                                         env={**os.environ, "PYTHONUNBUFFERED": "1", **env})

    def exited(self) -> str | None:
        """None while it runs; else its status and the last line of its log."""
        if self.proc.poll() is None:
            return None
        lines = [line.strip() for line in self.log_text().splitlines() if line.strip()]
        return f"exited with status {self.proc.returncode}: {lines[-1] if lines else '(nothing in its log)'}"

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self) -> None:
        """SIGTERM, then SIGKILL after 15 s."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)


# ---- the rows of the one table -----------------------------------------------------------------------------

@dataclass
class Row:
    """One line of the table `python -m benchmarks` prints.

    `median` is the figure the target is about, in `unit`; `second` a named second figure in the same unit
    (("min", x): the fastest run or request; ("p50", x); ...). `ok` is None for a row without a target (a
    baseline). A row whose `baseline` names the `key` of another row of the same benchmark gets that row's
    figure and the ratio median / baseline median beside it (the runner fills them in). `status` is "ok",
    "error" (the benchmark failed to run or its results were wrong) or "n/a" (cannot run here); `note` says
    why, or what else a reader should know."""

    benchmark: str
    case: str
    backend: str  # "sqlite", "postgresql", or "" for no database
    unit: str = ""
    median: float | None = None
    second: tuple[str, float] | None = None
    target: str = ""
    ok: bool | None = None
    key: str | None = None  # the name other rows use for this one as their baseline
    short: str = ""  # how the baseline column names this row, such as "plain loop"
    baseline: str | None = None  # the key of this row's baseline
    status: str = "ok"
    note: str = ""
    baseline_median: float | None = None  # filled in by the runner
    baseline_short: str = ""
    ratio: float | None = None


def timing(benchmark: str, case: str, backend: str, seconds: list[float], target_s: float, unit: str = "s") -> Row:
    """A row of timings (one per run or request, in seconds): the median and the fastest in `unit` ("s" or "ms"),
    ok when the median is under `target_s`."""
    scale = 1000.0 if unit == "ms" else 1.0
    median = statistics.median(seconds)
    return Row(benchmark, case, backend, unit, median * scale, ("min", min(seconds) * scale),
               f"< {target_s * scale:,g}", median < target_s)


def percentile(values: list[float], p: float) -> float:
    """Nearest rank; infinite for no values."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p * len(ordered)) - 1)] if ordered else math.inf
