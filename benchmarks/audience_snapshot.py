"""Benchmark: resolving an audience of 100,000 clients into message rows (target: under 5 s), on SQLite and
on PostgreSQL.

The requirement (issue 3): when a broadcast starts, its audience is resolved once into one pending outbox
row per recipient (`broadcast.sending.snapshot`), each with its own text (the client's name filled in,
the research-note link with the recipient's own token, the signature and the opt-out line) and its
segment count. For an audience of 100,000 clients that must take under 5 s, on SQLite and on PostgreSQL.

Each backend gets one fresh database built by the migrations: the eight account managers of
benchmarks/import_clients.py, a chief analyst and an approver, and the same generated 100,000-row client
export imported with `import_clients` (not timed). One `UPDATE` gives every client a tier (the spread of
benchmarks/client_list.py), nobody is opted out. A daily comment with a `{name}` placeholder and a
research note, whose audience is every tier (so it reaches all 100,000 clients, dormant ones included),
is created, submitted and approved through `broadcast.service`. Each run then times

    sending.snapshot(db.session, b, settings, now) + db.session.commit()

on a new session, and checks the result before the time counts: 100,000 rows made and stored, one per
client (no client twice), every note token distinct, every row pending with at least one segment, and for
a sample of rows the text holds the client's name and the row's own note link. Between runs the rows are
deleted (and on PostgreSQL the table vacuumed), untimed, so every run resolves into an empty outbox.

PostgreSQL: with `--postgres URL` (or BENCH_POSTGRES_URL) the benchmark makes a database of its own,
`bench_<random>`, beside the one the URL names (CREATE DATABASE, as tests/conftest.py does), and drops it
at the end.

Run it from the repository root:

    .venv/bin/python benchmarks/audience_snapshot.py [--rows 100000] [--runs 3] [--postgres URL] [--profile]

`table()` gives its rows to the one table of `python -m benchmarks`.
"""
from __future__ import annotations

import argparse
import cProfile
import gc
import io
import os
import pstats
import random
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

from broadcast import sending

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

import _common as common  # noqa: E402 - puts the repository root on sys.path too

NAME = "audience_snapshot"
TARGET_S = 5.0
DEFAULT_ROWS = 100_000
DEFAULT_RUNS = 3
QUICK_ROWS = 2_000
POSTGRES_ENV = common.POSTGRES_ENV
SAMPLE = 1000  # rows whose text is checked against their client
NOW = datetime(2026, 11, 25, 1, 30, tzinfo=timezone.utc)  # 09:30 in Shanghai, a Wednesday
PUBLIC_BASE_URL = "https://sms.example.com"

# every tier, dormant included (named explicitly, as a dormant audience must be): all 100,000 clients
AUDIENCE = {"tiers": ["diamond", "platinum", "gold", "quality", "effective", "dormant", "ordinary"]}
BROADCAST = {
    "kind": "daily_comment",
    "title": "早评 2026-11-25",
    "body": "{name}您好：今日早评，螺纹钢震荡偏强，关注3150一线支撑，注意控制仓位。全文见{note_link}",
    "note_markdown": "## 早评 2026-11-25\n\n螺纹钢：库存连续三周下降，震荡偏强，关注3150一线支撑。\n\n"
                     "市场有风险，投资需谨慎。",
    "audience": AUDIENCE,
}


# ---- databases ---------------------------------------------------------------------------------------------

def postgres_url_from_env() -> str | None:
    return os.environ.get(POSTGRES_ENV) or None


def make_app(url: str, **config):
    """The app on `url`, with PUBLIC_BASE_URL and no quiet hours; `config` adds to or overrides that."""
    return common.make_app(url, **{"PUBLIC_BASE_URL": PUBLIC_BASE_URL, "QUIET_HOURS": "", **config})


def build_book(app, rows: list[list[str]], data: bytes) -> dict[str, int]:
    """Migrations, the account managers, a chief analyst and an approver, the client import and one UPDATE
    that gives every client a tier. Returns {"chief": id, "approver": id}. Call inside an app context."""
    import sqlalchemy as sa

    from core.extensions import db
    from staff.service import create_staff

    bench = common.import_bench()
    common.migrate()
    common.create_business_staff(bench.STAFF, bench.STAFF_PASSWORD)
    chief = create_staff(db.session, email="chief@bench.example.com", name="首席分析师",
                         password=bench.STAFF_PASSWORD, roles=["chief_analyst"])
    approver = create_staff(db.session, email="approver@bench.example.com", name="合规审核",
                            password=bench.STAFF_PASSWORD, roles=["approver"])
    db.session.commit()
    ids = {"chief": chief.id, "approver": approver.id}
    common.import_book(data, len(rows))
    db.session.execute(sa.text(common.TIER_SPREAD_SQL))
    db.session.commit()
    untiered, opted_out = db.session.execute(sa.text(
        "SELECT SUM(CASE WHEN tier IS NULL THEN 1 ELSE 0 END), SUM(CASE WHEN opted_out THEN 1 ELSE 0 END) "
        "FROM clients")).one()
    if untiered or opted_out:
        raise AssertionError(f"after the tier UPDATE: {untiered} clients without a tier, {opted_out} opted out")
    if db.engine.dialect.name == "postgresql":
        db.session.commit()
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text("VACUUM ANALYZE"))
    db.session.remove()
    return ids


def approved_broadcast(app, ids: dict[str, int], data: dict | None = None) -> int:
    """A broadcast created, submitted and approved through broadcast.service; returns its id."""
    from broadcast import service
    from broadcast.settings import Settings
    from core.extensions import db
    from staff.models import Staff

    settings = Settings.from_config(app.config)
    chief, approver = db.session.get(Staff, ids["chief"]), db.session.get(Staff, ids["approver"])
    b = service.create_draft(db.session, dict(data or BROADCAST), chief, settings)
    service.submit(db.session, b, chief, settings, now=NOW)
    service.approve(db.session, b, approver)
    db.session.commit()
    bid = b.id
    db.session.remove()
    return bid


# ---- the timed snapshot ------------------------------------------------------------------------------------

def _timed_snapshot(app, broadcast_id: int, profile: cProfile.Profile | None = None) -> tuple[float, int]:
    from broadcast.models import Broadcast
    from broadcast.settings import Settings
    from core.extensions import db

    settings = Settings.from_config(app.config)
    b = db.session.get(Broadcast, broadcast_id)
    gc.collect()
    if profile:
        profile.enable()
    start = time.perf_counter()
    made = sending.snapshot(db.session, b, settings, NOW)
    db.session.commit()
    elapsed = time.perf_counter() - start
    if profile:
        profile.disable()
    db.session.remove()
    return elapsed, made


def check_snapshot(broadcast_id: int, expected: int) -> None:
    """The rows the snapshot stored: `expected` of them, one per client, distinct note tokens, pending, and
    for a sample, the client's name and the row's own note link in the text. AssertionError otherwise."""
    import sqlalchemy as sa

    from clients.models import Client
    from core.extensions import db
    from messaging.models import MessageState, OutboundMessage

    om = OutboundMessage
    total, clients, tokens, pending, min_segments = db.session.execute(
        sa.select(sa.func.count(), sa.func.count(sa.distinct(om.client_id)),
                  sa.func.count(sa.distinct(om.note_token)),
                  sa.func.sum(sa.case((om.state == MessageState.pending, 1), else_=0)), sa.func.min(om.segments))
        .where(om.broadcast_id == broadcast_id)).one()
    if (total, clients, tokens, pending) != (expected,) * 4 or not min_segments or min_segments < 1:
        raise AssertionError(f"snapshot rows: {total} stored, {clients} distinct clients, {tokens} distinct note "
                             f"tokens, {pending} pending, min segments {min_segments}; expected {expected} of each")
    ids = list(db.session.scalars(sa.select(om.id).where(om.broadcast_id == broadcast_id)))
    picked = random.Random(broadcast_id).sample(ids, min(SAMPLE, len(ids)))
    rows = db.session.execute(sa.select(om.to, om.body, om.note_token, Client.name, Client.mobile)
                              .join(Client, Client.id == om.client_id).where(om.id.in_(picked))).all()
    for to, body, token, name, mobile in rows:
        if to != mobile or f"{name}您好" not in body or f"{PUBLIC_BASE_URL}/n/{token}" not in body \
                or not body.startswith("【"):
            raise AssertionError(f"message to {to} does not fit its client {name} ({mobile}): {body!r}")
    db.session.remove()


def _clear(broadcast_id: int) -> None:
    """Untimed: the outbox emptied for the next run (vacuumed on PostgreSQL)."""
    import sqlalchemy as sa

    from core.extensions import db
    from messaging.models import OutboundMessage

    db.session.execute(sa.delete(OutboundMessage).where(OutboundMessage.broadcast_id == broadcast_id))
    db.session.commit()
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text("VACUUM ANALYZE outbound_messages"))
    db.session.remove()


def measure_backend(backend: str, rows: int, runs: int, postgres_url: str | None = None, progress=None,
                    profile: bool = False) -> tuple[list[float], str | None]:
    """Seconds per run on one backend; and, when `profile`, a cProfile report of one more snapshot."""
    from core.extensions import db

    bench = common.import_bench()
    client_rows = bench.make_rows(rows)
    data = bench.to_csv(client_rows)
    times: list[float] = []
    report = None
    with common.database(backend, postgres_url, prefix="bench-snapshot-") as url:
        app = make_app(url)
        with app.app_context():
            started = time.perf_counter()
            ids = build_book(app, client_rows, data)
            broadcast_id = approved_broadcast(app, ids)
            if progress:
                progress(f"{backend}: book of {rows:,} clients built in {time.perf_counter() - started:.0f} s")
            for n in range(runs + (1 if profile else 0)):
                prof = cProfile.Profile() if n == runs else None
                elapsed, made = _timed_snapshot(app, broadcast_id, prof)
                if made != rows:
                    raise AssertionError(f"snapshot made {made} rows, expected {rows}")
                check_snapshot(broadcast_id, rows)
                if prof:
                    out = io.StringIO()
                    stats = pstats.Stats(prof, stream=out)
                    stats.sort_stats("cumulative").print_stats(30)
                    stats.sort_stats("tottime").print_stats(20)
                    report = (f"profiled snapshot on {backend}: {elapsed:.2f} s (with the profiler on)\n"
                              + out.getvalue())
                else:
                    times.append(elapsed)
                    if progress:
                        progress(f"{backend} run {n + 1}/{runs}: {elapsed:.2f} s, {made:,} rows")
                _clear(broadcast_id)
            db.engine.dispose()
    return times, report


def _label(backend: str, rows: int) -> str:
    return f"{NAME}: {rows:,} clients into message rows, {common.BACKEND_NAMES[backend]}"


def _row(backend: str, rows: int, times: list[float]) -> dict:
    return common.result_row(_label(backend, rows), times, TARGET_S)


def table(backend: str, postgres_url: str | None = None, quick: bool = False, progress=None) -> list[common.Row]:
    """One row: the median and fastest snapshot against 5 s, on `backend`. `quick`: 2,000 clients, 1 run."""
    rows, runs = (QUICK_ROWS, 1) if quick else (DEFAULT_ROWS, DEFAULT_RUNS)
    times, _ = measure_backend(backend, rows, runs, postgres_url, progress)
    return [common.timing(NAME, f"{rows:,} clients into message rows", backend, times, TARGET_S)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=DEFAULT_ROWS,
                        help="clients in the audience (default %(default)s)")
    parser.add_argument("--runs", type=int, default=DEFAULT_RUNS,
                        help="timed snapshots per backend; the median and min are reported (default %(default)s)")
    parser.add_argument("--postgres", metavar="URL", default=postgres_url_from_env(),
                        help=f"also on PostgreSQL, in a new database beside this one (default: ${POSTGRES_ENV}, "
                             "else SQLite only)")
    parser.add_argument("--sqlite-only", action="store_true", help=f"ignore --postgres and ${POSTGRES_ENV}")
    parser.add_argument("--profile", action="store_true",
                        help="after the timed runs, profile one more snapshot per backend and print where "
                             "the time goes")
    args = parser.parse_args(argv)
    if args.rows < 100 or args.runs < 1:
        parser.error("--rows must be at least 100 and --runs at least 1")
    backends = ["sqlite"] + ([] if args.sqlite_only or not args.postgres else ["postgresql"])

    def progress(text):
        print(text, flush=True)

    print(f"{NAME}: {args.rows:,} clients, {args.runs} run(s), {' and '.join(backends)}, target {TARGET_S:.0f} s "
          f"{common.machine()}", flush=True)
    summary, reports = [], []
    for backend in backends:
        times, report = measure_backend(backend, args.rows, args.runs, args.postgres, progress, args.profile)
        summary.append(_row(backend, args.rows, times))
        if report:
            reports.append(report)
    for report in reports:
        print()
        print(report)
    width = max(len(r["benchmark"]) for r in summary)
    print()
    print(f"{'benchmark':<{width}} {'median s':>9} {'min s':>8} {'rows/s':>9} {'median/5s':>9}  result")
    for r in summary:
        print(f"{r['benchmark']:<{width}} {r['median_s']:>9.2f} {r['min_s']:>8.2f} "
              f"{args.rows / r['median_s']:>9,.0f} {r['median_s'] / TARGET_S:>9.2f}  {common.verdict(r)}")
    return 0 if all(r["ok"] for r in summary) else 1


if __name__ == "__main__":
    sys.exit(main())
