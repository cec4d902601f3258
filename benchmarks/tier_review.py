"""tier_review: a quarterly tier review of 100,000 clients, each step in under 30 s, and the upload of their
400,000 monthly figures in under 60 s, on SQLite and on PostgreSQL.

Each run builds a fresh database with the account managers and the generated book (not timed, not analysed:
the reviewer clicks right after the uploads), then times, each the service call and the commit: the monthly
figures import (2025-12, last year-end, and the quarter's three months), a draft review of 2026Q3 (all new),
publishing it, and a second draft (all "same"). Each step's result is checked before its time counts.
"""
from __future__ import annotations

import csv
import io
import random
from datetime import date

from benchmarks import harness

NAME = "tier_review"
SEED = 20261125
QUARTER = "2026Q3"
TODAY = date(2026, 11, 25)  # the day the reviewer clicks: the quarter has ended
YEAR_AGO = date(2025, 9, 30).isoformat()  # a year before the quarter's last day
MONTHS = ("2025-12", "2026-07", "2026-08", "2026-09")
SAMPLE = 1000  # clients whose published tier is compared with the review's
VIP = ("diamond", "platinum", "gold")
PHASES = {"monthly": ("monthly figures import, 4 months", 60.0), "draft": ("draft review, all new", 30.0),
          "publish": ("publish the draft", 30.0), "redraft": ("second draft after publishing", 30.0)}
# (share of the book, equity per month (lo, hi) in yuan, commission per month (lo, hi) or None for a small share
# of the equity), inside the tier thresholds with room for the +-10% monthly wobble
LARGE = ((0.004, (12e6, 60e6), None),  # diamond by equity
         (0.001, (2e6, 4e6), (110e3, 300e3)),  # diamond by commission
         (0.010, (5.8e6, 8.8e6), None),  # platinum
         (0.025, (1.2e6, 4.4e6), None),  # gold
         (0.005, (100e3, 400e3), (12e3, 40e3)),  # gold by commission
         (0.060, (560e3, 880e3), None))  # quality


def monthly_csv(clients) -> tuple[bytes, int]:
    """Four months of figures for every client, as a CSV with English headers, and its row count. Clients who
    traded within the year hold log-normal small amounts (median about 30,000 yuan); of the others, about half
    hold next to nothing now and at last year's end (dormant), a fifth emptied the account this year, the rest
    hold a little; about 4.5% are large enough for a VIP tier (some by commission alone) and 6% for quality."""
    rng = random.Random(SEED)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["account_no", "month", "avg_equity", "commission", "month_end_equity"])
    for c in clients:
        roll, year_end, band = rng.random(), None, None
        for share, equity_band, commission_band in LARGE:
            if roll < share:
                equity, band = rng.uniform(*equity_band), commission_band
                break
            roll -= share
        else:
            if c.last_trade_on and c.last_trade_on.isoformat() >= YEAR_AGO:
                equity = min(450e3, rng.lognormvariate(10.3, 1.3))
            else:
                kind, band = rng.random(), (0, 0)
                if kind < 0.55:
                    equity, year_end = rng.uniform(0, 800), rng.uniform(0, 900)
                elif kind < 0.75:
                    equity, year_end = rng.uniform(0, 800), rng.uniform(2e3, 50e3)
                else:
                    equity = rng.uniform(2e3, 80e3)
        for month in MONTHS:
            avg = equity * rng.uniform(0.9, 1.1)
            commission = avg * rng.uniform(0.0, 0.003) if band is None else rng.uniform(*band)
            month_end = avg * rng.uniform(0.9, 1.1)
            if month == MONTHS[0] and year_end is not None:
                month_end = year_end
            writer.writerow([c.account_no, month] + [f"{max(0.0, v):.2f}" for v in (avg, commission, month_end)])
    return out.getvalue().encode("utf-8"), len(clients) * len(MONTHS)


def check_review(review_id: int, rows: int, change: str, label: str) -> dict[str, int]:
    """The review's tier counts, after checking one assignment per client, all of kind `change`, and a plausible
    spread (more than 4 tiers, every VIP tier, VIP 1-10% of the book, no tier over 80%)."""
    from clients.reviews import review_summary
    from core.extensions import db

    summary = review_summary(db.session, review_id)
    db.session.remove()
    tiers, changes = summary["tiers"], summary["changes"]
    if sum(tiers.values()) != rows or changes != {change: rows}:
        raise AssertionError(f"{label}: {sum(tiers.values()):,} assignments, changes {changes}; expected "
                             f"{rows:,}, all {change!r}")
    missing = [t for t in VIP if not tiers.get(t)]
    vip_share = sum(tiers.get(t, 0) for t in VIP) / rows
    largest = max(tiers.values())
    if len(tiers) <= 4 or missing or not 0.01 <= vip_share <= 0.10 or largest > 0.8 * rows:
        raise AssertionError(f"{label}: implausible tier spread {tiers} (VIP share {vip_share:.1%}, missing VIP "
                             f"tiers {missing}, the largest tier {largest / rows:.0%})")
    return tiers


def check_published(review_id: int) -> None:
    """The review is published, and for a sample of clients their tier is the review's."""
    import sqlalchemy as sa

    from clients.models import Client, ReviewState, TierAssignment, TierReview
    from core.extensions import db

    state = db.session.scalar(sa.select(TierReview.state).where(TierReview.id == review_id))
    ids = db.session.scalars(sa.select(Client.id).order_by(Client.id)).all()
    sample = random.Random(SEED).sample(ids, min(SAMPLE, len(ids)))
    pairs = db.session.execute(
        sa.select(Client.id, Client.tier, TierAssignment.tier)
        .join(TierAssignment, sa.and_(TierAssignment.client_id == Client.id, TierAssignment.review_id == review_id))
        .where(Client.id.in_(sample))).all()
    db.session.remove()
    wrong = [(cid, current, assigned) for cid, current, assigned in pairs if current != assigned]
    if state != ReviewState.published or len(pairs) != len(sample) or wrong:
        raise AssertionError(f"publish: review {state}; of {len(sample)} sampled clients {len(sample) - len(pairs)} "
                             f"without an assignment and {len(wrong)} with another tier, e.g. {wrong[:1]}")


def table(backend: str, postgres_url: str | None = None, quick: bool = False, progress=print) -> list[harness.Row]:
    """One row per step: the median and fastest of 3 runs against its target. `quick`: 2,000 clients (the
    smallest book whose spread still shows every VIP tier), 1 run."""
    from clients.imports import import_monthly
    from clients.reviews import create_review, publish_review
    from core.extensions import db

    rows, runs = (2_000, 1) if quick else (100_000, 3)
    clients = harness.book(rows)
    monthly, n_monthly = monthly_csv(clients)
    times: dict[str, list[float]] = {phase: [] for phase in PHASES}

    def monthly_step():
        run = import_monthly(db.session, monthly, "monthly.csv")
        return run.created, run.updated, run.unchanged, len(run.rejected)

    for run in range(1, runs + 1):
        with harness.fresh_app(backend, postgres_url) as app, app.app_context():
            harness.add_staff()
            harness.add_book(clients, tiers=False, analyse=False)
            elapsed, counts = harness.timed(monthly_step)
            if counts != (n_monthly, 0, 0, 0):
                raise AssertionError(f"monthly import: created/updated/unchanged/rejected = {counts}, "
                                     f"expected {(n_monthly, 0, 0, 0)}")
            times["monthly"].append(elapsed)
            elapsed, first = harness.timed(lambda: create_review(db.session, QUARTER, today=TODAY).id)
            times["draft"].append(elapsed)
            tiers = check_review(first, rows, "new", "first draft")
            times["publish"].append(harness.timed(lambda first=first: publish_review(db.session, first).id)[0])
            check_published(first)
            elapsed, second = harness.timed(lambda: create_review(db.session, QUARTER, today=TODAY).id)
            times["redraft"].append(elapsed)
            if check_review(second, rows, "same", "second draft") != tiers:
                raise AssertionError(f"second draft: tiers differ from the first draft's {tiers}")
        progress(f"run {run}/{runs}: " + ", ".join(f"{p} {t[-1]:.2f} s" for p, t in times.items())
                 + ("; tiers " + ", ".join(f"{t} {n:,}" for t, n in sorted(tiers.items(), key=lambda i: -i[1]))
                    if run == 1 else ""))
    return [harness.timing(NAME, f"{rows * len(MONTHS) if phase == 'monthly' else rows:,} "
                           f"{'monthly rows' if phase == 'monthly' else 'clients'}, {label}", backend, times[phase],
                           target) for phase, (label, target) in PHASES.items()]
