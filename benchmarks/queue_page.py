"""Benchmark: the follow-up queue page (/followups) with 10,000 open items (target: under 0.3 s), on SQLite and
on PostgreSQL.

The requirement: "The queue page with 10,000 open items renders in under 300 ms." The figure is the median
of `--repeats` requests (default 15) per case, each a GET through the whole stack with Flask's test client:
login check, the queue query (`followups.queries.items_query` paged by `db.paginate`, which also counts),
the last reply of each item on the page, and the template.

Each backend gets one fresh database built by the migrations: the eight account managers of
benchmarks/import_clients.py (business staff), two researchers, a chief analyst, and 9,000 clients of the
generated client export (9/10 of `--items`) with the tier spread of benchmarks/client_list.py (not timed). Then 10,000 open
follow-up items (`--items`) and 5,000 resolved ones are inserted directly (executemany), each with one
inbound message, as routing would have left them:

- 45% research (research questions; assigned to one of the two researchers in turn, 20% unassigned),
  45% business (account matters, feedback, 15% complaints with high priority; assigned to the client's
  owner, or waiting in the branch pool of the client's branch when the client has none), 10% triage
  (unknown numbers, unassigned);
- one open item per client (the 1,000 triage items come from numbers that are nobody's); 20% of the open
  items answered (first response given), the rest waiting;
- received over the last three days (60% within the last three hours), each due 15, 30 or 120 minutes
  after it came in by tier and priority, so most are overdue and some still due.

The chief analyst, a researcher and business staff member S001 sign in through the real login page (as
benchmarks/client_list.py does), and each case below is requested once to warm up and then timed:

| case | who | URL |
| --- | --- | --- |
| all queues, first page | chief analyst | `/followups` (the default: open items of every queue) |
| research queue | chief analyst | `/followups?queue=research` |
| the refresh | chief analyst | `/followups/rows` (the table body the page fetches every few seconds) |
| own queue | researcher | `/followups` (the research queue) |
| own items and pool | business staff S001 | `/followups` (own clients' items and the branch pool) |

Every response must be 200 and list exactly the 50 items (ids, in order) that the benchmark computes from
what it inserted: the viewer's visible open items, those still waiting for a first answer by deadline and
then the answered ones, by id on a tie; otherwise the script stops with an error, so a fast wrong or empty
page cannot pass.

PostgreSQL: `--postgres URL` (default: $BENCH_POSTGRES_URL) makes a database `bench_<pid>_<random>` beside
the named one and drops it at the end.

Run it from the repository root:

    .venv/bin/python benchmarks/queue_page.py [--items 10000] [--repeats 15] [--postgres URL]

`table()` gives its rows to the one table of `python -m benchmarks`.
"""
from __future__ import annotations

import argparse
import gc
import os
import random
import re
import statistics
import sys
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

import _common as common  # noqa: E402 - puts the repository root on sys.path too

NAME = "queue_page"
TARGET_S = 0.3
DEFAULT_ITEMS = 10_000
DEFAULT_RESOLVED = 5_000
DEFAULT_REPEATS = 15
PER_PAGE = 50  # followups.views.PER_PAGE
POSTGRES_ENV = common.POSTGRES_ENV
QUICK = {"items": 1_000, "resolved": 500, "repeats": 3}
SEED = 20261125
CHIEF_EMAIL = "chief@bench.example.com"
RESEARCHER_EMAILS = ("researcher1@bench.example.com", "researcher2@bench.example.com")
OWN_STAFF = "S001"

ITEM_LINK = re.compile(r'<a href="/followups/(\d+)">#\d+</a>')

TEXTS = {
    "research_question": ["螺纹钢2605止损设在多少合适？", "铁矿后市怎么看，还能做多吗", "原油反弹了，空单要不要减仓？",
                          "请问rb2605今天的支撑位在哪里"],
    "account_service": ["保证金不够了，会被强平吗", "银期转账一直不到账怎么办", "交易软件登录不了，密码忘了", "结算单在哪里下载"],
    "feedback": ["收到，谢谢", "最近行情太难做了", "你们的早评写得很好，辛苦了", "下周一正常开盘吗？"],
    "complaint": ["按你们的建议操作亏了好多，我要投诉", "天天发短信，再发就举报"],
}


def postgres_url_from_env() -> str | None:
    return os.environ.get(POSTGRES_ENV) or None


# ---- the book and the items --------------------------------------------------------------------------------

@dataclass(frozen=True)
class Item:
    """What the benchmark inserted, to compute what each page must show."""

    id: int
    queue: str
    status: str
    client_owner: int | None
    branch: str | None
    assignee: int | None
    due_at: datetime
    answered: bool


def build(url: str, items: int, resolved: int) -> tuple[dict[str, int], list[Item]]:
    """Migrations, staff, clients, the items and their messages. Returns the staff ids by key ("chief",
    "researcher", "staff") and the open items."""
    import sqlalchemy as sa

    from clients.models import Client
    from core.extensions import db
    from core.timeutil import utcnow
    from followups.classify import Category, Priority
    from followups.models import FollowUp, Queue, Status
    from messaging.models import InboundMessage
    from staff.models import Staff
    from staff.service import create_staff

    bench = common.import_bench()
    triage = items // 10
    clients = items - triage
    rows = bench.make_rows(clients)
    app = common.make_app(url)
    with app.app_context():
        common.migrate()
        common.create_business_staff(bench.STAFF, bench.STAFF_PASSWORD)
        researchers = [create_staff(db.session, email=email, name=f"研究员{n}", password=bench.STAFF_PASSWORD,
                                    roles=["researcher"]) for n, email in enumerate(RESEARCHER_EMAILS, start=1)]
        chief = create_staff(db.session, email=CHIEF_EMAIL, name="首席分析师", password=bench.STAFF_PASSWORD,
                             roles=["chief_analyst"])
        for r in researchers:
            r.on_duty = True
        db.session.commit()
        common.import_book(bench.to_csv(rows), clients)
        db.session.execute(sa.text(common.TIER_SPREAD_SQL))
        db.session.commit()
        ids = {"chief": chief.id, "researcher": researchers[0].id,
               "staff": db.session.scalar(sa.select(Staff.id).where(Staff.staff_code == OWN_STAFF))}
        researcher_ids = [r.id for r in researchers]
        book = db.session.execute(sa.select(Client.id, Client.mobile, Client.owner_id, Client.branch, Client.tier)
                                  .order_by(Client.id)).all()

        rng = random.Random(SEED)
        now = utcnow()
        followups: list[dict] = []
        messages: list[dict] = []
        opened: list[Item] = []

        def add(n: int, queue: Queue, status: Status, client) -> None:
            item_id = len(followups) + 1
            if queue == Queue.research:
                category = Category.research_question
            elif queue == Queue.business:
                roll = rng.random()
                category = (Category.complaint if roll < 0.15 else Category.account_service if roll < 0.6
                            else Category.feedback)
            else:
                category = Category.feedback
            high = category == Category.complaint
            tier = client.tier.value if client is not None and client.tier is not None else None
            minutes = 15 if high or tier == "diamond" else 30 if tier in ("platinum", "gold") else 120
            recent = rng.random() < 0.6
            created = now - timedelta(seconds=rng.uniform(0, 3 * 3600 if recent else 3 * 86400))
            due = created + timedelta(minutes=minutes)
            assignee = branch = None
            if queue == Queue.research:
                assignee = researcher_ids[n % 2] if rng.random() >= 0.2 else None
            elif queue == Queue.business:
                assignee = client.owner_id
                branch = None if client.owner_id else client.branch
            answered = status == Status.answered
            responded = created + timedelta(minutes=rng.uniform(1, minutes)) if status != Status.open else None
            if answered and assignee is None:
                assignee = researcher_ids[0] if queue == Queue.research else None
            number = client.mobile if client is not None else f"+86170{n:08d}"
            followups.append({
                "id": item_id, "queue": queue, "category": category, "rule": f"benchmark: {category.value}",
                "priority": Priority.high if high else Priority.normal, "status": status,
                "suggest_opt_out": False, "client_id": client.id if client is not None else None,
                "from_number": number, "branch": branch, "assignee_id": assignee,
                "claimed_at": created + timedelta(minutes=1) if assignee and rng.random() < 0.5 else None,
                "broadcast_id": None, "due_at": due, "first_response_at": responded,
                "first_responder_id": (assignee or chief.id) if responded else None, "created_at": created,
                "updated_at": responded or created, "last_inbound_at": created,
                "resolved_at": responded + timedelta(minutes=5) if status == Status.resolved else None})
            messages.append({
                "provider_sid": "SM%032x" % rng.getrandbits(128), "from_number": number, "to_number": "+8610690000",
                "body": rng.choice(TEXTS[category.value]), "num_segments": 1, "received_at": created,
                "client_id": client.id if client is not None else None, "broadcast_id": None,
                "followup_id": item_id, "category": category, "routed_at": created, "routing_error": None})
            if status != Status.resolved:
                opened.append(Item(item_id, queue.value, status.value, client.owner_id if client is not None else None,
                                   branch, assignee, due, answered))

        for n, client in enumerate(book):
            queue = Queue.research if n % 2 == 0 else Queue.business  # 45% / 45% of all items
            add(n, queue, Status.answered if rng.random() < 0.2 else Status.open, client)
        for n in range(triage):
            add(clients + n, Queue.triage, Status.open, None)
        for n in range(resolved):
            client = book[rng.randrange(len(book))]
            add(items + n, Queue.research if n % 2 == 0 else Queue.business, Status.resolved, client)
        rng.shuffle(followups)  # ids are not in queue or deadline order
        for new_id, row in enumerate(followups, start=1):
            row["_new"] = new_id
        renumber = {row["id"]: row["_new"] for row in followups}
        for row in followups:
            row["id"] = row.pop("_new")
        for m in messages:
            m["followup_id"] = renumber[m["followup_id"]]
        opened = [Item(renumber[i.id], i.queue, i.status, i.client_owner, i.branch, i.assignee, i.due_at, i.answered)
                  for i in opened]
        followups.sort(key=lambda r: r["id"])
        db.session.execute(sa.insert(FollowUp), followups)
        db.session.execute(sa.insert(InboundMessage), messages)
        db.session.commit()
        if db.engine.dialect.name == "postgresql":
            db.session.execute(sa.text("SELECT setval(pg_get_serial_sequence('followups', 'id'), "
                                       "(SELECT max(id) FROM followups))"))
            db.session.commit()
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(sa.text("VACUUM ANALYZE"))
        counts = dict(db.session.execute(sa.select(FollowUp.status, sa.func.count()).group_by(FollowUp.status)).all())
        waiting = counts.get(Status.open, 0) + counts.get(Status.answered, 0)
        if waiting != items or counts.get(Status.resolved, 0) != resolved:
            raise AssertionError(f"items by status {counts}; expected {items} open or answered, {resolved} resolved")
        db.session.remove()
        db.engine.dispose()
    return ids, opened


def expected_first_page(opened: list[Item], visible) -> list[int]:
    """The ids `items_query` must put on the first page: waiting for a first answer first, by deadline, then
    the answered ones; by id on a tie."""
    shown = sorted((i for i in opened if visible(i)), key=lambda i: (i.answered, i.due_at, i.id))
    return [i.id for i in shown[:PER_PAGE]]


def cases(ids: dict[str, int], opened: list[Item], own_branch: str) -> list[tuple[str, str, str, list[int]]]:
    """(label, who, URL, the item ids the page must list, in order)."""
    me = ids["staff"]

    def business_visible(i: Item) -> bool:
        return i.queue == "business" and (i.client_owner == me or i.assignee == me or i.branch == own_branch)

    return [
        ("chief analyst: all queues, first page", "chief", "/followups", expected_first_page(opened, lambda i: True)),
        ("chief analyst: ?queue=research", "chief", "/followups?queue=research",
         expected_first_page(opened, lambda i: i.queue == "research")),
        ("chief analyst: /followups/rows (the refresh)", "chief", "/followups/rows",
         expected_first_page(opened, lambda i: True)),
        ("researcher: own queue", "researcher", "/followups", expected_first_page(opened, lambda i: i.queue == "research")),
        (f"business staff {OWN_STAFF}: own items and branch pool", "staff", "/followups",
         expected_first_page(opened, business_visible)),
    ]


# ---- the timed requests ------------------------------------------------------------------------------------

def _get(client, url: str, expect: list[int]) -> float:
    start = time.perf_counter()
    response = client.get(url)
    html = response.get_data(as_text=True)
    elapsed = time.perf_counter() - start
    if response.status_code == 404:
        raise AssertionError(f"GET {url}: 404; the queue page does not exist (yet?)")
    if response.status_code != 200:
        raise AssertionError(f"GET {url}: status {response.status_code}, expected 200")
    shown = [int(x) for x in ITEM_LINK.findall(html)]
    if shown != expect:
        pairs = zip(shown, expect, strict=False)
        first_wrong = next((n for n, (a, b) in enumerate(pairs) if a != b), min(len(shown), len(expect)))
        raise AssertionError(f"GET {url}: the page lists {len(shown)} items, expected {len(expect)}; first "
                             f"difference at row {first_wrong + 1}: {shown[first_wrong:first_wrong + 3]} "
                             f"instead of {expect[first_wrong:first_wrong + 3]}")
    return elapsed


def measure_backend(backend: str, postgres_url: str | None = None, items: int = DEFAULT_ITEMS,
                    resolved: int = DEFAULT_RESOLVED, repeats: int = DEFAULT_REPEATS,
                    progress=None) -> dict[str, list[float]]:
    """Seconds per case, one figure per timed request."""
    bench = common.import_bench()
    sign_in = common.load("client_list")._sign_in
    own_branch = next(branch for code, _, branch in bench.STAFF if code == OWN_STAFF)
    results: dict[str, list[float]] = {}
    with common.database(backend, postgres_url, prefix="bench-queue-") as url:
        started = time.perf_counter()
        ids, opened = build(url, items, resolved)
        if progress:
            progress(f"{backend}: {items:,} open items ({sum(i.answered for i in opened):,} answered), "
                     f"{resolved:,} resolved, built in {time.perf_counter() - started:.0f} s")
        app = common.make_app(url)
        clients = {"chief": sign_in(app, CHIEF_EMAIL, bench.STAFF_PASSWORD),
                   "researcher": sign_in(app, RESEARCHER_EMAILS[0], bench.STAFF_PASSWORD),
                   "staff": sign_in(app, f"{OWN_STAFF.lower()}@bench.example.com", bench.STAFF_PASSWORD)}
        try:
            for label, who, path, expect in cases(ids, opened, own_branch):
                if not expect:
                    raise AssertionError(f"{label}: nothing to show; the generated items are wrong")
                _get(clients[who], path, expect)  # warm-up
                gc.collect()
                times = [_get(clients[who], path, expect) for _ in range(repeats)]
                results[label] = times
                if progress:
                    progress(f"{backend}: {label}: median {statistics.median(times) * 1000:.0f} ms, "
                             f"min {min(times) * 1000:.0f} ms  ({path})")
        finally:
            with app.app_context():
                from core.extensions import db

                db.engine.dispose()
    return results


def _label(backend: str, items: int, case: str) -> str:
    return f"{NAME}: {items:,} open items, {common.BACKEND_NAMES[backend]}, {case}"


def _rows(backend: str, items: int, results: dict[str, list[float]]) -> list[dict]:
    return [common.result_row(_label(backend, items, label), times, TARGET_S) for label, times in results.items()]


def table(backend: str, postgres_url: str | None = None, quick: bool = False, progress=None) -> list[common.Row]:
    """One row per case: the median and fastest request, in ms, against 300 ms, on `backend`. `quick`: 1,000
    open items, 500 resolved, 3 requests a case."""
    size = QUICK if quick else {"items": DEFAULT_ITEMS, "resolved": DEFAULT_RESOLVED, "repeats": DEFAULT_REPEATS}
    results = measure_backend(backend, postgres_url, size["items"], size["resolved"], size["repeats"], progress)
    return [common.timing(NAME, f"{size['items']:,} open items, {label}", backend, times, TARGET_S, unit="ms")
            for label, times in results.items()]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--items", type=int, default=DEFAULT_ITEMS,
                        help="open follow-up items (default %(default)s)")
    parser.add_argument("--resolved", type=int, default=DEFAULT_RESOLVED,
                        help="resolved items beside them (default %(default)s)")
    parser.add_argument("--repeats", type=int, default=DEFAULT_REPEATS,
                        help="timed requests per case after one warm-up; median and min are reported "
                             "(default %(default)s)")
    parser.add_argument("--postgres", metavar="URL", default=postgres_url_from_env(),
                        help=f"also on PostgreSQL, in a new database beside this one (default: ${POSTGRES_ENV}, "
                             "else SQLite only)")
    parser.add_argument("--sqlite-only", action="store_true", help=f"ignore --postgres and ${POSTGRES_ENV}")
    args = parser.parse_args(argv)
    if args.items < 1000 or args.resolved < 0 or args.repeats < 1:
        parser.error("--items must be at least 1000, --resolved not negative and --repeats at least 1")
    backends = ["sqlite"] + ([] if args.sqlite_only or not args.postgres else ["postgresql"])

    def progress(text):
        print(text, flush=True)

    print(f"{NAME}: {args.items:,} open items and {args.resolved:,} resolved, {args.repeats} timed requests per "
          f"case, {' and '.join(backends)}; target {TARGET_S * 1000:.0f} ms median per page {common.machine()}",
          flush=True)
    summary: list[dict] = []
    for backend in backends:
        summary += _rows(backend, args.items,
                         measure_backend(backend, args.postgres, args.items, args.resolved, args.repeats, progress))
    width = max(len(r["benchmark"]) for r in summary)
    print()
    print(f"{'benchmark':<{width}} {'median ms':>10} {'min ms':>8} {'median/300ms':>12}  result")
    for r in summary:
        print(f"{r['benchmark']:<{width}} {r['median_s'] * 1000:>10.0f} {r['min_s'] * 1000:>8.0f} "
              f"{r['median_s'] / TARGET_S:>12.2f}  {common.verdict(r)}")
    return 0 if all(r["ok"] for r in summary) else 1


if __name__ == "__main__":
    sys.exit(main())
