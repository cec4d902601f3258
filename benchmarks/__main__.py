"""Every benchmark on SQLite and on PostgreSQL, as one table: each figure next to its target and, where a
baseline exists, the baseline measured in the same run and the ratio. Exits 1 when a target is missed or a
benchmark fails to run (the table still shows every row).

    .venv/bin/python -m benchmarks                  # the full table (the targets' sizes); about 25 minutes
    .venv/bin/python -m benchmarks --quick          # a smoke test: small sizes, 1 repeat; 1-3 minutes
    .venv/bin/python -m benchmarks --sqlite-only --only send_rate,queue_page
    .venv/bin/python -m benchmarks --markdown       # the table as Markdown, for the README

A benchmark is a module `benchmarks/<name>.py` with `table(backend, postgres_url, quick, progress)` returning
`_common.Row`s, optionally `BACKENDS` (the backends it runs on; default both) and `baselines(quick, progress)`
(rows measured once, without a database, that other rows are compared with).
"""
from __future__ import annotations

import argparse
import os
import platform
import sqlite3
import sys
import time
import traceback
import unicodedata
from datetime import datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

import _common as common  # noqa: E402 - puts the repository root on sys.path too

# in the order of the issues that set their targets
ORDER = ["import_clients", "client_list", "tier_review", "audience_snapshot", "send_rate", "workers",
         "inbound_webhook", "queue_page"]


def available() -> list[str]:
    """The benchmarks: ORDER, then any other module of this folder with a `table()` (checked when loaded)."""
    others = sorted(p.stem for p in HERE.glob("*.py")
                    if not p.name.startswith("_") and p.stem not in ORDER and p.stem != "run_all")
    return ORDER + others


def _postgres_problem(url: str) -> str | None:
    try:
        if common.postgres_reachable(url):
            return None
    except Exception as exc:  # noqa: BLE001 - a malformed URL, a missing driver: the rows say so
        return f"PostgreSQL at {_safe(url)}: {exc.__class__.__name__}: {exc}"
    return f"no PostgreSQL answers at {_safe(url)} (set --postgres or ${common.POSTGRES_ENV}, or use --sqlite-only)"


def _safe(url: str) -> str:
    import sqlalchemy as sa

    try:
        return sa.engine.make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001
        return "(the given URL)"


def _postgres_version(url: str) -> str:
    import sqlalchemy as sa

    from core.config import normalise_db_url

    engine = sa.create_engine(normalise_db_url(url))
    try:
        with engine.connect() as conn:
            return "PostgreSQL " + conn.execute(sa.text("SHOW server_version")).scalar().split()[0]
    except Exception:  # noqa: BLE001
        return "PostgreSQL ?"
    finally:
        engine.dispose()


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{exc.__class__.__name__}: {text[0] if text else ''}".strip()


def _say(text: str) -> None:
    print(f"    {text}", flush=True)


def run(names: list[str], backends: list[str], postgres_url: str, quick: bool) -> list[common.Row]:
    """Every benchmark of `names` on each of `backends` it runs on; a benchmark that fails gives an error row
    and the others go on."""
    problem = _postgres_problem(postgres_url) if "postgresql" in backends else None
    if problem:
        print(f"PostgreSQL rows cannot run: {problem}", flush=True)
    rows: list[common.Row] = []
    for name in names:
        try:
            module = common.load(name)
        except Exception as exc:
            traceback.print_exc()
            rows.append(common.error_row(name, "", f"could not load benchmarks/{name}.py: {_first_line(exc)}"))
            continue
        if not callable(getattr(module, "table", None)):
            rows.append(common.error_row(name, "", f"benchmarks/{name}.py has no table() function"))
            continue
        own = [b for b in backends if b in getattr(module, "BACKENDS", common.BACKENDS)]
        if not own:
            print(f"== {name}: skipped ({' and '.join(getattr(module, 'BACKENDS', ()))} only)", flush=True)
            continue
        if callable(getattr(module, "baselines", None)):
            rows += _step(name, "baselines", module.baselines, quick, _say)
        for backend in own:
            if backend == "postgresql" and problem:
                rows.append(common.error_row(name, backend, problem))
                continue
            url = postgres_url if backend == "postgresql" else None
            rows += _step(name, backend, module.table, backend, url, quick, _say)
    return rows


def _step(name: str, what: str, call, *args) -> list[common.Row]:
    """`call(*args)` of a benchmark, timed: its rows, or one error row when it raised. On PostgreSQL, a run
    cut short because the server went away (someone restarted it: the fault tests do, on a shared machine)
    is run once more when the server is back."""
    label = common.BACKEND_NAMES.get(what, what)
    for attempt in (1, 2):
        print(f"== {name} ({label}){' once more' if attempt == 2 else ''} ...", flush=True)
        start = time.perf_counter()
        try:
            got = list(call(*args))
        except KeyboardInterrupt:
            raise
        except Exception as exc:
            traceback.print_exc()
            print(f"   {name} ({label}) failed after {time.perf_counter() - start:.0f} s", flush=True)
            url = args[1] if what == "postgresql" else None
            if attempt == 1 and url and _server_went_away(exc):
                print(f"   PostgreSQL went away during the run ({_first_line(exc)}); waiting for it to answer "
                      f"again, then running {name} once more", flush=True)
                if _wait_for_server(url):
                    continue
            note = _first_line(exc) + (" (on the second try: PostgreSQL had gone away during the first)"
                                       if attempt == 2 else "")
            return [common.error_row(name, "" if what == "baselines" else what, note,
                                     "(baselines did not run)" if what == "baselines" else "(did not run)")]
        print(f"   done in {time.perf_counter() - start:.0f} s", flush=True)
        return got
    raise AssertionError("unreachable")


GONE = ("terminating connection due to administrator command", "server closed the connection unexpectedly",
        "the database system is shutting down", "the database system is starting up",
        "the database system is in recovery mode", "Connection refused")


def _server_went_away(exc: BaseException) -> bool:
    """Whether `exc`, or an exception it came from, says the PostgreSQL server stopped or restarted."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if exc.__class__.__name__ in ("AdminShutdown", "CannotConnectNow") or any(m in str(exc) for m in GONE):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def _wait_for_server(url: str, timeout: float = 120.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if common.postgres_reachable(url):
            time.sleep(2.0)  # a server that restarts may answer once and go away again
            if common.postgres_reachable(url):
                return True
        time.sleep(2.0)
    return False


def link_baselines(rows: list[common.Row]) -> None:
    """Each row with a baseline gets that row's figure and the ratio (the baseline of its own backend when
    there is one, else the one measured without a database)."""
    for row in rows:
        if row.baseline is None:
            continue
        candidates = [r for r in rows if r.benchmark == row.benchmark and r.key == row.baseline]
        base = next((r for r in candidates if r.backend == row.backend), None) or \
            next((r for r in candidates if r.backend == ""), None)
        if base is None or base.median is None:
            row.baseline_short = base.short if base else row.baseline
            continue
        row.baseline_median, row.baseline_short = base.median, base.short
        if row.median is not None and base.median:
            row.ratio = row.median / base.median


def ordered(rows: list[common.Row]) -> list[common.Row]:
    """By benchmark (in the order run), then by case (in the order first seen), SQLite before PostgreSQL, so
    that the two backends' figures of one case stand together; rows without a database first."""
    bench_order = {b: i for i, b in enumerate(dict.fromkeys(r.benchmark for r in rows))}
    case_order = {(r.benchmark, r.case): i for i, r in reversed(list(enumerate(rows)))}
    backend_order = {"": 0, "sqlite": 1, "postgresql": 2}
    return sorted(rows, key=lambda r: (bench_order[r.benchmark], backend_order[r.backend] != 0,
                                       case_order[(r.benchmark, r.case)], backend_order[r.backend]))


def result(row: common.Row) -> str:
    if row.status == "error":
        return "ERROR"
    if row.status == "n/a":
        return "n/a"
    if row.ok is None:
        return "baseline" if row.key else ""
    return "PASS" if row.ok else "FAIL"


def cells(row: common.Row) -> list[str]:
    second = f"{row.second[0]} {common.fmt(row.second[1])}" if row.second else ""
    baseline = (f"{common.fmt(row.baseline_median)} ({row.baseline_short})" if row.baseline_median is not None
                else f"n/a ({row.baseline_short})" if row.baseline else "")
    ratio = f"{row.ratio:.2f}×" if row.ratio is not None else ""
    return [f"{row.benchmark}: {row.case}", row.backend_name, common.fmt(row.median), second, row.unit,
            row.target, result(row), baseline, ratio]


HEADER = ["benchmark", "backend", "median", "min / p50 / peak", "unit", "target", "result", "baseline", "ratio"]
RIGHT = {2, 3, 7, 8}  # right-aligned columns in the text table


def _width(text: str) -> int:
    """Terminal columns of `text` (a Chinese character takes two)."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int, right: bool) -> str:
    room = " " * max(0, width - _width(text))
    return room + text if right else text + room


def render_text(rows: list[common.Row]) -> str:
    table = [HEADER] + [cells(r) for r in rows]
    widths = [max(_width(line[i]) for line in table) for i in range(len(HEADER))]
    out = []
    for n, line in enumerate(table):
        out.append("  ".join(_pad(cell, w, i in RIGHT)
                             for i, (cell, w) in enumerate(zip(line, widths, strict=True))).rstrip())
        if n == 0:
            out.append("  ".join("-" * w for w in widths))
    return "\n".join(out)


def render_markdown(rows: list[common.Row]) -> str:
    def esc(text: str) -> str:
        return text.replace("|", "\\|")

    out = ["| " + " | ".join(HEADER) + " |",
           "| " + " | ".join("---:" if i in RIGHT else "---" for i in range(len(HEADER))) + " |"]
    out += ["| " + " | ".join(esc(c) for c in cells(r)) + " |" for r in rows]
    return "\n".join(out)


def notes(rows: list[common.Row]) -> list[str]:
    """Why each row that is not a PASS or a baseline is what it is."""
    return [f"{result(r)}: {r.benchmark}: {r.case} ({r.backend_name}): {r.note}"
            for r in rows if r.note and (r.status != "ok" or r.ok is False)]


QUICK_WARNING = ("QUICK SMOKE RUN (--quick): small sizes and 1 repeat, NOT the sizes the targets are set for; "
                 "PASS/FAIL here only shows that every benchmark runs and checks its results.")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="Every benchmark on SQLite and PostgreSQL as one table: each figure beside its target and, "
                    "where there is one, beside its baseline measured in the same run.")
    parser.add_argument("--quick", action="store_true",
                        help="small sizes and 1 repeat: a smoke test of every benchmark, not of the targets")
    parser.add_argument("--sqlite-only", action="store_true", help="SQLite only (skips the PostgreSQL-only rows)")
    parser.add_argument("--only", metavar="NAME", action="append", default=[],
                        help="only these benchmarks (repeat, or separate with commas): " + ", ".join(available()))
    parser.add_argument("--postgres", metavar="URL", default=common.postgres_url(),
                        help=f"the PostgreSQL server; each benchmark makes a database of its own beside the one "
                             f"named and drops it (default: ${common.POSTGRES_ENV}, else %(default)s)")
    parser.add_argument("--markdown", action="store_true", help="print the table as Markdown (for the README)")
    args = parser.parse_args(argv)
    names = available()
    if args.only:
        wanted = [n.strip() for item in args.only for n in item.split(",") if n.strip()]
        unknown = [n for n in wanted if n not in names]
        if unknown:
            parser.error(f"unknown benchmark(s) {', '.join(unknown)}; there are: {', '.join(names)}")
        names = [n for n in names if n in wanted]
    backends = ["sqlite"] if args.sqlite_only else list(common.BACKENDS)
    os.environ.setdefault("SECRET_KEY", "bench")

    began, start = datetime.now().astimezone(), time.perf_counter()
    size = "quick smoke run (small sizes, 1 repeat)" if args.quick else "full size (the targets' sizes)"
    print(f"python -m benchmarks: {', '.join(names)}; {' and '.join(common.BACKEND_NAMES[b] for b in backends)}; "
          f"{size}", flush=True)
    if args.quick:
        print(QUICK_WARNING, flush=True)
    rows = run(names, backends, args.postgres, args.quick)
    link_baselines(rows)
    rows = ordered(rows)
    minutes = (time.perf_counter() - start) / 60

    databases = f"SQLite {sqlite3.sqlite_version}"
    if "postgresql" in backends:
        databases += ", " + _postgres_version(args.postgres)
    heading = (f"Benchmarks of {began:%Y-%m-%d %H:%M %z}, {platform.node()}: {os.cpu_count()} CPUs, "
               f"Python {platform.python_version()}, {databases}; {size}; {minutes:.0f} min")
    print()
    if args.markdown:
        if args.quick:
            print(f"**{QUICK_WARNING}**\n")
        print(heading + "\n")
        print(render_markdown(rows))
    else:
        print(heading)
        if args.quick:
            print(QUICK_WARNING)
        print()
        print(render_text(rows))
    remarks = notes(rows)
    if remarks:
        print()
        for line in remarks:
            print(f"- {line}")
    missed = sum(1 for r in rows if r.ok is False and r.status == "ok")
    errors = sum(1 for r in rows if r.status == "error")
    unavailable = sum(1 for r in rows if r.status == "n/a")
    print()
    print(f"{sum(1 for r in rows if r.ok)} passed, {missed} target(s) missed, {errors} error(s), "
          f"{unavailable} not available" + (" (QUICK SMOKE RUN: not the targets' sizes)" if args.quick else ""))
    return 1 if missed or errors else 0


if __name__ == "__main__":
    sys.exit(main())
