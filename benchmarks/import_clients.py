"""import_clients: a 100,000-row client export imported in under 30 s, on SQLite and on PostgreSQL.

Each run builds a fresh database with the account managers the export names and times three imports of the
generated export (`harness.export`), each `import_clients` and the commit: into an empty book (all created),
the same file again (all unchanged), and the file with 10% of its rows changed as a day's export changes them.
The counts of every import are checked before its time counts. After each import, untimed, PostgreSQL analyses
the table as autovacuum would before the next day's file: without it (autovacuum is off on the CI server), the
lookups of the next import keep a plan made for the empty table and take minutes.
"""
from __future__ import annotations

import dataclasses
import random
from datetime import date

from benchmarks import harness
from clients import fakebook

NAME = "import_clients"
TARGET_S = 30.0
PHASES = {"first": "first import, all created", "again": "same file again, all unchanged",
          "changed": "10% of rows changed"}


def changed(clients: list[fakebook.FakeClient], share: float = 0.10) -> tuple[list[fakebook.FakeClient], int]:
    """A copy with `share` of the clients changed: 70% traded again, 10% each a new mobile, another account
    manager, another branch; and how many changed."""
    rng = random.Random(fakebook.SEED + 1)
    out = list(clients)
    picked = rng.sample(range(len(clients)), int(len(clients) * share))
    codes = [code for code, _, _ in harness.MANAGERS]
    for n, i in enumerate(picked):
        c, kind = out[i], n % 10
        if kind < 7:
            new = {"last_trade_on": date(2026, 10, 9), "last_position_on": date(2026, 10, 9)}
        elif kind == 7:
            new = {"mobile": fakebook.mobile(i, shift=1)}
        elif kind == 8:
            new = {"staff_code": rng.choice([code for code in codes if code != c.staff_code])}
        else:
            new = {"branch": next(b for b in fakebook.BRANCHES[::-1] if b != c.branch)}
        out[i] = dataclasses.replace(c, **new)
    return out, len(picked)


def table(backend: str, postgres_url: str | None = None, quick: bool = False, progress=print) -> list[harness.Row]:
    """One row per import (median and fastest of 3 runs against 30 s). `quick`: 2,000 rows, 1 run."""
    from clients.imports import import_clients
    from core.extensions import db

    rows, runs = (2_000, 1) if quick else (100_000, 3)
    book = harness.book(rows)
    other, n_changed = changed(book)
    files = {"first": harness.export(book), "again": harness.export(book), "changed": harness.export(other)}
    expected = {"first": (rows, 0, 0, 0), "again": (0, 0, rows, 0), "changed": (0, n_changed, rows - n_changed, 0)}
    del book, other
    times: dict[str, list[float]] = {phase: [] for phase in PHASES}
    for run in range(1, runs + 1):
        with harness.fresh_app(backend, postgres_url) as app, app.app_context():
            harness.add_staff()
            for phase, data in files.items():
                def step(data=data, phase=phase):
                    result = import_clients(db.session, data, f"clients-{phase}.csv")
                    return result.created, result.updated, result.unchanged, len(result.rejected)

                elapsed, counts = harness.timed(step)
                if counts != expected[phase]:
                    raise AssertionError(f"{phase} import: created/updated/unchanged/rejected = {counts}, "
                                         f"expected {expected[phase]}")
                times[phase].append(elapsed)
                harness.vacuum("clients")  # untimed, as autovacuum would before the next file (the CI server has it off)
        progress(f"run {run}/{runs}: " + ", ".join(f"{p} {t[-1]:.2f} s" for p, t in times.items()))
    return [harness.timing(NAME, f"{rows:,} rows, {label}", backend, times[phase], TARGET_S)
            for phase, label in PHASES.items()]
