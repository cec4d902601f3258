"""The inbound webhook and routing: signatures, storing first, replays, unknown numbers, the automatic
answers (opt-out, opt-in, help), matching to the broadcast and the open item, and where items land."""
from __future__ import annotations

import secrets
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from twilio.request_validator import RequestValidator

from broadcast.models import Broadcast, BroadcastKind, BroadcastState
from clients.appropriateness import RiskLevel
from clients.models import Client
from clients.tiers import Tier
from core.audit import AuditEntry
from core.extensions import db
from followups import intake
from followups.classify import Category, Priority
from followups.models import FollowUp, Queue, Status
from followups.settings import FollowUpSettings
from messaging import inbound
from messaging.models import InboundMessage, MessagePurpose, MessageState, OutboundMessage
from tests.followups.helpers import inbound_form, signature_for

URL = "http://127.0.0.1:5000/sms/inbound"


def webhook(client, app, number: str, body: str, sid: str | None = None, signature: str | None = None, **extra):
    form = inbound_form(number, body, sid, **extra)
    signature = signature_for(app, form) if signature is None else signature
    return client.post("/sms/inbound", data=form, headers={"X-Twilio-Signature": signature})


def count(model) -> int:
    db.session.expire_all()
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def only_item() -> FollowUp:
    db.session.expire_all()
    return db.session.scalars(sa.select(FollowUp)).one()


def outbound(purpose: MessagePurpose | None = None) -> list[OutboundMessage]:
    db.session.expire_all()
    query = sa.select(OutboundMessage).order_by(OutboundMessage.id)
    if purpose:
        query = query.where(OutboundMessage.purpose == purpose)
    return list(db.session.scalars(query))


@pytest.fixture
def gold(make_client, people):
    return make_client("83001", name="张三", mobile="+8613800000001", tier=Tier.gold, owner_id=people["owner"].id)


# ---- the door ----------------------------------------------------------------------------------------------

def test_a_missing_or_wrong_signature_is_refused_and_nothing_is_stored(client, app, gold):
    assert webhook(client, app, gold.mobile, "你好", signature="").status_code == 403
    assert webhook(client, app, gold.mobile, "你好", signature="bm90IGEgc2lnbmF0dXJl").status_code == 403
    other = RequestValidator("someone-elses-token").compute_signature(URL, {"Body": "你好"})
    assert webhook(client, app, gold.mobile, "你好", signature=other).status_code == 403
    assert count(InboundMessage) == 0 and count(FollowUp) == 0


def test_the_same_message_sid_twice_stores_and_routes_once(client, app, gold):
    sid = "SM" + "a" * 32
    first = webhook(client, app, gold.mobile, "螺纹止损设多少？", sid=sid)
    again = webhook(client, app, gold.mobile, "螺纹止损设多少？", sid=sid)
    assert first.status_code == again.status_code == 200
    assert first.mimetype == "text/xml" and "<Response" in first.get_data(as_text=True)
    assert count(InboundMessage) == 1 and count(FollowUp) == 1


@pytest.mark.parametrize("body", ["🚀📈 螺纹钢明天还能做多吗？🙏", "  前后有空格  ", "a\r\nb", "长" * 1600, ""])
def test_the_body_is_kept_exactly_as_sent(client, app, gold, body):
    assert webhook(client, app, gold.mobile, body).status_code == 200
    db.session.expire_all()
    assert db.session.scalars(sa.select(InboundMessage.body)).one() == body


@pytest.mark.parametrize("fields, status", [
    ({"Body": "长" * 1601}, 400),
    ({"MessageSid": ""}, 400),
    ({"MessageSid": "not a sid!"}, 400),
    ({"From": ""}, 400),
    ({"From": "<script>"}, 400),
    ({"Body": "a\x00b"}, 400),
])
def test_malformed_requests_get_400_and_nothing_is_half_stored(client, app, gold, fields, status):
    form = {"MessageSid": "SM" + "b" * 32, "From": gold.mobile, "To": "+8610690000", "Body": "你好", **fields}
    signature = signature_for(app, form)
    response = client.post("/sms/inbound", data=form, headers={"X-Twilio-Signature": signature})
    assert response.status_code == status
    assert count(InboundMessage) == 0 and count(FollowUp) == 0


def test_an_oversized_request_gets_413(client, app, gold):
    response = webhook(client, app, gold.mobile, "你好", Padding="x" * 70_000)
    assert response.status_code == 413
    assert count(InboundMessage) == 0


def test_an_unknown_number_goes_to_triage_and_gets_nothing_back(client, app, gold, monkeypatch):
    monkeypatch.setitem(app.config, "AUTO_ACK_TEXT", "收到，我们会尽快回复。")
    response = webhook(client, app, "+8613999999999", "你们的研究报告能发我一份吗")
    assert response.status_code == 200
    assert "<Message" not in response.get_data(as_text=True)
    item = only_item()
    assert item.queue == Queue.triage and item.client_id is None and item.from_number == "+8613999999999"
    assert "unknown number" in item.rule
    assert outbound() == []
    # a STOP from a number that is no client's changes no client and sends nothing
    webhook(client, app, "+8613999999999", "STOP")
    assert outbound() == [] and count(FollowUp) == 1


def test_the_configured_acknowledgement_goes_back_once_to_a_client(client, app, gold, monkeypatch):
    monkeypatch.setitem(app.config, "AUTO_ACK_TEXT", "收到，我们会尽快回复。")
    sid = "SM" + "c" * 32
    first = webhook(client, app, gold.mobile, "螺纹止损设多少？", sid=sid).get_data(as_text=True)
    replay = webhook(client, app, gold.mobile, "螺纹止损设多少？", sid=sid).get_data(as_text=True)
    assert first.count("<Message>收到，我们会尽快回复。</Message>") == 1
    assert "<Message" not in replay


# ---- automatic answers -----------------------------------------------------------------------------------

def test_opt_out_at_once_with_when_and_which_message_and_one_confirmation(client, app, gold):
    sid = "SM" + "d" * 32
    webhook(client, app, gold.mobile, " 退订！", sid=sid)
    webhook(client, app, gold.mobile, " 退订！", sid=sid)  # replay
    webhook(client, app, gold.mobile, "TD")  # already out: no second confirmation
    db.session.expire_all()
    c = db.session.get(Client, gold.id)
    assert c.opted_out and c.opted_out_at is not None and sid in c.opt_out_source
    confirmations = outbound(MessagePurpose.service)
    assert len(confirmations) == 1 and "退订" in confirmations[0].body and confirmations[0].to == gold.mobile
    assert db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "client.opt_out")) is not None
    item = only_item()
    assert item.category == Category.opt_out and item.status == Status.resolved
    # the next broadcast skips them
    from broadcast import audience
    recipients = db.session.scalars(audience.recipients_query(audience.parse({"tiers": ["gold"]}))).all()
    assert gold.id not in {r.id for r in recipients}


def test_a_longer_stop_request_is_routed_to_the_owner_with_a_suggestion_not_acted_on(client, app, gold, people):
    webhook(client, app, gold.mobile, "请不要再发短信了，谢谢")
    item = only_item()
    db.session.expire_all()
    assert not db.session.get(Client, gold.id).opted_out
    assert item.suggest_opt_out and item.queue == Queue.business and item.assignee_id == people["owner"].id
    assert outbound() == []


@pytest.mark.parametrize("word", ["START", "unstop", "订阅"])
def test_opt_back_in_with_one_confirmation(client, app, make_client, people, word):
    c = make_client("83002", mobile="+8613800000002", opted_out=True, owner_id=people["owner"].id)
    webhook(client, app, c.mobile, word)
    db.session.expire_all()
    assert not db.session.get(Client, c.id).opted_out
    assert len(outbound(MessagePurpose.service)) == 1


@pytest.mark.parametrize("body, broadcast_language, english", [
    ("R", None, False), ("r", "zh", False), ("TD", None, False), (" R ", "en", True), ("STOP", None, True),
    ("stop please", "zh", True), ("退订", "en", False), ("1", None, False), ("?", "en", True), ("HELP", "zh", True),
])
def test_the_automatic_answer_is_in_the_clients_language(body, broadcast_language, english):
    """A Chinese client who answers 拒收请回复R with "R" gets the Chinese confirmation, not the English one."""
    from followups.intake import answers_in_english

    assert answers_in_english(body, broadcast_language) is english


def test_opting_out_with_r_is_confirmed_in_chinese(client, app, gold):
    webhook(client, app, gold.mobile, "R")
    [confirmation] = outbound(MessagePurpose.service)
    assert "退订" in confirmation.body and "unsubscribed" not in confirmation.body


@pytest.mark.parametrize("word, english", [("HELP", True), ("帮助", False), ("客服", False)])
def test_help_is_answered_with_the_service_card(client, app, gold, word, english):
    webhook(client, app, gold.mobile, word)
    [card] = outbound(MessagePurpose.service)
    assert ("client service" in card.body) == english and card.body.startswith("【")
    assert only_item().status == Status.resolved


# ---- routing -----------------------------------------------------------------------------------------------

def sent_broadcast(chief, client_row, kind=BroadcastKind.trade_suggestion, at=None) -> Broadcast:
    """A broadcast already handed over to `client_row` at `at`."""
    at = at or datetime.now(timezone.utc)
    b = Broadcast(kind=kind, title="螺纹钢做多建议", body="x", author_id=chief.id, state=BroadcastState.completed,
                  risk_level=RiskLevel.R4)
    db.session.add(b)
    db.session.flush()
    db.session.add(OutboundMessage(broadcast_id=b.id, purpose=MessagePurpose.broadcast, client_id=client_row.id,
                                   to=client_row.mobile, body="x",
                                   state=MessageState.delivered, handed_over_at=at, provider_sid=secrets.token_hex(8)))
    db.session.commit()
    return b


def test_a_question_on_a_suggestion_goes_round_robin_to_researchers_on_duty(client, app, make_client, people):
    clients = [make_client(str(84000 + i), mobile=f"+86138000010{i:02d}") for i in range(4)]
    b = sent_broadcast(people["chief"], clients[0])
    for c in clients:
        webhook(client, app, c.mobile, "rb2605现在还能进吗？")
    db.session.expire_all()
    items = db.session.scalars(sa.select(FollowUp).order_by(FollowUp.id)).all()
    assert [i.queue for i in items] == [Queue.research] * 4
    assignees = [i.assignee_id for i in items]
    assert set(assignees) == {people["r1"].id, people["r2"].id}  # r3 is off duty
    assert assignees[0] != assignees[1] and assignees[2] != assignees[3]
    assert items[0].broadcast_id == b.id and items[1].broadcast_id is None


def test_a_reply_links_to_the_latest_broadcast_within_the_window_only(client, app, gold, people):
    now = datetime.now(timezone.utc)
    sent_broadcast(people["chief"], gold, at=now - timedelta(days=5))
    recent = sent_broadcast(people["chief"], gold, BroadcastKind.daily_comment, at=now - timedelta(days=2))
    webhook(client, app, gold.mobile, "收到")
    assert only_item().broadcast_id == recent.id


def test_a_question_only_counts_as_research_when_it_answers_a_suggestion(client, app, gold, make_client, people):
    other = make_client("83009", mobile="+8613800000009", owner_id=people["owner"].id)
    sent_broadcast(people["chief"], gold)
    webhook(client, app, gold.mobile, "这个还能做吗？")
    webhook(client, app, other.mobile, "这个还能做吗？")
    db.session.expire_all()
    by_client = {i.client_id: i for i in db.session.scalars(sa.select(FollowUp))}
    assert by_client[gold.id].queue == Queue.research
    assert by_client[other.id].queue == Queue.business


def test_a_transfer_question_lands_with_the_clients_own_business_staff(client, app, gold, people):
    webhook(client, app, gold.mobile, "银期转账转不进去怎么办")
    item = only_item()
    assert (item.queue, item.category, item.assignee_id) == (Queue.business, Category.account_service,
                                                            people["owner"].id)


def test_a_client_without_owner_waits_in_the_branch_pool(client, app, make_client, people):
    c = make_client("83003", mobile="+8613800000003", branch="上海浦东营业部", owner_id=None)
    webhook(client, app, c.mobile, "手续费能不能降一点")
    item = only_item()
    assert item.queue == Queue.business and item.assignee_id is None and item.branch == "上海浦东营业部"


def test_a_complaint_is_high_priority_for_the_owner_with_a_short_deadline(client, app, gold, people):
    webhook(client, app, gold.mobile, "按你们的建议亏了十万，我要投诉！")
    item = only_item()
    assert (item.category, item.priority, item.queue) == (Category.complaint, Priority.high, Queue.business)
    assert item.assignee_id == people["owner"].id


def test_a_new_reply_joins_the_open_item_and_reopens_a_recently_resolved_one(client, app, gold, people):
    webhook(client, app, gold.mobile, "银期转账怎么操作")
    webhook(client, app, gold.mobile, "还有，密码忘了")
    assert count(FollowUp) == 1 and count(InboundMessage) == 2
    item = only_item()
    item.status, item.resolved_at = Status.resolved, datetime.now(timezone.utc) - timedelta(days=1)
    db.session.commit()
    webhook(client, app, gold.mobile, "又转不进去了")
    item = only_item()
    assert item.status == Status.open and item.resolved_at is None
    # resolved longer ago than the window: a new item
    item.status, item.resolved_at = Status.resolved, datetime.now(timezone.utc) - timedelta(days=4)
    db.session.commit()
    webhook(client, app, gold.mobile, "再问一下转账")
    assert count(FollowUp) == 2


def test_a_complaint_on_an_open_item_raises_it(client, app, gold, people):
    webhook(client, app, gold.mobile, "银期转账怎么操作")
    webhook(client, app, gold.mobile, "这么久没人理，我要投诉")
    item = only_item()
    assert item.category == Category.complaint and item.priority == Priority.high


def test_when_routing_fails_the_reply_stays_stored_in_triage(client, app, gold, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("rules table unreadable")

    monkeypatch.setattr(intake.classifier, "classify", broken)
    assert webhook(client, app, gold.mobile, "你好").status_code == 200
    item = only_item()
    assert item.queue == Queue.triage and "routing failed" in item.rule
    message = db.session.scalars(sa.select(InboundMessage)).one()
    assert message.followup_id == item.id and "rules table unreadable" in message.routing_error


def test_replies_stored_by_a_request_that_died_are_routed_by_the_worker(app, gold):
    now = datetime.now(timezone.utc)
    settings = FollowUpSettings.from_config(app.config)
    incoming = inbound.parse_webhook({"MessageSid": "SM" + "e" * 32, "From": gold.mobile, "To": "x", "Body": "密码忘了"})
    inbound.store(db.session, incoming, now - timedelta(minutes=2))
    assert intake.route_stragglers(db.session, settings, now) == 1
    assert only_item().category == Category.account_service
    assert intake.route_stragglers(db.session, settings, now) == 0


def test_deadlines_follow_tier_and_service_hours(app, make_client, people):
    settings = FollowUpSettings.from_config(app.config)
    wednesday_10 = datetime(2026, 11, 25, 2, 0, tzinfo=timezone.utc)  # 10:00 in Shanghai
    friday_2050 = datetime(2026, 11, 27, 12, 50, tzinfo=timezone.utc)  # 20:50 in Shanghai
    cases = [("+8613800000011", Tier.diamond, "银期转账", wednesday_10, datetime(2026, 11, 25, 2, 15)),
             ("+8613800000012", Tier.gold, "银期转账", wednesday_10, datetime(2026, 11, 25, 2, 30)),
             ("+8613800000013", Tier.ordinary, "银期转账", wednesday_10, datetime(2026, 11, 25, 4, 0)),
             ("+8613800000014", Tier.ordinary, "我要投诉", wednesday_10, datetime(2026, 11, 25, 2, 15)),
             # 10 minutes on Friday evening, 20 more from 08:30 on Monday
             ("+8613800000015", Tier.gold, "银期转账", friday_2050, datetime(2026, 11, 30, 0, 50))]
    for n, (mobile, tier, text, now, due) in enumerate(cases):
        make_client(str(85000 + n), mobile=mobile, tier=tier, owner_id=people["owner"].id)
        incoming = inbound.parse_webhook({"MessageSid": f"SM{n:032d}", "From": mobile, "To": "x", "Body": text})
        message = inbound.store(db.session, incoming, now)
        routed = intake.route_or_triage(db.session, message.id, settings, now)
        assert routed.item.due_at == due.replace(tzinfo=timezone.utc), mobile


def test_an_account_matter_during_an_open_research_question_reaches_the_owner_at_once(client, app, make_client,
                                                                                       people):
    c = make_client("83010", mobile="+8613800000010", owner_id=people["owner"].id)
    webhook(client, app, c.mobile, "rb2605止损设多少？")
    webhook(client, app, c.mobile, "谢谢老师")  # joins the open research conversation
    webhook(client, app, c.mobile, "银期转账转不进去怎么办")
    webhook(client, app, c.mobile, "rb2605目标位呢？")  # back to the research conversation
    db.session.expire_all()
    items = db.session.scalars(sa.select(FollowUp).order_by(FollowUp.id)).all()
    assert [(i.queue, i.assignee_id in {people["r1"].id, people["r2"].id}) for i in items] == [
        (Queue.research, True), (Queue.business, False)]
    assert items[1].assignee_id == people["owner"].id
    per_item = dict(db.session.execute(sa.select(InboundMessage.followup_id, sa.func.count())
                                       .group_by(InboundMessage.followup_id)).all())
    assert per_item == {items[0].id: 3, items[1].id: 1}
