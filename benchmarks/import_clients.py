"""Benchmark: importing a 100,000-row client export (target: under 30 s per import), on SQLite and on
PostgreSQL.

Each run builds a fresh database (a SQLite file in a temporary folder, or a new PostgreSQL database beside
the one `--postgres` names) with the migrations, creates a few business staff whose codes the file uses, and
times three imports of an in-memory CSV (UTF-8 with BOM, Chinese headers, as the settlement system exports
it), each one `import_clients` plus the commit:

1. first import into an empty client book (every row created);
2. the same file again (every row unchanged);
3. the file with 10% of its rows changed (those rows updated, the rest unchanged).

Run it from the repository root:

    .venv/bin/python benchmarks/import_clients.py [--rows 100000] [--runs 3] [--postgres URL] [--sqlite-only]

`table()` gives its rows to the one table of `python -m benchmarks`.
"""
from __future__ import annotations

import argparse
import csv
import gc
import io
import os
import random
import sys
import time
from datetime import date, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

import _common as common  # noqa: E402 - puts the repository root on sys.path too

NAME = "import_clients"
TARGET_S = 30.0
DEFAULT_ROWS = 100_000
DEFAULT_RUNS = 3
QUICK_ROWS = 2_000
CHANGED_SHARE = 0.10
SEED = 20260930

HEADER = ["资金账号", "客户名称", "手机号码", "营业部", "客户经理编号", "开户日期", "最近交易日期", "最近持仓日期"]

BRANCHES = ["上海浦东营业部", "上海徐汇营业部", "北京朝阳营业部", "深圳福田营业部", "杭州西湖营业部",
            "广州天河营业部"]
# (staff_code, name, branch): the business staff the file's 客户经理编号 column refers to
STAFF = [(f"S{n:03d}", name, BRANCHES[n % len(BRANCHES)])
         for n, name in enumerate(["王芳", "李强", "张敏", "刘洋", "陈静", "杨磊", "赵丽", "黄勇"], start=1)]
STAFF_PASSWORD = "benchmark-password-1"

SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉萍红娥玲芬芳燕彩春菊兰凤洁梅琳素云莲真环雪荣爱妹霞香月莺媛艳瑞凡佳嘉琼勤珍贞莉桂娣叶璧璐娅琦晶妍茜秋珊莎锦黛青倩婷姣婉娴瑾颖露瑶怡婵雁蓓纨仪荷丹蓉眉君琴蕊薇菁梦岚苑婕馨瑗琰韵融园艺咏卿聪澜纯毓悦昭冰爽琬茗羽希宁欣飘育滢馥筠柔竹霭凝晓欢霄枫芸菲寒伊亚宜可姬舒影荔枝思丽"
# mobile prefixes that libphonenumber accepts as Chinese mobile numbers (China Mobile, Unicom, Telecom)
MOBILE_PREFIXES = ["138", "139", "137", "136", "135", "150", "151", "152", "158", "159", "182", "187", "188",
                   "130", "131", "132", "155", "156", "185", "186", "133", "153", "180", "181", "189", "177"]
SUFFIX_SPACE = 10 ** 8
SUFFIX_STEP = 48_271  # coprime with 10**8, so row i -> suffix is one-to-one and looks random


def _mobile(i: int, shift: int = 0) -> str:
    """Row i's mobile number (shift > 0 gives a different, still unique, number for a 'changed' row)."""
    prefix = MOBILE_PREFIXES[(i + shift) % len(MOBILE_PREFIXES)]
    suffix = ((i + shift * 50_000_000) * SUFFIX_STEP + 12_345_678) % SUFFIX_SPACE
    return f"{prefix}{suffix:08d}"


def _fmt(day: date | None) -> str:
    return day.isoformat() if day else ""


def make_rows(rows: int, seed: int = SEED) -> list[list[str]]:
    """`rows` realistic client rows (as text cells, in HEADER order), the same for the same seed."""
    rng = random.Random(seed)
    today = date(2026, 9, 30)
    first_open = date(2008, 1, 1).toordinal()
    out: list[list[str]] = []
    for i in range(rows):
        account = str(81_000_000 + i * 7 + rng.randrange(7))  # 8-digit settlement accounts, ascending
        name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2))))
        branch = rng.choice(BRANCHES)
        code = rng.choice(STAFF)[0] if rng.random() < 0.85 else ""  # 15% not assigned to anyone
        opened = date.fromordinal(rng.randrange(first_open, today.toordinal() - 30))
        roll = rng.random()
        if roll < 0.55:  # active: traded recently
            last_trade = today - timedelta(days=rng.randrange(0, 60))
        elif roll < 0.90:  # dormant
            last_trade = date.fromordinal(rng.randrange(opened.toordinal(), today.toordinal()))
        else:  # opened, never traded
            last_trade = None
        last_position = (last_trade - timedelta(days=rng.randrange(0, 5))
                         if last_trade and rng.random() < 0.7 else None)
        if last_position and last_position < opened:
            last_position = opened
        out.append([account, name, _mobile(i), branch, code, _fmt(opened), _fmt(last_trade), _fmt(last_position)])
    return out


def change_rows(rows: list[list[str]], share: float = CHANGED_SHARE, seed: int = SEED) -> tuple[list[list[str]], int]:
    """A copy with `share` of the rows changed as a day's export changes them; and how many changed."""
    rng = random.Random(seed + 1)
    changed = [list(r) for r in rows]
    picked = rng.sample(range(len(rows)), int(len(rows) * share))
    new_day = date(2026, 10, 9)
    for n, i in enumerate(picked):
        row = changed[i]
        kind = n % 10
        if kind < 7:  # traded again (the usual daily change)
            row[6] = _fmt(new_day)
            row[7] = _fmt(new_day)
        elif kind == 7:  # new mobile number
            row[2] = _mobile(i, shift=1)
        elif kind == 8:  # handed to another account manager
            others = [code for code, _, _ in STAFF if code != row[4]]
            row[4] = rng.choice(others)
        else:  # moved branch
            row[3] = next(b for b in BRANCHES[::-1] if b != row[3])
    return changed, len(picked)


def to_csv(rows: list[list[str]]) -> bytes:
    """A CSV as the settlement system / Chinese Excel writes it: UTF-8 with BOM, CRLF line ends."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(HEADER)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8-sig")


def _timed_import(data: bytes, filename: str) -> tuple[float, object]:
    from clients.imports import import_clients
    from core.extensions import db

    gc.collect()
    start = time.perf_counter()
    result = import_clients(db.session, data, filename)
    db.session.commit()
    elapsed = time.perf_counter() - start
    counts = (result.created, result.updated, result.unchanged, len(result.rejected))
    db.session.remove()
    return elapsed, counts


def one_run(first: bytes, changed: bytes, rows: int, n_changed: int, backend: str = "sqlite",
            postgres_url: str | None = None) -> dict[str, float]:
    """Times the three imports on a fresh database; checks every import's counts."""
    from core.extensions import db

    with common.database(backend, postgres_url, prefix="bench-import-") as url:
        app = common.make_app(url)
        with app.app_context():
            common.migrate()
            common.create_business_staff(STAFF, STAFF_PASSWORD)
            db.session.commit()
            db.session.remove()

            times = {}
            expected = {
                "first": (rows, 0, 0, 0),
                "again": (0, 0, rows, 0),
                "changed": (0, n_changed, rows - n_changed, 0),
            }
            for phase, data in (("first", first), ("again", first), ("changed", changed)):
                elapsed, counts = _timed_import(data, f"clients-{phase}.csv")
                if counts != expected[phase]:
                    raise AssertionError(f"{phase} import: created/updated/unchanged/rejected = {counts}, "
                                         f"expected {expected[phase]}")
                times[phase] = elapsed
            db.engine.dispose()
    return times


PHASES = {
    "first": "first import, all created",
    "again": "same file again, all unchanged",
    "changed": "10% of rows changed",
}


def measure(rows: int = DEFAULT_ROWS, runs: int = DEFAULT_RUNS, progress=None, backend: str = "sqlite",
            postgres_url: str | None = None) -> dict[str, list[float]]:
    """Seconds per phase, one figure per run."""
    base = make_rows(rows)
    changed_rows, n_changed = change_rows(base)
    first, changed = to_csv(base), to_csv(changed_rows)
    del base, changed_rows
    results: dict[str, list[float]] = {phase: [] for phase in PHASES}
    for n in range(runs):
        times = one_run(first, changed, rows, n_changed, backend, postgres_url)
        for phase, seconds in times.items():
            results[phase].append(seconds)
        if progress:
            progress(n + 1, runs, times)
    return results


def _case(phase: str, rows: int) -> str:
    return f"{rows:,} rows, {PHASES[phase]}"


def table(backend: str, postgres_url: str | None = None, quick: bool = False, progress=None) -> list[common.Row]:
    """One row per phase (median and fastest run against 30 s), on `backend`. `quick`: 2,000 rows, 1 run."""
    rows, runs = (QUICK_ROWS, 1) if quick else (DEFAULT_ROWS, DEFAULT_RUNS)

    def each_run(n, total, times):
        if progress:
            progress(f"run {n}/{total}: " + ", ".join(f"{p} {s:.2f} s" for p, s in times.items()))

    results = measure(rows, runs, each_run, backend, postgres_url)
    return [common.timing(NAME, _case(phase, rows), backend, times, TARGET_S) for phase, times in results.items()]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=DEFAULT_ROWS, help="rows in the file (default %(default)s)")
    parser.add_argument("--runs", type=int, default=DEFAULT_RUNS,
                        help="fresh-database runs; the median and min are reported (default %(default)s)")
    parser.add_argument("--postgres", metavar="URL", default=os.environ.get(common.POSTGRES_ENV),
                        help=f"also on PostgreSQL, in a new database beside this one (default: ${common.POSTGRES_ENV}, "
                             "else SQLite only)")
    parser.add_argument("--sqlite-only", action="store_true", help=f"ignore --postgres and ${common.POSTGRES_ENV}")
    args = parser.parse_args(argv)
    if args.rows < 10 or args.runs < 1:
        parser.error("--rows must be at least 10 and --runs at least 1")
    backends = ["sqlite"] + ([] if args.sqlite_only or not args.postgres else ["postgresql"])

    def progress(n, total, times):
        print(f"run {n}/{total}: " + ", ".join(f"{p} {s:.2f} s" for p, s in times.items()), flush=True)

    print(f"{NAME}: {args.rows:,} rows, {args.runs} run(s), {' and '.join(backends)}, target {TARGET_S:.0f} s per "
          f"import {common.machine()}", flush=True)
    summary = []
    for backend in backends:
        print(f"{common.BACKEND_NAMES[backend]}:", flush=True)
        results = measure(args.rows, args.runs, progress, backend, args.postgres)
        summary += [(backend, phase, common.result_row(PHASES[phase], times, TARGET_S))
                    for phase, times in results.items()]
    print()
    print(f"{'backend':<10} {'phase':<34} {'median s':>9} {'min s':>8} {'rows/s':>9} {'median/30s':>10}  result")
    for backend, phase, row in summary:
        print(f"{common.BACKEND_NAMES[backend]:<10} {PHASES[phase]:<34} {row['median_s']:>9.2f} {row['min_s']:>8.2f} "
              f"{args.rows / row['median_s']:>9,.0f} {row['median_s'] / TARGET_S:>10.2f}  "
              f"{common.verdict(row)}")
    return 0 if all(row["ok"] for _, _, row in summary) else 1


if __name__ == "__main__":
    sys.exit(main())
