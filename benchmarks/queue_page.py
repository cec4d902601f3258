"""queue_page: the follow-up queue page (/followups) with 10,000 open items in under 0.3 s (median per request),
on SQLite and on PostgreSQL.

Each backend gets the account managers, two researchers, a chief analyst and 9,000 clients with the tier
spread, then 10,000 open items and 5,000 resolved ones inserted directly, each with its inbound message, as
routing would leave them (ids shuffled): 45% research (to the researchers in turn, 20% unassigned), 45%
business (15% complaints, high priority; with the client's owner, or in the branch pool), 10% triage; one
open item per client, 20% answered; received over three days (60% in the last three hours), due 15, 30 or
120 minutes later. The chief analyst, a researcher and S001 sign in, and every page must list exactly the 50
item ids computed from what was inserted, in order.
"""
from __future__ import annotations

import random
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from benchmarks import harness

NAME = "queue_page"
TARGET_S = 0.3
PER_PAGE = 50  # followups.views.PER_PAGE
SEED = 20261125
OWN = "S001"
ITEM_LINK = re.compile(r'<a href="/followups/(\d+)">#\d+</a>')
TEXTS = {
    "research_question": ["螺纹钢2605止损设在多少合适？", "铁矿后市怎么看，还能做多吗", "原油反弹了，空单要不要减仓？",
                          "请问rb2605今天的支撑位在哪里"],
    "account_service": ["保证金不够了，会被强平吗", "银期转账一直不到账怎么办", "交易软件登录不了，密码忘了", "结算单在哪里下载"],
    "feedback": ["收到，谢谢", "最近行情太难做了", "你们的早评写得很好，辛苦了", "下周一正常开盘吗？"],
    "complaint": ["按你们的建议操作亏了好多，我要投诉", "天天发短信，再发就举报"],
}


@dataclass(frozen=True)
class Item:
    """An open item as inserted, to compute what each page must show."""

    id: int
    queue: str
    client_owner: int | None
    branch: str | None
    assignee: int | None
    due_at: datetime
    answered: bool


def add_items(ids: dict[str, int], items: int, resolved: int) -> list[Item]:
    """The items and their messages, inserted and checked; the open ones. Call inside an app context."""
    from clients.models import Client
    from core import clock
    from core.extensions import db
    from followups.classify import Category, Priority
    from followups.models import FollowUp, Queue, Status
    from messaging.models import InboundMessage

    book = db.session.execute(sa.select(Client.id, Client.mobile, Client.owner_id, Client.branch, Client.tier)
                              .order_by(Client.id)).all()
    researchers = [ids["researcher1"], ids["researcher2"]]
    rng, now = random.Random(SEED), clock.now()
    order = list(range(1, items + resolved + 1))
    rng.shuffle(order)  # ids are in neither queue nor deadline order
    followups, messages, opened = [], [], []
    plan = ([(Queue.research if n % 2 == 0 else Queue.business, Status.answered if rng.random() < 0.2 else Status.open,
              client) for n, client in enumerate(book)]
            + [(Queue.triage, Status.open, None)] * (items - len(book))
            + [(Queue.research if n % 2 == 0 else Queue.business, Status.resolved, book[rng.randrange(len(book))])
               for n in range(resolved)])
    for n, (queue, status, client) in enumerate(plan):
        item_id = order[n]
        roll = rng.random()
        category = (Category.research_question if queue == Queue.research else Category.feedback
                    if queue == Queue.triage else Category.complaint if roll < 0.15
                    else Category.account_service if roll < 0.6 else Category.feedback)
        high = category == Category.complaint
        tier = client.tier.value if client is not None and client.tier is not None else None
        minutes = 15 if high or tier == "diamond" else 30 if tier in ("platinum", "gold") else 120
        created = now - timedelta(seconds=rng.uniform(0, 3 * 3600 if rng.random() < 0.6 else 3 * 86400))
        assignee = branch = None
        if queue == Queue.research:
            assignee = researchers[n % 2] if rng.random() >= 0.2 else None
        elif queue == Queue.business:
            assignee, branch = client.owner_id, None if client.owner_id else client.branch
        responded = created + timedelta(minutes=rng.uniform(1, minutes)) if status != Status.open else None
        if status == Status.answered and assignee is None and queue == Queue.research:
            assignee = researchers[0]
        number = client.mobile if client is not None else f"+86170{n:08d}"
        followups.append({
            "id": item_id, "queue": queue, "category": category, "rule": f"benchmark: {category.value}",
            "priority": Priority.high if high else Priority.normal, "status": status, "suggest_opt_out": False,
            "client_id": client.id if client else None, "from_number": number, "branch": branch,
            "assignee_id": assignee, "broadcast_id": None,
            "claimed_at": created + timedelta(minutes=1) if assignee and rng.random() < 0.5 else None,
            "due_at": created + timedelta(minutes=minutes), "first_response_at": responded,
            "first_responder_id": (assignee or ids["chief"]) if responded else None, "created_at": created,
            "updated_at": responded or created, "last_inbound_at": created,
            "resolved_at": responded + timedelta(minutes=5) if status == Status.resolved else None})
        messages.append({
            "provider_sid": "SM%032x" % rng.getrandbits(128), "from_number": number, "to_number": "+8610690000",
            "body": rng.choice(TEXTS[category.value]), "num_segments": 1, "received_at": created,
            "client_id": client.id if client else None, "broadcast_id": None, "followup_id": item_id,
            "category": category, "routed_at": created, "routing_error": None})
        if status != Status.resolved:
            opened.append(Item(item_id, queue.value, client.owner_id if client else None, branch, assignee,
                               created + timedelta(minutes=minutes), status == Status.answered))
    db.session.execute(sa.insert(FollowUp), sorted(followups, key=lambda r: r["id"]))
    db.session.execute(sa.insert(InboundMessage), messages)
    if db.engine.dialect.name == "postgresql":
        db.session.execute(sa.text("SELECT setval(pg_get_serial_sequence('followups', 'id'), "
                                   "(SELECT max(id) FROM followups))"))
    db.session.commit()
    harness.vacuum()
    counts = dict(db.session.execute(sa.select(FollowUp.status, sa.func.count()).group_by(FollowUp.status)).all())
    db.session.remove()
    if counts.get(Status.open, 0) + counts.get(Status.answered, 0) != items or counts.get(Status.resolved, 0) != resolved:
        raise AssertionError(f"items by status {counts}; expected {items} open or answered, {resolved} resolved")
    return opened


def first_page(opened: list[Item], visible) -> list[int]:
    """The ids the page must list: waiting for a first answer first, by deadline, then the answered ones; by id
    on a tie."""
    return [i.id for i in sorted(filter(visible, opened), key=lambda i: (i.answered, i.due_at, i.id))][:PER_PAGE]


def table(backend: str, postgres_url: str | None = None, quick: bool = False, progress=print) -> list[harness.Row]:
    """One row per view: the median and fastest of 15 requests, in ms, against 300 ms. `quick`: 1,000 open items,
    500 resolved, 3 requests."""
    items, resolved, repeats = (1_000, 500, 3) if quick else (10_000, 5_000, 15)
    out = []
    with harness.fresh_app(backend, postgres_url) as app:
        ids, _ = harness.build(app, items - items // 10, ["researcher1", "researcher2", "chief"], analyse=False)
        with app.app_context():
            opened = add_items(ids, items, resolved)
        progress(f"{items:,} open items ({sum(i.answered for i in opened):,} answered), {resolved:,} resolved")
        me, pool = ids[OWN], next(branch for code, _, branch in harness.MANAGERS if code == OWN)
        mine = first_page(opened, lambda i: i.queue == "business" and (me in (i.client_owner, i.assignee)
                                                                      or i.branch == pool))
        research = first_page(opened, lambda i: i.queue == "research")
        everything = first_page(opened, lambda i: True)
        signed_in = {key: harness.sign_in(app, key) for key in ("chief", "researcher1", OWN)}
        for label, who, url, expect in [
                ("chief analyst: all queues, first page", "chief", "/followups", everything),
                ("chief analyst: ?queue=research", "chief", "/followups?queue=research", research),
                ("chief analyst: /followups/rows (the refresh)", "chief", "/followups/rows", everything),
                ("researcher: own queue", "researcher1", "/followups", research),
                (f"business staff {OWN}: own items and branch pool", OWN, "/followups", mine)]:
            def check(html, url=url, expect=expect):
                shown = [int(x) for x in ITEM_LINK.findall(html)]
                if shown != expect:
                    at = next((n for n, (a, b) in enumerate(zip(shown, expect, strict=False)) if a != b),
                              min(len(shown), len(expect)))
                    raise AssertionError(f"GET {url}: {len(shown)} items listed, expected {len(expect)}; first "
                                         f"difference at row {at + 1}: {shown[at:at + 3]} instead of "
                                         f"{expect[at:at + 3]}")

            if not expect:
                raise AssertionError(f"{label}: nothing to show; the generated items are wrong")
            out.append(harness.timing(NAME, f"{items:,} open items, {label}", backend,
                                      harness.time_page(signed_in[who], url, check, repeats), TARGET_S, unit="ms"))
            progress(f"{label}: median {out[-1].median:.0f} ms  ({url})")
    return out
