"""Every benchmark on SQLite and on PostgreSQL, as one table: each figure next to its target and, where a
baseline exists, the baseline measured in the same run and the ratio. Exits 1 when a target is missed or a
benchmark fails to run (the table still shows every row).

    .venv/bin/python -m benchmarks                  # the full table (the targets' sizes)
    .venv/bin/python -m benchmarks --quick          # a smoke test: small sizes, 1 repeat; 1-3 minutes
    .venv/bin/python -m benchmarks --sqlite-only --only send_rate,queue_page
    .venv/bin/python -m benchmarks --markdown       # the table as Markdown, for the README

A benchmark is a module `benchmarks/<name>.py` with `table(backend, postgres_url, quick, progress)` returning
`harness.Row`s, optionally `BACKENDS` (the backends it runs on; default both) and `baselines(quick, progress)`
(rows measured once, without a database, that other rows are compared with).
"""
from __future__ import annotations

import argparse
import importlib
import os
import platform
import re
import sqlite3
import sys
import time
import traceback
import unicodedata
from datetime import datetime
from pathlib import Path

from benchmarks import harness
from benchmarks.harness import BACKEND_NAMES, Row

# in the order of the issues that set their targets; any other module of this folder runs after them
ORDER = ["import_clients", "client_list", "tier_review", "audience_snapshot", "send_rate", "workers",
         "inbound_webhook", "queue_page"]
GONE = ("terminating connection due to administrator command", "server closed the connection unexpectedly",
        "the database system is shutting down", "the database system is starting up",
        "the database system is in recovery mode", "Connection refused")
HEADER = ["benchmark", "backend", "median", "min / p50 / peak", "unit", "target", "result", "baseline", "ratio"]
RIGHT = {2, 3, 7, 8}  # right-aligned columns
QUICK_WARNING = ("QUICK SMOKE RUN (--quick): small sizes and 1 repeat, NOT the sizes the targets are set for; "
                 "PASS/FAIL here only shows that every benchmark runs and checks its results.")


def available() -> list[str]:
    others = sorted(p.stem for p in Path(__file__).parent.glob("*.py")
                    if not p.name.startswith("_") and p.stem not in ORDER and p.stem != "harness")
    return ORDER + others


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{exc.__class__.__name__}: {text[0] if text else ''}".strip()


def _say(text: str) -> None:
    print(f"    {text}", flush=True)


def run(names: list[str], backends: list[str], postgres_url: str, quick: bool) -> list[Row]:
    """Every benchmark of `names` on each of `backends` it runs on; one that fails gives an error row and the
    others go on."""
    safe = re.sub(r"://([^:/@]*):[^@]*@", r"://\1:***@", postgres_url)  # no password in the output
    problem = None
    if "postgresql" in backends and harness.postgres_answer(postgres_url) is None:
        problem = f"no PostgreSQL answers at {safe} (set --postgres or ${harness.POSTGRES_ENV}, or use --sqlite-only)"
        print(f"PostgreSQL rows cannot run: {problem}", flush=True)
    rows: list[Row] = []
    for name in names:
        try:
            module = importlib.import_module(f"benchmarks.{name}")
            module.table  # noqa: B018 - a benchmark without one is an error row
        except Exception as exc:
            traceback.print_exc()
            rows.append(Row(name, "(did not run)", "", status="error",
                            note=f"could not load benchmarks/{name}.py: {_first_line(exc)}"))
            continue
        own = [b for b in backends if b in getattr(module, "BACKENDS", harness.BACKENDS)]
        if not own:
            print(f"== {name}: skipped ({' and '.join(module.BACKENDS)} only)", flush=True)
            continue
        if hasattr(module, "baselines"):
            rows += _step(name, "", None, module.baselines, quick, _say)
        for backend in own:
            if backend == "postgresql" and problem:
                rows.append(Row(name, "(did not run)", backend, status="error", note=problem))
                continue
            url = postgres_url if backend == "postgresql" else None
            rows += _step(name, backend, url, module.table, backend, url, quick, _say)
    return rows


def _step(name: str, backend: str, url: str | None, call, *args) -> list[Row]:
    """`call(*args)`'s rows, timed, or one error row when it raised. On PostgreSQL, a run cut short because the server
    went away (someone restarted it: the fault tests do, on a shared machine) runs once more when it is back."""
    label = BACKEND_NAMES[backend] if backend else "baselines"
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
            if attempt == 1 and url and _server_went_away(exc):
                print(f"   PostgreSQL went away during the run ({_first_line(exc)}); waiting for it to answer "
                      f"again, then running {name} once more", flush=True)
                if _wait_for_server(url):
                    continue
            note = _first_line(exc) + (" (on the second try: PostgreSQL had gone away during the first)"
                                       if attempt == 2 else "")
            return [Row(name, "(baselines did not run)" if not backend else "(did not run)", backend,
                        status="error", note=note)]
        print(f"   done in {time.perf_counter() - start:.0f} s", flush=True)
        return got
    raise AssertionError("unreachable")


def _server_went_away(exc: BaseException | None) -> bool:
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
        if harness.postgres_answer(url) is not None:
            time.sleep(2.0)  # a server that restarts may answer once and go away again
            if harness.postgres_answer(url) is not None:
                return True
        time.sleep(2.0)
    return False


def link_baselines(rows: list[Row]) -> None:
    """Each row with a baseline gets that row's figure and the ratio (the baseline of its own backend when there
    is one, else the one measured without a database)."""
    for row in (r for r in rows if r.baseline is not None):
        candidates = [r for r in rows if r.benchmark == row.benchmark and r.key == row.baseline]
        base = next((r for r in candidates if r.backend == row.backend), None) or \
            next((r for r in candidates if r.backend == ""), None)
        row.baseline_short = base.short if base else row.baseline
        if base is not None and base.median is not None:
            row.baseline_median = base.median
            if row.median is not None and base.median:
                row.ratio = row.median / base.median


def ordered(rows: list[Row]) -> list[Row]:
    """By benchmark (in the order run), rows without a database first, then by case (in the order first seen),
    SQLite before PostgreSQL, so that the two backends' figures of one case stand together."""
    bench_order = {b: i for i, b in enumerate(dict.fromkeys(r.benchmark for r in rows))}
    case_order = {(r.benchmark, r.case): i for i, r in reversed(list(enumerate(rows)))}
    backend_order = {"": 0, "sqlite": 1, "postgresql": 2}
    return sorted(rows, key=lambda r: (bench_order[r.benchmark], r.backend != "", case_order[(r.benchmark, r.case)],
                                       backend_order[r.backend]))


def result(row: Row) -> str:
    if row.status == "error":
        return "ERROR"
    if row.status == "n/a":
        return "n/a"
    if row.ok is None:
        return "baseline" if row.key else ""
    return "PASS" if row.ok else "FAIL"


def fmt(value: float | None) -> str:
    """About three significant digits: 1,234, 123, 12.3, 1.23, 0.123."""
    if value is None:
        return ""
    size = abs(value)
    return (f"{value:,.0f}" if size >= 100 else f"{value:.1f}" if size >= 10 else f"{value:.2f}" if size >= 1
            else f"{value:.3f}")


def cells(row: Row) -> list[str]:
    second = f"{row.second[0]} {fmt(row.second[1])}" if row.second else ""
    baseline = (f"{fmt(row.baseline_median)} ({row.baseline_short})" if row.baseline_median is not None
                else f"n/a ({row.baseline_short})" if row.baseline else "")
    ratio = f"{row.ratio:.2f}×" if row.ratio is not None else ""
    return [f"{row.benchmark}: {row.case}", BACKEND_NAMES[row.backend], fmt(row.median), second, row.unit,
            row.target, result(row), baseline, ratio]


def _width(text: str) -> int:
    """Terminal columns of `text` (a Chinese character takes two)."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def render_text(rows: list[Row]) -> str:
    table = [HEADER] + [cells(r) for r in rows]
    widths = [max(_width(line[i]) for line in table) for i in range(len(HEADER))]
    table.insert(1, ["-" * w for w in widths])

    def pad(text: str, i: int) -> str:
        room = " " * max(0, widths[i] - _width(text))
        return room + text if i in RIGHT else text + room

    return "\n".join("  ".join(pad(cell, i) for i, cell in enumerate(line)).rstrip() for line in table)


def render_markdown(rows: list[Row]) -> str:
    lines = [HEADER, ["---:" if i in RIGHT else "---" for i in range(len(HEADER))]]
    lines += [[c.replace("|", "\\|") for c in cells(r)] for r in rows]
    return "\n".join("| " + " | ".join(line) + " |" for line in lines)


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
    parser.add_argument("--postgres", metavar="URL", default=harness.postgres_url(),
                        help=f"the PostgreSQL server; each benchmark makes a database of its own beside the one "
                             f"named and drops it (default: ${harness.POSTGRES_ENV}, else %(default)s)")
    parser.add_argument("--markdown", action="store_true", help="print the table as Markdown (for the README)")
    args = parser.parse_args(argv)
    names = available()
    if args.only:
        wanted = [n.strip() for item in args.only for n in item.split(",") if n.strip()]
        unknown = [n for n in wanted if n not in names]
        if unknown:
            parser.error(f"unknown benchmark(s) {', '.join(unknown)}; there are: {', '.join(names)}")
        names = [n for n in names if n in wanted]
    backends = ["sqlite"] if args.sqlite_only else list(harness.BACKENDS)
    os.environ.setdefault("SECRET_KEY", harness.SECRET_KEY)

    began, start = datetime.now().astimezone(), time.perf_counter()
    size = "quick smoke run (small sizes, 1 repeat)" if args.quick else "full size (the targets' sizes)"
    print(f"python -m benchmarks: {', '.join(names)}; {' and '.join(BACKEND_NAMES[b] for b in backends)}; {size}",
          flush=True)
    if args.quick:
        print(QUICK_WARNING, flush=True)
    rows = run(names, backends, args.postgres, args.quick)
    link_baselines(rows)
    rows = ordered(rows)

    databases = f"SQLite {sqlite3.sqlite_version}"
    if "postgresql" in backends:
        databases += f", PostgreSQL {(harness.postgres_answer(args.postgres, 'SHOW server_version') or '?').split()[0]}"
    heading = (f"Benchmarks of {began:%Y-%m-%d %H:%M %z}, {platform.node()}: {os.cpu_count()} CPUs, Python "
               f"{platform.python_version()}, {databases}; {size}; {(time.perf_counter() - start) / 60:.0f} min")
    warning = [f"**{QUICK_WARNING}**" if args.markdown else QUICK_WARNING] if args.quick else []
    print("\n" + "\n".join(warning + [heading, "", render_markdown(rows) if args.markdown else render_text(rows)]))
    remarks = [f"- {result(r)}: {r.benchmark}: {r.case} ({BACKEND_NAMES[r.backend]}): {r.note}"
               for r in rows if r.note and (r.status != "ok" or r.ok is False)]
    if remarks:
        print("\n" + "\n".join(remarks))
    missed = sum(1 for r in rows if r.ok is False and r.status == "ok")
    errors = sum(1 for r in rows if r.status == "error")
    print(f"\n{sum(1 for r in rows if r.ok)} passed, {missed} target(s) missed, {errors} error(s), "
          f"{sum(1 for r in rows if r.status == 'n/a')} not available"
          + (" (QUICK SMOKE RUN: not the targets' sizes)" if args.quick else ""))
    return 1 if missed or errors else 0


if __name__ == "__main__":
    sys.exit(main())
