"""The follow-up JSON API: the item shape, the queues and their filters, who sees which item, and every
action (claim, assign, hand over, note, reply, resolve, reopen, correct the category) with its refusals.

Items are made the real way: a signed webhook to /sms/inbound, routed by the intake."""
from __future__ import annotations

import re
from datetime import datetime

import pytest
import sqlalchemy as sa

from clients.tiers import Tier
from core.extensions import db
from followups.models import FollowUp
from messaging.models import MessagePurpose, MessageState, OutboundMessage
from tests.followups.helpers import inbound_form, signature_for

API = "/api/v1/followups"
RESEARCH = "螺纹钢止损设在哪里？"
ACCOUNT = "怎么出金？"
ISO_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?\+00:00$")


def _reply_from(app, client, number: str, body: str) -> FollowUp:
    """The client at `number` texts `body`; returns the item it landed in."""
    form = inbound_form(number, body)
    signature = signature_for(app, form)
    response = client.post("/sms/inbound", data=form, headers={"X-Twilio-Signature": signature})
    assert response.status_code == 200, response.get_data(as_text=True)
    db.session.expire_all()
    return db.session.scalars(sa.select(FollowUp).where(FollowUp.from_number == number)
                              .order_by(FollowUp.id.desc())).first()


@pytest.fixture
def world(app, client, make_client, people):
    """A research item and an account item of the owner's clients, one of the colleague's, one unknown number."""
    people["r2"].on_duty = False  # every research item goes to r1
    db.session.commit()
    mine = make_client("83001", name="张三", mobile="+8613800000001", tier=Tier.gold, owner_id=people["owner"].id)
    mine2 = make_client("83002", name="李四", mobile="+8613800000002", owner_id=people["owner"].id)
    theirs = make_client("83003", name="王五", mobile="+8613800000003", owner_id=people["colleague"].id)
    items = {
        "research": _reply_from(app, client, mine.mobile, RESEARCH),
        "account": _reply_from(app, client, mine2.mobile, ACCOUNT),
        "theirs": _reply_from(app, client, theirs.mobile, ACCOUNT),
        "unknown": _reply_from(app, client, "+8613999999999", "你好"),
    }
    return {"clients": {"mine": mine, "mine2": mine2, "theirs": theirs}, "items": {k: v.id for k, v in items.items()}}


@pytest.fixture
def as_(client, api_token, people):
    """Call the API as one of `people`: as_("owner").get(path), .post(path, json=...), .patch(...)."""
    tokens: dict[str, dict] = {}

    class Caller:
        def __init__(self, who):
            if who not in tokens:
                tokens[who] = api_token(people[who])
            # English messages, so that the assertions below can name them; the Chinese ones are tested in test_i18n
            self.headers = {**tokens[who], "Accept-Language": "en"}

        def get(self, path, **kw):
            return client.get(path, headers=self.headers, **kw)

        def post(self, path, **kw):
            return client.post(path, headers=self.headers, **kw)

        def patch(self, path, **kw):
            return client.patch(path, headers=self.headers, **kw)

    return Caller


def _ids(response) -> set[int]:
    assert response.status_code == 200, response.json
    return {item["id"] for item in response.json["items"]}


def _outbound(item_id: int) -> list[OutboundMessage]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(OutboundMessage).where(OutboundMessage.followup_id == item_id)))


# ---- the shape -----------------------------------------------------------------------------------------------

def test_an_item_has_the_documented_shape(as_, world, people):
    item_id = world["items"]["research"]
    response = as_("r1").get(f"{API}/{item_id}")
    assert response.status_code == 200
    item = response.json
    assert {"id", "queue", "category", "rule", "priority", "status", "client", "from", "assignee",
            "broadcast_id", "due_at", "messages", "notes", "suggest_opt_out", "events"} <= set(item)
    assert item["id"] == item_id
    assert (item["queue"], item["category"], item["priority"], item["status"]) == \
        ("research", "research_question", "normal", "open")
    assert "止损" in item["rule"]
    # a researcher answers the question by the client's name: no account, tier or number (test_confidential)
    assert item["client"] == {"account_no": "***01", "name": "张三", "tier": None}
    assert (item["from"], item["from_masked"]) == ("138****0001", True)
    assert item["assignee"] == "r1@example.com"
    assert item["broadcast_id"] is None
    assert ISO_UTC.match(item["due_at"]) and datetime.fromisoformat(item["due_at"]).utcoffset().total_seconds() == 0
    assert item["suggest_opt_out"] is False
    assert [(m["direction"], m["body"]) for m in item["messages"]] == [("in", RESEARCH)]
    assert ISO_UTC.match(item["messages"][0]["at"])
    assert item["notes"] == [] and item["events"] == []


def test_an_unknown_number_has_no_client(as_, world):
    item = as_("admin").get(f"{API}/{world['items']['unknown']}").json
    assert item["queue"] == "triage" and item["client"] is None and item["from"] == "+8613999999999"
    assert item["assignee"] is None


def test_the_list_is_items_and_total_with_each_item_whole(as_, world):
    response = as_("chief").get(API)
    assert response.status_code == 200
    assert set(response.json) >= {"items", "total"}
    assert response.json["total"] == 4 and len(response.json["items"]) == 4
    by_id = {item["id"]: item for item in response.json["items"]}
    single = as_("chief").get(f"{API}/{world['items']['research']}").json
    assert by_id[world["items"]["research"]] == single
    assert all(item["messages"] for item in response.json["items"])


def test_the_list_reads_threads_in_bulk_not_per_item(app, client, as_, world, make_client):
    """The number of queries for a page does not grow with the number of items on it."""

    def queries_for_list() -> int:
        statements: list[str] = []

        def count(conn, cursor, statement, *args):
            statements.append(statement)

        sa.event.listen(db.engine, "before_cursor_execute", count)
        try:
            assert as_("chief").get(API).status_code == 200
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", count)
        return len(statements)

    as_("chief").get(API)  # the token's first use writes last_used_at; later calls do not
    before = queries_for_list()
    for n in range(4, 9):
        _reply_from(app, client, make_client(mobile=f"+861380000010{n}").mobile, RESEARCH)
    assert as_("chief").get(API).json["total"] == 9
    assert queries_for_list() == before


def test_filters_queue_status_assignee_and_paging(as_, world, people):
    items = world["items"]
    chief = as_("chief")
    assert _ids(chief.get(f"{API}?queue=research")) == {items["research"]}
    assert _ids(chief.get(f"{API}?queue=business")) == {items["account"], items["theirs"]}
    assert _ids(chief.get(f"{API}?queue=triage")) == {items["unknown"]}
    assert _ids(as_("r1").get(f"{API}?assignee=me")) == {items["research"]}
    assert _ids(as_("r2").get(f"{API}?assignee=me")) == set()
    assert _ids(as_("owner").get(f"{API}?assignee=me&queue=business")) == {items["account"]}

    assert as_("owner").post(f"{API}/{items['account']}/resolve").status_code == 200
    assert _ids(chief.get(f"{API}?status=resolved")) == {items["account"]}
    assert _ids(chief.get(f"{API}?status=open&queue=business")) == {items["theirs"]}
    assert chief.get(API).json["total"] == 3

    page = chief.get(f"{API}?per_page=2&page=2")
    assert page.json["total"] == 3 and len(page.json["items"]) == 1
    assert chief.get(f"{API}?per_page=100000").status_code == 200


def test_filter_by_category(as_, world):
    items = world["items"]
    assert _ids(as_("chief").get(f"{API}?category=account_service")) == {items["account"], items["theirs"]}
    assert _ids(as_("chief").get(f"{API}?category=research_question")) == {items["research"]}


@pytest.mark.parametrize("query", ["queue=nowhere", "status=lost", "assignee=someone", "category=gossip", "page=x",
                                   "page=0", "per_page=-1"])
def test_bad_filters_are_400_with_a_message(as_, world, query):
    response = as_("chief").get(f"{API}?{query}")
    assert response.status_code == 400
    assert response.json["error"]


# ---- who sees what -------------------------------------------------------------------------------------------

def test_business_staff_see_only_their_own_clients_items(as_, world):
    items = world["items"]
    assert _ids(as_("owner").get(API)) == {items["account"]}
    assert _ids(as_("colleague").get(API)) == {items["theirs"]}
    assert _ids(as_("far").get(API)) == set()
    assert as_("owner").get(f"{API}/{items['account']}").status_code == 200
    for other in ("theirs", "research", "unknown"):
        response = as_("owner").get(f"{API}/{items[other]}")
        assert response.status_code == 403 and response.json["error"]
    # acting on someone else's item is refused the same way, and changes nothing
    assert as_("owner").post(f"{API}/{items['theirs']}/notes", json={"body": "看一下"}).status_code == 403
    assert as_("owner").post(f"{API}/{items['theirs']}/resolve").status_code == 403
    assert as_("chief").get(f"{API}/{items['theirs']}").json["notes"] == []


def test_a_researcher_sees_the_research_queue_only(as_, world):
    items = world["items"]
    assert _ids(as_("r1").get(API)) == {items["research"]}
    assert _ids(as_("r2").get(API)) == {items["research"]}  # the pool is shared; assignee=me narrows it
    assert as_("r2").get(f"{API}/{items['research']}").status_code == 200
    for other in ("account", "theirs", "unknown"):
        assert as_("r1").get(f"{API}/{items[other]}").status_code == 403
    assert as_("r1").post(f"{API}/{items['account']}/claim").status_code == 403


@pytest.mark.parametrize("who", ["chief", "approver"])
def test_the_chief_analyst_and_compliance_see_everything(as_, world, who):
    assert _ids(as_(who).get(API)) == set(world["items"].values())
    for item_id in world["items"].values():
        assert as_(who).get(f"{API}/{item_id}").status_code == 200


def test_an_admin_sees_the_triage_queue(as_, world):
    assert _ids(as_("admin").get(API)) == {world["items"]["unknown"]}


def test_a_missing_item_is_404(as_, world):
    response = as_("chief").get(f"{API}/999999")
    assert response.status_code == 404 and response.json["error"]
    assert as_("chief").post(f"{API}/999999/claim").status_code == 404


def test_without_a_token_it_is_401(client, world):
    assert client.get(API).status_code == 401
    assert client.get(f"{API}/{world['items']['research']}").status_code == 401
    response = client.post(f"{API}/{world['items']['research']}/reply", json={"body": "好"})
    assert response.status_code == 401 and response.headers["WWW-Authenticate"] == "Bearer"
    assert _outbound(world["items"]["research"]) == []


@pytest.mark.parametrize("who", ["admin", "approver"])
def test_a_role_without_the_reply_permission_gets_403(as_, world, who):
    item_id = world["items"]["account"]
    response = as_(who).post(f"{API}/{item_id}/reply", json={"body": "您好"})
    assert response.status_code == 403
    assert _outbound(item_id) == []


def test_compliance_may_read_and_note_but_not_handle_a_research_item(as_, world):
    item_id = world["items"]["research"]
    assert as_("approver").post(f"{API}/{item_id}/notes", json={"body": "合规已阅"}).status_code == 201
    assert as_("approver").post(f"{API}/{item_id}/claim").status_code == 403
    assert as_("approver").post(f"{API}/{item_id}/resolve").status_code == 403


# ---- actions -------------------------------------------------------------------------------------------------

def test_claim(as_, world):
    item_id = world["items"]["research"]
    response = as_("r2").post(f"{API}/{item_id}/claim")
    assert response.status_code == 200
    assert response.json["assignee"] == "r2@example.com" and response.json["claimed"] is True
    assert [(e["kind"], e["by"]) for e in response.json["events"]] == [("claim", "r2@example.com")]
    # once claimed, another researcher cannot take it by claiming
    refused = as_("r1").post(f"{API}/{item_id}/claim")
    assert refused.status_code == 400 and "already claimed" in refused.json["error"]
    assert as_("chief").get(f"{API}/{item_id}").json["assignee"] == "r2@example.com"


def test_assign(as_, world, people):
    item_id = world["items"]["research"]
    response = as_("chief").post(f"{API}/{item_id}/assign", json={"user": "R2@example.com"})
    assert response.status_code == 200 and response.json["assignee"] == "r2@example.com"
    assert response.json["events"][-1]["kind"] == "assign"
    assert response.json["events"][-1]["detail"] == {"to": "r2@example.com"}

    unknown = as_("chief").post(f"{API}/{item_id}/assign", json={"user": "nobody@example.com"})
    assert unknown.status_code == 400 and "nobody@example.com" in unknown.json["error"]
    assert unknown.json["field"] == "user"
    ineligible = as_("chief").post(f"{API}/{item_id}/assign", json={"user": "owner@example.com"})
    assert ineligible.status_code == 400 and people["owner"].name in ineligible.json["error"]
    assert as_("chief").post(f"{API}/{item_id}/assign", json={"user": 7}).status_code == 400
    assert as_("chief").post(f"{API}/{item_id}/assign", json={}).status_code == 400
    assert as_("chief").get(f"{API}/{item_id}").json["assignee"] == "r2@example.com"

    # a business item goes only to business staff of the client's branch
    account = world["items"]["account"]
    assert as_("owner").post(f"{API}/{account}/assign", json={"user": "colleague@example.com"}).status_code == 200
    assert as_("colleague").post(f"{API}/{account}/assign", json={"user": "far@example.com"}).status_code == 400


def test_reroute_hands_over_with_a_reason(as_, world):
    item_id = world["items"]["research"]
    missing = as_("r1").post(f"{API}/{item_id}/reroute", json={"queue": "business"})
    assert missing.status_code == 400 and missing.json["error"]
    blank = as_("r1").post(f"{API}/{item_id}/reroute", json={"queue": "business", "reason": "   "})
    assert blank.status_code == 400
    for queue in ("elsewhere", "triage", "research", ""):
        assert as_("r1").post(f"{API}/{item_id}/reroute",
                              json={"queue": queue, "reason": "客户问的是出金"}).status_code == 400
    assert as_("chief").get(f"{API}/{item_id}").json["queue"] == "research"

    response = as_("r1").post(f"{API}/{item_id}/reroute", json={"queue": "business", "reason": "客户问的是出金"})
    assert response.status_code == 200
    item = response.json
    assert item["queue"] == "business" and item["assignee"] == "owner@example.com"
    assert item["category"] == "feedback"
    assert [(e["kind"], e["body"], e["by"], e["detail"]) for e in item["events"]] == [
        ("reroute", "客户问的是出金", "r1@example.com", {"before": "research", "after": "business"})]
    # now it is the owner's, and no longer the researcher's
    assert as_("owner").get(f"{API}/{item_id}").status_code == 200
    assert as_("r1").get(f"{API}/{item_id}").status_code == 403


def test_a_note_is_internal_and_never_sent(as_, world):
    item_id = world["items"]["account"]
    response = as_("owner").post(f"{API}/{item_id}/notes", json={"body": "  已电话联系，明早再跟进  "})
    assert response.status_code == 201
    assert [(n["body"], n["by"]) for n in response.json["notes"]] == [("已电话联系，明早再跟进", "owner@example.com")]
    assert ISO_UTC.match(response.json["notes"][0]["at"])
    assert response.json["events"] == []
    assert [m["direction"] for m in response.json["messages"]] == ["in"]
    assert response.json["status"] == "open"
    assert _outbound(item_id) == []
    assert as_("owner").post(f"{API}/{item_id}/notes", json={"body": ""}).status_code == 400
    assert as_("owner").post(f"{API}/{item_id}/notes", json={"body": "长" * 4001}).status_code == 400
    assert len(as_("owner").get(f"{API}/{item_id}").json["notes"]) == 1


def test_a_reply_goes_into_the_outbox(as_, world, people):
    item_id = world["items"]["account"]
    response = as_("owner").post(f"{API}/{item_id}/reply", json={"body": "您好，出金请在交易日9点后办理。"})
    assert response.status_code == 201
    item = response.json
    assert item["status"] == "answered"
    assert [m["direction"] for m in item["messages"]] == ["in", "out"]
    out = item["messages"][1]
    assert out["state"] == "pending" and "出金请在交易日9点后办理" in out["body"] and ISO_UTC.match(out["at"])
    [message] = _outbound(item_id)
    assert message.purpose == MessagePurpose.reply and message.state == MessageState.pending
    assert message.to == world["clients"]["mine2"].mobile and message.sent_by_id == people["owner"].id
    assert as_("owner").post(f"{API}/{item_id}/reply", json={"body": " "}).status_code == 400
    assert as_("owner").post(f"{API}/{item_id}/reply", json={"body": "长" * 671}).status_code == 400
    assert len(_outbound(item_id)) == 1


def test_no_reply_to_a_client_who_opted_out(as_, world):
    item_id = world["items"]["account"]
    world["clients"]["mine2"].opted_out = True
    db.session.commit()
    response = as_("owner").post(f"{API}/{item_id}/reply", json={"body": "您好"})
    assert response.status_code == 400 and "opted out" in response.json["error"]
    assert response.json["field"] == "body"
    assert _outbound(item_id) == []
    assert as_("owner").get(f"{API}/{item_id}").json["status"] == "open"


def test_no_reply_to_an_unknown_number(as_, world):
    item_id = world["items"]["unknown"]
    assert as_("chief").post(f"{API}/{item_id}/reply", json={"body": "您好"}).status_code == 400
    assert _outbound(item_id) == []


def test_resolve_and_reopen(as_, world):
    item_id = world["items"]["research"]
    response = as_("r1").post(f"{API}/{item_id}/resolve")
    assert response.status_code == 200
    assert response.json["status"] == "resolved" and ISO_UTC.match(response.json["resolved_at"])
    again = as_("r1").post(f"{API}/{item_id}/resolve")
    assert again.status_code == 400 and again.json["error"]

    response = as_("r1").post(f"{API}/{item_id}/reopen")
    assert response.status_code == 200
    assert response.json["status"] == "open" and response.json["resolved_at"] is None
    assert response.json["due_at"] is not None
    assert [e["kind"] for e in response.json["events"]] == ["resolve", "reopen"]
    assert as_("r1").post(f"{API}/{item_id}/reopen").status_code == 400


def test_correcting_the_category_moves_the_item_to_its_side(as_, world):
    item_id = world["items"]["research"]
    response = as_("r1").patch(f"{API}/{item_id}/category", json={"category": "account_service"})
    assert response.status_code == 200
    item = response.json
    assert item["category"] == "account_service" and item["queue"] == "business"
    assert item["assignee"] == "owner@example.com"
    assert item["events"][-1]["kind"] == "category"
    assert item["events"][-1]["detail"] == {"before": "research_question", "after": "account_service"}
    assert _ids(as_("owner").get(f"{API}?queue=business")) >= {item_id}


def test_correcting_the_category_is_checked(as_, world):
    item_id = world["items"]["research"]
    unknown = as_("r1").patch(f"{API}/{item_id}/category", json={"category": "gossip"})
    assert unknown.status_code == 400 and "gossip" in unknown.json["error"] and unknown.json["field"] == "category"
    assert as_("r1").patch(f"{API}/{item_id}/category", json={"category": "research_question"}).status_code == 400
    assert as_("r1").patch(f"{API}/{item_id}/category", json={"category": ["complaint"]}).status_code == 400


@pytest.mark.parametrize("action, method", [("assign", "post"), ("reroute", "post"), ("notes", "post"),
                                            ("reply", "post"), ("category", "patch")])
@pytest.mark.parametrize("payload", [{"data": "{not json", "content_type": "application/json"},
                                     {"json": ["a list"]}, {"data": "body=hi"}])
def test_a_body_that_is_not_a_json_object_is_400(as_, world, action, method, payload):
    item_id = world["items"]["research"]
    response = getattr(as_("chief"), method)(f"{API}/{item_id}/{action}", **payload)
    assert response.status_code == 400
    assert response.json["error"]
    assert as_("chief").get(f"{API}/{item_id}").json["events"] == []
