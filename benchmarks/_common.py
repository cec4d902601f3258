"""Setup shared by the benchmarks in this folder (not a benchmark: the runner skips names starting with "_").

Loading a sibling benchmark as a module, a fresh migrated app on a SQLite file or on a new PostgreSQL
database beside a given one, the account managers as business staff, the checked client import, and the
rows of the one table `python -m benchmarks` prints (`Row`).
"""
from __future__ import annotations

import importlib.util
import logging
import math
import os
import statistics
import sys
import tempfile
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

BACKENDS = ("sqlite", "postgresql")
BACKEND_NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL", "": "none"}  # "": no database at all
DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
POSTGRES_ENV = "BENCH_POSTGRES_URL"

# a tier for every client by id % 100 (lowercase codes, as stored): 1% diamond, 2% platinum, 5% gold,
# 12% quality, 30% effective, 25% dormant, 25% ordinary
TIER_SPREAD_SQL = """
UPDATE clients SET tier = CASE
    WHEN id % 100 < 1 THEN 'diamond'
    WHEN id % 100 < 3 THEN 'platinum'
    WHEN id % 100 < 8 THEN 'gold'
    WHEN id % 100 < 20 THEN 'quality'
    WHEN id % 100 < 50 THEN 'effective'
    WHEN id % 100 < 75 THEN 'dormant'
    ELSE 'ordinary' END
"""


def load(stem: str):
    """benchmarks/<stem>.py as a module (the one run_all already loaded, when there is one)."""
    name = f"benchmarks_{stem}"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, HERE / f"{stem}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def import_bench():
    """benchmarks/import_clients.py: the generated client export, STAFF and STAFF_PASSWORD."""
    return load("import_clients")


def machine() -> str:
    """The "(N CPUs, Python X.Y.Z)" the benchmarks' header lines end with."""
    return f"({os.cpu_count()} CPUs, Python {sys.version.split()[0]})"


# ---- databases and the app ---------------------------------------------------------------------------------

def sqlite_url(folder: str) -> str:
    return f"sqlite:///{Path(folder) / 'bench.db'}"


@contextmanager
def database(backend: str, postgres_url: str | None = None, prefix: str = "bench-"):
    """A database of this run's own, as a SQLAlchemy URL: a SQLite file in a temporary folder, or a new
    PostgreSQL database `bench_<random>` made beside the one `postgres_url` names; removed at the end."""
    if backend == "sqlite":
        with tempfile.TemporaryDirectory(prefix=prefix) as folder:
            yield sqlite_url(folder)
        return
    import sqlalchemy as sa

    from core.config import normalise_db_url

    base = sa.engine.make_url(normalise_db_url(postgres_url))
    name = f"bench_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    # a new connection each time: the server may have restarted since the last one
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        _drop(admin, name)
        admin.dispose()


def _drop(admin, name: str, tries: int = 5) -> None:
    """DROP DATABASE `name`, retried for a while (the server may be restarting); a warning, not an error, when
    it cannot be done, so that the benchmark's own outcome (or exception) is what is reported."""
    import sqlalchemy as sa

    for attempt in range(tries):
        try:
            with admin.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            return
        except sa.exc.SQLAlchemyError as exc:
            if attempt == tries - 1:
                print(f"warning: could not drop the benchmark database {name} ({exc.__class__.__name__}); "
                      f"drop it by hand: DROP DATABASE \"{name}\" WITH (FORCE)", file=sys.stderr, flush=True)
                return
            time.sleep(2.0)


def postgres_url() -> str:
    """$BENCH_POSTGRES_URL, else the local test server."""
    return os.environ.get(POSTGRES_ENV) or DEFAULT_POSTGRES_URL


def vacuum_analyze() -> None:
    """On PostgreSQL, commit and VACUUM ANALYZE the whole database, so that the planner knows the tables
    just filled (as autovacuum would tell it a minute later); nothing on SQLite. Call inside an app context."""
    import sqlalchemy as sa

    from core.extensions import db

    if db.engine.dialect.name != "postgresql":
        return
    db.session.commit()
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.text("VACUUM ANALYZE"))


def postgres_reachable(url: str) -> bool:
    import sqlalchemy as sa

    from core.config import normalise_db_url

    engine = sa.create_engine(normalise_db_url(url), connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
        return True
    except Exception:  # noqa: BLE001 - any failure means "not there"
        return False
    finally:
        engine.dispose()


def make_app(url: str, **config):
    """The app on database `url`, for testing (SECRET_KEY "bench"); `config` adds to or overrides that."""
    os.environ.setdefault("SECRET_KEY", "bench")
    from app import create_app

    return create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "TESTING": True,
                       "SERVER_NAME": None, **config})


def migrate() -> None:
    """The migrations, without Alembic's "Running upgrade ..." lines. Call inside an app context."""
    from flask_migrate import upgrade

    logging.disable(logging.INFO)
    try:
        upgrade()
    finally:
        logging.disable(logging.NOTSET)


def create_business_staff(staff: list[tuple[str, str, str]], password: str) -> None:
    """The account managers (staff_code, name, branch) as business staff, <code>@bench.example.com; not
    committed. Call inside an app context."""
    from core.extensions import db
    from staff.service import create_staff

    for code, name, branch in staff:
        create_staff(db.session, email=f"{code.lower()}@bench.example.com", name=name,
                     password=password, roles=["business_staff"], branch=branch, staff_code=code)


def import_book(data: bytes, rows: int, label: str = "import") -> None:
    """`import_clients` of the client export `data`, committed; AssertionError unless it created `rows`
    clients and rejected none. Call inside an app context."""
    from clients.imports import import_clients
    from core.extensions import db

    result = import_clients(db.session, data, "clients.csv")
    db.session.commit()
    created, rejected = result.created, len(result.rejected)
    if (created, rejected) != (rows, 0):
        raise AssertionError(f"{label}: created {created}, rejected {rejected}; "
                             f"expected {rows:,} created, none rejected")


# ---- results -----------------------------------------------------------------------------------------------

def result_row(label: str, times: list[float], target_s: float, inclusive: bool = False) -> dict:
    """{"benchmark", "median_s", "min_s", "target_s", "ok"}: ok when the median is under the target (or
    equal to it, when `inclusive`)."""
    median = statistics.median(times)
    ok = median <= target_s if inclusive else median < target_s
    return {"benchmark": label, "median_s": median, "min_s": min(times), "target_s": target_s, "ok": ok}


def verdict(row: dict) -> str:
    return "PASS" if row["ok"] else "FAIL"


# ---- the rows of the one table -----------------------------------------------------------------------------

@dataclass
class Row:
    """One line of the table `python -m benchmarks` prints.

    `median` is the figure the target is about, in `unit`; `second` a labelled second figure in the same unit
    (("min", x): the fastest run or request; ("p50", x); ...). `ok` is None for a row without a target (a
    baseline). A row whose `baseline` names the `key` of another row of the same benchmark gets that row's
    figure and the ratio median / baseline median beside it (filled in by the runner). `status` is "ok",
    "error" (the benchmark failed to run or its results were wrong) or "n/a" (cannot run here yet); `note`
    says why, or what else a reader should know."""

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

    @property
    def backend_name(self) -> str:
        return BACKEND_NAMES[self.backend]

    @property
    def failed(self) -> bool:
        return self.status == "error" or self.ok is False


SCALE = {"s": 1.0, "ms": 1000.0}


def timing(benchmark: str, case: str, backend: str, seconds: list[float], target_s: float, unit: str = "s",
           inclusive: bool = False, second: str = "min") -> Row:
    """A row of timings (one per run or request, in seconds) against `target_s`: the median and the fastest
    (`second="min"`) or the 99th percentile (`second="p99"`, nearest rank) shown in `unit` ("s" or "ms"); ok
    when the median is under the target (or equal to it, when `inclusive`)."""
    scale = SCALE[unit]
    median = statistics.median(seconds)
    other = min(seconds) if second == "min" else percentile(seconds, 0.99)
    ok = median <= target_s if inclusive else median < target_s
    return Row(benchmark, case, backend, unit, median * scale, (second, other * scale),
               f"{'≤' if inclusive else '<'} {target_s * scale:,g}", ok)


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p * len(ordered)) - 1)]  # nearest rank


def error_row(benchmark: str, backend: str, message: str, case: str = "(did not run)") -> Row:
    return Row(benchmark, case, backend, status="error", note=message)


def fmt(value: float | None) -> str:
    """A figure with about three significant digits: 1234, 123, 12.3, 1.23, 0.123."""
    if value is None:
        return ""
    size = abs(value)
    if size >= 100:
        return f"{value:,.0f}"
    if size >= 10:
        return f"{value:.1f}"
    if size >= 1:
        return f"{value:.2f}"
    return f"{value:.3f}"
