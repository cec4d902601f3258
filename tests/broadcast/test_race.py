"""The four-eyes race, as it was found: the author's PATCH and the approver's POST .../approve sent at the same
moment, many times, from two threads against the app served over HTTP (threaded, each request on its own
database connection), on SQLite and on PostgreSQL.

What users rely on: a broadcast that ends approved carries exactly the text and audience that were submitted
and read by the approver, never the edit (a profit promise to a wider audience) that raced the approval.
Each try either approves the submitted text (the edit then lands on the approved broadcast and sends it back
to draft, or is refused as stale) or refuses the approval as stale (the edit is a draft again).
"""
from __future__ import annotations

import threading
from collections import Counter

import pytest
import requests
import sqlalchemy as sa

from broadcast import service
from broadcast.models import Broadcast, BroadcastState
from broadcast.settings import Settings
from clients.tiers import Tier
from core.extensions import db

TRIES = 30
SUBMITTED = {"kind": "daily_comment", "title": "早评", "body": "{name}您好，今日早评：螺纹钢震荡，注意控制仓位。",
             "audience": {"tiers": ["gold"]}}
# what the author slips in at the moment of approval: a profit promise, a full position, a wider audience
EDIT = {"body": "{name}您好，螺纹钢稳赚不赔，建议满仓做多。",
        "audience": {"tiers": ["diamond", "platinum", "gold", "quality", "effective"], "include_dormant": True}}


@pytest.fixture
def desk(app, make_staff, make_client):
    for i, tier in enumerate((Tier.gold, Tier.gold, Tier.effective, Tier.dormant), start=1):
        make_client(str(i), mobile=f"+8613800000{i:03d}", tier=tier)
    return make_staff("chief_analyst", email="chief@example.com"), make_staff("approver", email="ok@example.com")


def _submitted(app, chief) -> Broadcast:
    settings = Settings.from_config(app.config)
    b = service.create_draft(db.session, dict(SUBMITTED), chief, settings)
    service.submit(db.session, b, chief, settings)
    db.session.commit()
    return b


def _at_once(*calls) -> list:
    """Run the calls in threads released together; their results in order."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(i, call):
        barrier.wait()
        try:
            results[i] = call()
        except Exception as exc:  # noqa: BLE001  (reported by the assertion below, with the try it failed in)
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results


def test_an_edit_racing_the_approval_never_leaves_unreviewed_text_approved(app, live_app, desk, api_token):
    chief, approver = desk
    author_token, approver_token = api_token(chief), api_token(approver)
    outcomes: Counter = Counter()
    with requests.Session() as author, requests.Session() as checker:
        author.headers.update(author_token)
        checker.headers.update(approver_token)
        for n in range(TRIES):
            b = _submitted(app, chief)
            submitted = (b.body, dict(b.audience))  # as stored when it was submitted
            url = f"{live_app}/api/v1/broadcasts/{b.id}"
            read = checker.get(url, timeout=30).json()
            assert (read["body"], read["audience"]["tiers"]) == (SUBMITTED["body"], ["gold"])
            # half the tries name the version read, half the submission time read (the API's older way)
            decision = {"seen_version": read["version"]} if n % 2 == 0 else \
                {"seen_submitted_at": read["submitted_at"]}
            edited, approved = _at_once(
                lambda url=url: author.patch(url, json=EDIT, timeout=30),
                lambda url=url, decision=decision: checker.post(f"{url}/approve", json=decision, timeout=30))
            assert not isinstance(edited, Exception) and not isinstance(approved, Exception), (edited, approved)
            assert edited.status_code in (200, 409) and approved.status_code in (200, 409), \
                (n, edited.status_code, edited.text, approved.status_code, approved.text)

            db.session.rollback()
            final = db.session.execute(sa.select(Broadcast.state, Broadcast.body, Broadcast.audience)
                                       .where(Broadcast.id == b.id)).one()
            if final.state == BroadcastState.approved:
                assert (final.body, final.audience) == submitted == (read["body"], submitted[1]), \
                    f"try {n}: approved with a text nobody approved"
                assert edited.status_code == 409 and edited.json()["code"] == "broadcast.stale_version"
            else:
                assert final.state == BroadcastState.draft and final.body == EDIT["body"]
            if approved.status_code == 409:
                assert approved.json()["code"] in ("broadcast.stale_version", "broadcast.changed_since_read",
                                                   "broadcast.not_submitted")
            outcomes[(edited.status_code, approved.status_code, final.state.value)] += 1
    print(f"\n{TRIES} tries, (edit, approve, final state): {dict(outcomes)}")
    assert sum(outcomes.values()) == TRIES
