"""Benchmark: a quarterly tier review of a 100,000-client book (target: 30 s per step), on SQLite and on
PostgreSQL.

The requirement: the quarterly tier review (按季核定) of the whole book stays usable with 100,000 clients.
Making a draft review and publishing it are buttons in the browser: a reviewer clicks "make a draft review"
(or "publish") and waits for the page, so each step must finish in under 30 s (median) on the shared 2-core
machines the department runs. The monthly figures that feed the review are uploaded the same way, one file
of 400,000 rows (four months of 100,000 clients), with a target of 60 s for that import.

Each run builds a fresh database (a SQLite file in a temporary folder, or a new PostgreSQL database beside
the one `--postgres` names) with the migrations, creates the eight
account managers of benchmarks/import_clients.py, imports the same generated 100,000-row client export with
`import_clients` (not timed), and then times, each step being the service call **and the commit** (what the
web page, API and CLI do):

1. `import_monthly` of a CSV with figures for 2025-12 (last year-end equity), 2026-07, 2026-08 and 2026-09
   for every client: most clients small, a few percent large enough for the VIP tiers, inactive clients
   near zero (dormant), some large by commission alone;
2. `create_review(db.session, "2026Q3", today=date(2026, 11, 25))`: a draft for every client (all "new");
3. `publish_review` of that draft: its tiers become the clients' tiers;
4. a second draft of 2026Q3 after publication (every client "same" now, as nothing changed).

Each step's result is checked before its time counts: the import's counts, 100,000 assignments per review,
the kinds of change, a spread of tiers that a real book would show (more than 4 distinct tiers, every VIP
tier present, VIP tiers a few percent, no tier holding most of the book), and after publishing, the
clients' tier column equal to the review's assignment for a sample of clients. A fast but wrong step
cannot pass.

Run it from the repository root:

    .venv/bin/python benchmarks/tier_review.py [--rows 100000] [--runs 3] [--postgres URL] [--sqlite-only]

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
from datetime import date
from pathlib import Path

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

import _common as common  # noqa: E402 - puts the repository root on sys.path too

NAME = "tier_review"
DEFAULT_ROWS = 100_000
DEFAULT_RUNS = 3
QUICK_ROWS = 2_000  # the smallest book whose tier spread still shows every VIP tier
SEED = 20261125
QUARTER = "2026Q3"
TODAY = date(2026, 11, 25)  # the day the reviewer clicks: the quarter has ended
YEAR_AGO = date(2025, 9, 30)  # one year before the quarter's last day (2026-09-30)
MONTHS = ("2025-12", "2026-07", "2026-08", "2026-09")  # last year-end, then the quarter's three months
MONTHLY_HEADER = ["account_no", "month", "avg_equity", "commission", "month_end_equity"]
SAMPLE = 1000  # clients whose published tier is compared with the review's assignment

TARGETS = {"monthly": 60.0, "draft": 30.0, "publish": 30.0, "redraft": 30.0}
PHASES = {
    "monthly": "monthly figures import, 4 months",
    "draft": "draft review, all new",
    "publish": "publish the draft",
    "redraft": "second draft after publishing",
}
VIP = ("diamond", "platinum", "gold")

# (share of the book, equity per month (lo, hi) in yuan, commission per month (lo, hi) or None for a small
# share of the equity). The bands sit inside the tier thresholds with room for the +-10% monthly wobble.
LARGE_PROFILES = (
    (0.004, (12e6, 60e6), None),  # diamond by equity (E >= 10,000,000)
    (0.001, (2e6, 4e6), (110e3, 300e3)),  # diamond by commission (C >= 100,000)
    (0.010, (5.8e6, 8.8e6), None),  # platinum (E >= 5,000,000)
    (0.025, (1.2e6, 4.4e6), None),  # gold (E >= 1,000,000)
    (0.005, (100e3, 400e3), (12e3, 40e3)),  # gold by commission (C >= 10,000)
    (0.060, (560e3, 880e3), None),  # quality (E >= 500,000)
)


def _money(value: float) -> str:
    return f"{max(0.0, value):.2f}"


def make_monthly_rows(client_rows: list[list[str]], seed: int = SEED) -> list[list[str]]:
    """Four months of figures for every client (in MONTHLY_HEADER order), the same for the same seed.

    Most clients are small: those who traded within the year hold a few thousand to a few hundred thousand
    yuan (log-normal, median about 30,000); of those who did not, about half hold next to nothing now and
    held next to nothing at last year's end (dormant, when opened over a year ago), a fifth emptied their
    account this year, and the rest still hold a little. About 4.5% are large enough for a VIP tier (a few
    of them by commission alone) and 6% for quality.
    """
    rng = random.Random(seed)
    year_ago = YEAR_AGO.isoformat()
    out: list[list[str]] = []
    for row in client_rows:
        account, last_trade = row[0], row[6]
        roll = rng.random()
        profile, year_end = None, None  # year_end: last December's month-end equity, when set apart
        for share, equity_band, commission_band in LARGE_PROFILES:
            if roll < share:
                profile = (equity_band, commission_band)
                break
            roll -= share
        if profile is not None:
            equity = rng.uniform(*profile[0])
            commission_band = profile[1]
        elif last_trade and last_trade >= year_ago:  # active, small
            equity = min(450e3, rng.lognormvariate(10.3, 1.3))
            commission_band = None
        else:
            kind = rng.random()
            commission_band = (0, 0)
            if kind < 0.55:  # inactive, next to nothing left, nor at last year's end
                equity, year_end = rng.uniform(0, 800), rng.uniform(0, 900)
            elif kind < 0.75:  # inactive, emptied the account this year
                equity, year_end = rng.uniform(0, 800), rng.uniform(2e3, 50e3)
            else:  # inactive, some money still in the account
                equity = rng.uniform(2e3, 80e3)
        for month in MONTHS:
            avg = equity * rng.uniform(0.9, 1.1)
            if commission_band is None:
                commission = avg * rng.uniform(0.0, 0.003)
            else:
                commission = rng.uniform(*commission_band)
            month_end = avg * rng.uniform(0.9, 1.1)
            if month == MONTHS[0] and year_end is not None:
                month_end = year_end
            out.append([account, month, _money(avg), _money(commission), _money(month_end)])
    return out


def monthly_csv(rows: list[list[str]]) -> bytes:
    """The monthly figures export as a CSV with English headers (plain UTF-8, CRLF line ends)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(MONTHLY_HEADER)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def _timed(step):
    """(seconds, result) of step() followed by the commit; the session is removed afterwards."""
    from core.extensions import db

    gc.collect()
    start = time.perf_counter()
    result = step()
    db.session.commit()
    elapsed = time.perf_counter() - start
    db.session.remove()
    return elapsed, result


def _check_review(review_id: int, rows: int, change: str, label: str) -> dict[str, int]:
    """The review's tier counts, after checking it has `rows` assignments, all of kind `change`, and a
    plausible spread of tiers."""
    from clients.reviews import review_summary
    from core.extensions import db

    summary = review_summary(db.session, review_id)
    db.session.remove()
    tiers, changes = summary["tiers"], summary["changes"]
    total = sum(tiers.values())
    if total != rows:
        raise AssertionError(f"{label}: {total:,} assignments, expected one per client ({rows:,})")
    if changes != {change: rows}:
        raise AssertionError(f"{label}: changes {changes}, expected all {rows:,} {change!r}")
    if len(tiers) <= 4:
        raise AssertionError(f"{label}: only {len(tiers)} distinct tiers {tiers}; expected more than 4")
    missing = [t for t in VIP if not tiers.get(t)]
    vip_share = sum(tiers.get(t, 0) for t in VIP) / rows
    largest, largest_n = max(tiers.items(), key=lambda item: item[1])
    if missing or not 0.01 <= vip_share <= 0.10 or largest_n > 0.8 * rows:
        raise AssertionError(f"{label}: implausible tier spread {tiers} (VIP share {vip_share:.1%}, "
                             f"missing VIP tiers {missing}, largest {largest} {largest_n / rows:.0%})")
    return tiers


def _check_published(review_id: int, seed: int) -> None:
    """For a sample of clients, the tier column equals the review's assignment."""
    import sqlalchemy as sa

    from clients.models import Client, ReviewState, TierAssignment, TierReview
    from core.extensions import db

    state = db.session.scalar(sa.select(TierReview.state).where(TierReview.id == review_id))
    if state != ReviewState.published:
        raise AssertionError(f"review {review_id} is {state}, expected published")
    ids = db.session.scalars(sa.select(Client.id).order_by(Client.id)).all()
    sample = random.Random(seed).sample(ids, min(SAMPLE, len(ids)))
    pairs = db.session.execute(
        sa.select(Client.id, Client.tier, TierAssignment.tier)
        .join(TierAssignment, sa.and_(TierAssignment.client_id == Client.id,
                                      TierAssignment.review_id == review_id))
        .where(Client.id.in_(sample))).all()
    db.session.remove()
    if len(pairs) != len(sample):
        raise AssertionError(f"publish: {len(sample) - len(pairs)} of {len(sample)} sampled clients have no "
                             "assignment in the review")
    wrong = [(cid, current, assigned) for cid, current, assigned in pairs if current != assigned]
    if wrong:
        raise AssertionError(f"publish: {len(wrong)} of {len(sample)} sampled clients' tier differs from the "
                             f"review's, e.g. client {wrong[0][0]}: {wrong[0][1]} instead of {wrong[0][2]}")


def one_run(clients_data: bytes, monthly_data: bytes, rows: int, n_monthly: int, bench, backend: str = "sqlite",
            postgres_url: str | None = None) -> dict:
    """Times the four steps on a fresh database; checks each step's result. Returns seconds per phase and
    the tier counts of the review."""
    from clients.imports import import_monthly
    from clients.reviews import create_review, publish_review
    from core.extensions import db

    with common.database(backend, postgres_url, prefix="bench-tier-review-") as url:
        app = common.make_app(url)
        with app.app_context():
            common.migrate()
            common.create_business_staff(bench.STAFF, bench.STAFF_PASSWORD)
            db.session.commit()
            try:
                common.import_book(clients_data, rows, "client import")
            finally:
                db.session.remove()

            def monthly_step():
                run = import_monthly(db.session, monthly_data, "monthly.csv")
                return run.created, run.updated, run.unchanged, len(run.rejected)

            times: dict[str, float] = {}
            times["monthly"], counts = _timed(monthly_step)
            if counts != (n_monthly, 0, 0, 0):
                raise AssertionError(f"monthly import: created/updated/unchanged/rejected = {counts}, "
                                     f"expected {(n_monthly, 0, 0, 0)}")

            times["draft"], first_id = _timed(lambda: create_review(db.session, QUARTER, today=TODAY).id)
            tiers = _check_review(first_id, rows, "new", "first draft")

            times["publish"], _ = _timed(lambda: publish_review(db.session, first_id).id)
            _check_published(first_id, SEED)

            times["redraft"], second_id = _timed(lambda: create_review(db.session, QUARTER, today=TODAY).id)
            again = _check_review(second_id, rows, "same", "second draft")
            if again != tiers:
                raise AssertionError(f"second draft: tiers {again}, expected the first draft's {tiers}")
            db.engine.dispose()
    return {"times": times, "tiers": tiers}


def measure(rows: int = DEFAULT_ROWS, runs: int = DEFAULT_RUNS, progress=None, backend: str = "sqlite",
            postgres_url: str | None = None) -> dict[str, list[float]]:
    """Seconds per phase, one figure per run."""
    bench = common.import_bench()
    client_rows = bench.make_rows(rows)
    clients_data = bench.to_csv(client_rows)
    monthly_rows = make_monthly_rows(client_rows)
    monthly_data, n_monthly = monthly_csv(monthly_rows), len(monthly_rows)
    del client_rows, monthly_rows
    results: dict[str, list[float]] = {phase: [] for phase in PHASES}
    for n in range(runs):
        outcome = one_run(clients_data, monthly_data, rows, n_monthly, bench, backend, postgres_url)
        for phase, seconds in outcome["times"].items():
            results[phase].append(seconds)
        if progress:
            progress(n + 1, runs, outcome["times"], outcome["tiers"])
    return results


def _case(phase: str, rows: int) -> str:
    if phase == "monthly":
        return f"{rows * len(MONTHS):,} monthly rows, {PHASES[phase]}"
    return f"{rows:,} clients, {PHASES[phase]}"


def _summarise(results: dict[str, list[float]], rows: int) -> list[dict]:
    return [common.result_row(_case(phase, rows), times, TARGETS[phase]) for phase, times in results.items()]


def table(backend: str, postgres_url: str | None = None, quick: bool = False, progress=None) -> list[common.Row]:
    """One row per step (median and fastest run against its target), on `backend`. `quick`: 2,000 clients,
    1 run."""
    rows, runs = (QUICK_ROWS, 1) if quick else (DEFAULT_ROWS, DEFAULT_RUNS)

    def each_run(n, total, times, tiers):
        if progress:
            progress(f"run {n}/{total}: " + ", ".join(f"{p} {s:.2f} s" for p, s in times.items()))

    results = measure(rows, runs, each_run, backend, postgres_url)
    return [common.timing(NAME, _case(phase, rows), backend, times, TARGETS[phase])
            for phase, times in results.items()]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=DEFAULT_ROWS,
                        help="clients in the book (default %(default)s)")
    parser.add_argument("--runs", type=int, default=DEFAULT_RUNS,
                        help="fresh-database runs; the median and min are reported (default %(default)s)")
    parser.add_argument("--postgres", metavar="URL", default=os.environ.get(common.POSTGRES_ENV),
                        help=f"also on PostgreSQL, in a new database beside this one (default: ${common.POSTGRES_ENV}, "
                             "else SQLite only)")
    parser.add_argument("--sqlite-only", action="store_true", help=f"ignore --postgres and ${common.POSTGRES_ENV}")
    args = parser.parse_args(argv)
    if args.rows < QUICK_ROWS or args.runs < 1:
        parser.error(f"--rows must be at least {QUICK_ROWS} and --runs at least 1")
    backends = ["sqlite"] + ([] if args.sqlite_only or not args.postgres else ["postgresql"])

    def progress(n, total, times, tiers):
        print(f"run {n}/{total}: " + ", ".join(f"{p} {s:.2f} s" for p, s in times.items()), flush=True)
        if n == 1:
            spread = sorted(tiers.items(), key=lambda item: -item[1])
            print("  tiers: " + ", ".join(f"{t} {c:,}" for t, c in spread), flush=True)

    print(f"{NAME}: {args.rows:,} clients, {args.rows * len(MONTHS):,} monthly rows, {args.runs} run(s), "
          f"{' and '.join(backends)}, "
          f"targets {TARGETS['monthly']:.0f} s for the import, {TARGETS['draft']:.0f} s per review step "
          f"{common.machine()}", flush=True)
    summary = []
    for backend in backends:
        print(f"{common.BACKEND_NAMES[backend]}:", flush=True)
        results = measure(args.rows, args.runs, progress, backend, args.postgres)
        summary += [(backend, phase, row) for phase, row in zip(results, _summarise(results, args.rows), strict=True)]
    counts = {phase: args.rows * len(MONTHS) if phase == "monthly" else args.rows for phase in PHASES}
    width = max(len(label) for label in PHASES.values())
    print()
    print(f"{'backend':<10} {'phase':<{width}} {'median s':>9} {'min s':>8} {'rows/s':>9} {'target s':>9} "
          f"{'median/target':>13}  result")
    for backend, phase, row in summary:
        print(f"{common.BACKEND_NAMES[backend]:<10} {PHASES[phase]:<{width}} {row['median_s']:>9.2f} "
              f"{row['min_s']:>8.2f} {counts[phase] / row['median_s']:>9,.0f} {row['target_s']:>9.0f} "
              f"{row['median_s'] / row['target_s']:>13.2f}  {common.verdict(row)}")
    return 0 if all(row["ok"] for _, _, row in summary) else 1


if __name__ == "__main__":
    sys.exit(main())
