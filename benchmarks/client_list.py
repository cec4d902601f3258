"""Benchmark: the client list page (/clients) with filters and paging over 100,000 clients (target: 0.5 s), on
SQLite and on PostgreSQL.

The requirement: the client list with filters (tier, branch, staff, search by name/account/phone) and paging
stays fast with 100,000 clients. The target is a median under 0.5 s per page: a page a busy person waits on,
served on a shared 2-core machine.

One database (a SQLite file in a temporary folder, or a new PostgreSQL database beside the one `--postgres`
names, vacuumed and analysed once built) is built with the migrations; the eight account managers of
benchmarks/import_clients.py are created as business staff (the file's staff codes need them), plus an admin;
the same generated 100,000-row client export is imported with `import_clients`; and the clients are given a
spread of tiers with one UPDATE (by id modulo 100: 1% diamond, 2% platinum, 5% gold, 12% quality,
30% effective, 25% dormant, 25% ordinary).

Then the admin and one business staff member (S001, who owns about 1/8 of the assigned book) sign in through
the real login page with Flask's test client (GET /login, the CSRF token from the form, POST), and each case
below is a GET of the real page /clients, warmed up once and then timed `--repeats` times. Every response
must be 200 and show a client row (and the expected account, where one is known), or the benchmark stops
with an error, so a fast empty or error page cannot pass.

Run it from the repository root:

    .venv/bin/python benchmarks/client_list.py [--rows 100000] [--repeats 15] [--postgres URL] [--sqlite-only]

`table()` gives its rows to the one table of `python -m benchmarks`.
"""
from __future__ import annotations

import argparse
import gc
import os
import re
import statistics
import sys
import time
import unicodedata
from pathlib import Path
from urllib.parse import urlencode

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

import _common as common  # noqa: E402 - puts the repository root on sys.path too

NAME = "client_list"
TARGET_S = 0.5
DEFAULT_ROWS = 100_000
DEFAULT_REPEATS = 15
QUICK_ROWS, QUICK_REPEATS = 2_000, 3
PER_PAGE = 50
DEEP_PAGE = 1000
ADMIN_EMAIL = "admin@bench.example.com"
ADMIN_PASSWORD = "benchmark-admin-1"
OWN_STAFF = "S001"  # the business staff member who signs in
SURNAME = "王"

CLIENT_ROW = re.compile(r'<a href="/clients/(\d+)">')
TIER_CELL = re.compile(r'<span class="tier tier-([a-z]+)">')
VIP = {"diamond", "platinum", "gold"}
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def _build_database(app, rows: list[list[str]], data: bytes, staff: list[tuple[str, str, str]],
                    staff_password: str) -> None:
    """Migrations, the admin and the account managers, the import, the tier spread."""
    import sqlalchemy as sa

    from core.extensions import db
    from staff.service import create_staff

    with app.app_context():
        common.migrate()
        create_staff(db.session, email=ADMIN_EMAIL, name="管理员", password=ADMIN_PASSWORD, roles=["admin"])
        common.create_business_staff(staff, staff_password)
        db.session.commit()
        common.import_book(data, len(rows))
        db.session.execute(sa.text(common.TIER_SPREAD_SQL))
        db.session.commit()
        common.vacuum_analyze()
        db.session.remove()


def _sign_in(app, email: str, password: str):
    """A test client signed in through the real login form (CSRF token included)."""
    client = app.test_client()
    page = client.get("/login")
    match = CSRF.search(page.get_data(as_text=True))
    if page.status_code != 200 or not match:
        raise AssertionError(f"GET /login: status {page.status_code}, CSRF token {'found' if match else 'missing'}")
    response = client.post("/login", data={"email": email, "password": password, "csrf_token": match.group(1)})
    if response.status_code != 302:
        raise AssertionError(f"sign-in as {email} failed: status {response.status_code}")
    return client


def _mobile_probe(rows: list[list[str]]) -> tuple[list[str], bool]:
    """A row two thirds in, and whether the search for its mobile's last 4 digits must show it on the
    first page: true for a row whose digits match fewer than a page of `rows` (as mobile or account digits),
    which is common among one person's ~10,000 clients but rare among 100,000 (~150 matches)."""
    start = len(rows) * 2 // 3
    for row in rows[start:start + 20]:
        digits = row[2][-4:]
        if sum(1 for r in rows if digits in r[0] or digits in "+86" + r[2]) < PER_PAGE:
            return row, True
    return rows[start], False


def _cases(rows: list[list[str]]) -> list[tuple[str, str, dict, str | None]]:
    """(label, who, query args, account that must be on the page or None); tier filters are checked too."""
    own = [r for r in rows if r[4] == OWN_STAFF]
    probe, probe_first = _mobile_probe(rows)  # some client of the whole book
    own_probe, own_first = _mobile_probe(own)  # some client of the signed-in business staff member
    deep = max(1, min(DEEP_PAGE, len(rows) // PER_PAGE))
    gold_branch = probe[3]
    return [
        ("admin: first page, no filter", "admin", {}, rows[0][0]),
        (f"admin: page {deep}", "admin", {"page": deep}, None),
        ("admin: tier=vip", "admin", {"tier": "vip"}, None),
        (f"admin: tier=gold, branch={gold_branch}", "admin", {"tier": "gold", "branch": gold_branch}, None),
        (f"admin: staff_code={OWN_STAFF}", "admin", {"staff_code": OWN_STAFF}, own[0][0]),
        (f"admin: q={SURNAME} (surname)", "admin", {"q": SURNAME}, None),
        (f"admin: q={probe[2][-4:]} (mobile, last 4)", "admin", {"q": probe[2][-4:]},
         probe[0] if probe_first else None),
        (f"admin: q={probe[0]} (account)", "admin", {"q": probe[0]}, probe[0]),
        (f"staff {OWN_STAFF}: first page", "staff", {}, own[0][0]),
        (f"staff {OWN_STAFF}: q={own_probe[2][-4:]} (mobile, last 4)", "staff", {"q": own_probe[2][-4:]},
         own_probe[0] if own_first else None),
    ]


def _get(client, url: str, expect: str | None, tiers: set[str] | None) -> float:
    start = time.perf_counter()
    response = client.get(url)
    html = response.get_data(as_text=True)
    elapsed = time.perf_counter() - start
    if response.status_code != 200:
        raise AssertionError(f"GET {url}: status {response.status_code}, expected 200")
    if not CLIENT_ROW.search(html):
        raise AssertionError(f"GET {url}: the page shows no client row")
    if expect and f'<a href="/clients/{expect}">' not in html:
        raise AssertionError(f"GET {url}: account {expect} is not on the page")
    if tiers is not None and not set(TIER_CELL.findall(html)) <= tiers:
        raise AssertionError(f"GET {url}: tiers {sorted(set(TIER_CELL.findall(html)) - tiers)} on the page")
    return elapsed


def measure(rows: int = DEFAULT_ROWS, repeats: int = DEFAULT_REPEATS, progress=None, backend: str = "sqlite",
            postgres_url: str | None = None) -> dict[str, list[float]]:
    """Seconds per case, one figure per timed request."""
    bench = common.import_bench()
    data_rows = bench.make_rows(rows)
    data = bench.to_csv(data_rows)
    results: dict[str, list[float]] = {}
    with common.database(backend, postgres_url, prefix="bench-client-list-") as url:
        app = common.make_app(url)
        _build_database(app, data_rows, data, bench.STAFF, bench.STAFF_PASSWORD)
        # requests run outside any app context, as in production: each gets its own app context, so its
        # own `g` (Flask-Login's user) and its own database session, removed at the end of the request
        clients = {"admin": _sign_in(app, ADMIN_EMAIL, ADMIN_PASSWORD),
                   "staff": _sign_in(app, f"{OWN_STAFF.lower()}@bench.example.com", bench.STAFF_PASSWORD)}
        for label, who, args, expect in _cases(data_rows):
            url = "/clients" + (f"?{urlencode(args)}" if args else "")
            tiers = VIP if args.get("tier") == "vip" else {args["tier"]} if "tier" in args else None
            _get(clients[who], url, expect, tiers)  # warm-up
            gc.collect()
            times = [_get(clients[who], url, expect, tiers) for _ in range(repeats)]
            results[label] = times
            if progress:
                progress(label, url, times)
        with app.app_context():
            from core.extensions import db

            db.engine.dispose()
    return results


def _pad(text: str, width: int) -> str:
    """`text` left-aligned in `width` terminal columns (a Chinese character takes two)."""
    return text + " " * max(0, width - _width(text))


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _summarise(results: dict[str, list[float]], rows: int) -> list[dict]:
    return [common.result_row(f"{NAME}: {rows:,} clients, {label}", times, TARGET_S)
            for label, times in results.items()]


def table(backend: str, postgres_url: str | None = None, quick: bool = False, progress=None) -> list[common.Row]:
    """One row per case (median and fastest request, in ms, against 500 ms), on `backend`. `quick`: 2,000
    clients, 3 requests a case."""
    rows, repeats = (QUICK_ROWS, QUICK_REPEATS) if quick else (DEFAULT_ROWS, DEFAULT_REPEATS)

    def each_case(label, url, times):
        if progress:
            progress(f"{label}: median {statistics.median(times) * 1000:.0f} ms")

    results = measure(rows, repeats, each_case, backend, postgres_url)
    return [common.timing(NAME, f"{rows:,} clients, {label}", backend, times, TARGET_S, unit="ms")
            for label, times in results.items()]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=DEFAULT_ROWS, help="clients in the book (default %(default)s)")
    parser.add_argument("--repeats", type=int, default=DEFAULT_REPEATS,
                        help="timed requests per case after one warm-up; median and min are reported "
                             "(default %(default)s)")
    parser.add_argument("--postgres", metavar="URL", default=os.environ.get(common.POSTGRES_ENV),
                        help=f"also on PostgreSQL, in a new database beside this one (default: ${common.POSTGRES_ENV}, "
                             "else SQLite only)")
    parser.add_argument("--sqlite-only", action="store_true", help=f"ignore --postgres and ${common.POSTGRES_ENV}")
    args = parser.parse_args(argv)
    if args.rows < 1000 or args.repeats < 1:
        parser.error("--rows must be at least 1000 and --repeats at least 1")
    backends = ["sqlite"] + ([] if args.sqlite_only or not args.postgres else ["postgresql"])

    def progress(label, url, times):
        print(f"{label}: median {statistics.median(times) * 1000:.0f} ms  ({url})", flush=True)

    print(f"{NAME}: {args.rows:,} clients, {args.repeats} timed requests per case, {' and '.join(backends)}, "
          f"target {TARGET_S * 1000:.0f} ms median per page {common.machine()}",
          flush=True)
    summary = []
    for backend in backends:
        start = time.perf_counter()
        print(f"{common.BACKEND_NAMES[backend]}:", flush=True)
        results = measure(args.rows, args.repeats, progress, backend, args.postgres)
        summary += [(backend, label, row) for label, row in zip(results, _summarise(results, args.rows), strict=True)]
        print(f"(built, signed in and measured in {time.perf_counter() - start:.0f} s)")
    width = max(len("case"), *(_width(label) for _, label, _ in summary))
    print()
    print(f"{'backend':<10} {_pad('case', width)} {'median ms':>10} {'min ms':>8} {'median/500ms':>12}  result")
    for backend, label, row in summary:
        print(f"{common.BACKEND_NAMES[backend]:<10} {_pad(label, width)} {row['median_s'] * 1000:>10.0f} "
              f"{row['min_s'] * 1000:>8.0f} {row['median_s'] / TARGET_S:>12.2f}  {common.verdict(row)}")
    return 0 if all(row["ok"] for _, _, row in summary) else 1


if __name__ == "__main__":
    sys.exit(main())
