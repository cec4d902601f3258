"""Who sees which item, and the hand-over actions, at the service level (no HTTP)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from clients.tiers import Tier
from core.extensions import db
from followups import intake, service
from followups.classify import Category
from followups.models import EventKind, FollowUp, FollowUpEvent, Queue, Status
from followups.settings import FollowUpSettings
from messaging import inbound

NOW = datetime(2026, 11, 25, 2, 0, tzinfo=timezone.utc)


@pytest.fixture
def world(app, people, make_client):
    p = people
    owned = make_client("83001", mobile="+8613800000001", tier=Tier.gold, owner_id=p["owner"].id)
    pooled = make_client("83002", mobile="+8613800000002", branch="上海浦东营业部", owner_id=None)
    far_pool = make_client("83003", mobile="+8613800000003", branch="北京朝阳营业部", owner_id=None)
    settings = FollowUpSettings.from_config(app.config)
    items = {}
    for n, (name, number, text) in enumerate([("owned", owned.mobile, "银期转账怎么操作"),
                                               ("pooled", pooled.mobile, "密码忘了"),
                                               ("far_pool", far_pool.mobile, "手续费多少"),
                                               ("research", "+8613800000001", "螺纹止损设多少？"),
                                               ("triage", "+8613999999999", "你好")]):
        if name == "research":  # the owned client's open item would take it; use another client
            number = make_client("83004", mobile="+8613800000004", owner_id=p["owner"].id).mobile
        message = inbound.store(db.session, inbound.parse_webhook(
            {"MessageSid": f"SM{n:032d}", "From": number, "To": "x", "Body": text}), NOW)
        items[name] = intake.route_or_triage(db.session, message.id, settings, NOW).item.id
    return p, items, settings


def seen(person) -> set[int]:
    return set(db.session.scalars(sa.select(FollowUp.id).where(service.visible(person))))


@pytest.mark.parametrize("who, expected", [
    ("owner", {"owned", "pooled"}),
    ("colleague", {"pooled"}),
    ("far", {"far_pool"}),
    ("r1", {"research"}),
    ("chief", {"owned", "pooled", "far_pool", "research", "triage"}),
    ("approver", {"owned", "pooled", "far_pool", "research", "triage"}),
    ("admin", {"triage"}),
])
def test_each_role_sees_exactly_its_items(world, who, expected):
    people, items, _ = world
    assert seen(people[who]) == {items[name] for name in expected}


def test_an_item_one_may_not_see_is_forbidden_not_empty(world):
    people, items, _ = world
    with pytest.raises(service.Forbidden):
        service.get_item(db.session, people["colleague"], items["owned"])
    with pytest.raises(service.Forbidden):
        service.get_item(db.session, people["r1"], items["owned"])
    assert service.get_item(db.session, people["owner"], 10_000) is None


def test_a_business_staff_member_hands_a_market_question_to_research_with_a_reason(world):
    people, items, _ = world
    item = db.session.get(FollowUp, items["owned"])
    with pytest.raises(service.FollowUpError):
        service.reroute(db.session, people["owner"], item, "research", "  ", NOW)
    service.reroute(db.session, people["owner"], item, "research", "客户问的是螺纹走势", NOW)
    db.session.commit()
    assert item.queue == Queue.research and item.category == Category.research_question
    assert item.assignee_id in {people["r1"].id, people["r2"].id}
    event = db.session.scalars(sa.select(FollowUpEvent).where(FollowUpEvent.kind == EventKind.reroute)).one()
    assert event.body == "客户问的是螺纹走势" and event.author_id == people["owner"].id
    assert items["owned"] in seen(people["r1"]) and items["owned"] not in seen(people["colleague"])
    # and back: a researcher who finds an account matter hands it to the client's own business staff
    researcher = db.session.get(type(people["r1"]), item.assignee_id)
    service.reroute(db.session, researcher, item, "business", "这是入金问题", NOW)
    assert item.queue == Queue.business and item.assignee_id == people["owner"].id


def test_correcting_the_category_reroutes(world):
    people, items, _ = world
    item = db.session.get(FollowUp, items["research"])
    service.correct_category(db.session, people["r1"], item, "account_service", NOW)
    assert item.queue == Queue.business and item.assignee_id == people["owner"].id
    with pytest.raises(service.FollowUpError):
        service.correct_category(db.session, people["owner"], item, "nonsense", NOW)


def test_going_off_duty_returns_unclaimed_items_to_the_pool_and_stops_new_ones(world, app):
    people, items, settings = world
    item = db.session.get(FollowUp, items["research"])
    holder = people["r1"] if item.assignee_id == people["r1"].id else people["r2"]
    other = people["r2"] if holder is people["r1"] else people["r1"]
    assert service.set_duty(db.session, holder, False) == 1
    db.session.commit()
    assert item.assignee_id is None
    for _ in range(3):
        service.place(db.session, item, NOW, Queue.research)
        assert item.assignee_id == other.id
    # a claimed item stays with its researcher when they go off duty
    service.claim(db.session, other, item, NOW)
    assert service.set_duty(db.session, other, False) == 0 and item.assignee_id == other.id


def test_claims_and_reassignment(world):
    people, items, _ = world
    item = db.session.get(FollowUp, items["research"])
    service.claim(db.session, people["r1"], item, NOW)
    with pytest.raises(service.FollowUpError):
        service.claim(db.session, people["r2"], item, NOW)
    with pytest.raises(service.FollowUpError):  # a business staff member cannot take research items
        service.assign(db.session, people["chief"], item, "owner@example.com", NOW)
    service.assign(db.session, people["chief"], item, "r2@example.com", NOW)  # the chief analyst reassigns
    assert item.assignee_id == people["r2"].id
    with pytest.raises(service.Forbidden):  # compliance reads, it does not take items
        service.claim(db.session, people["approver"], db.session.get(FollowUp, items["owned"]), NOW)


def test_resolve_and_reopen(world):
    people, items, settings = world
    item = db.session.get(FollowUp, items["owned"])
    service.resolve(db.session, people["owner"], item, NOW)
    assert item.status == Status.resolved
    with pytest.raises(service.FollowUpError):
        service.resolve(db.session, people["owner"], item, NOW)
    service.reopen(db.session, people["owner"], item, settings, NOW + timedelta(hours=1))
    assert item.status == Status.open and item.resolved_at is None
    assert item.due_at == NOW + timedelta(hours=1, minutes=30)  # gold: 30 minutes from the reopening


def test_a_second_round_waits_again_but_the_first_answer_still_counts_in_the_summary(world, app):
    from followups import queries

    people, items, settings = world
    item = db.session.get(FollowUp, items["owned"])  # gold: 30 minutes
    service.reply(db.session, people["owner"], item, "您好，请在交易软件中操作。", settings, NOW + timedelta(minutes=10))
    db.session.commit()
    assert item.status == Status.answered
    message = inbound.store(db.session, inbound.parse_webhook(
        {"MessageSid": "SM" + "7" * 32, "From": "+8613800000001", "To": "x", "Body": "还是不行"}),
        NOW + timedelta(hours=1))
    intake.route_or_triage(db.session, message.id, settings, NOW + timedelta(hours=1))
    db.session.expire_all()
    item = db.session.get(FollowUp, items["owned"])
    assert item.status == Status.open and item.due_at == NOW + timedelta(hours=1, minutes=30)
    assert item.first_response_at == NOW + timedelta(minutes=10)
    by_queue, by_person = queries.summary(db.session, people["chief"], settings, NOW + timedelta(hours=3))
    business = next(line for line in by_queue if line.label == "business")
    assert (business.open, business.overdue, business.median_minutes) == (3, 3, 10.0)
    owner = next(line for line in by_person if line.label == people["owner"].name)
    assert (owner.open, owner.overdue, owner.median_minutes) == (1, 1, 10.0)


@pytest.mark.parametrize("rule, zh", [
    ("research_question: keyword “止损”", "关键词“止损”"),
    ("opt_out: whole reply “TD”", "整条回复为“TD”"),
    ("unknown number; feedback: nothing matched", "未知号码; 未匹配任何规则"),
    ("handed over to research", "已转交研究"),
    ("something new", "something new"),
])
def test_the_rule_that_fired_is_shown_in_the_readers_language(app, rule, zh):
    from flask_babel import force_locale

    from followups.labels import rule_label

    with app.test_request_context(), force_locale("zh"):
        assert rule_label(rule) == zh
