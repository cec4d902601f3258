"""The admin pages of follow-ups (reply rules, canned answers) and the simulator's client phone, which sends a
client's SMS through the real webhook."""
from __future__ import annotations

import sqlalchemy as sa

from core.extensions import db
from followups.models import CannedAnswer, FollowUp, Queue, RuleOverride
from messaging.models import InboundMessage
from tests.followups.helpers import flashes, item_of, reply_from, sign_in, text

# ---- admins: rules and canned answers ---------------------------------------------------------------------

def test_saving_a_keyword_changes_how_new_replies_are_classified(app, client, auth, desk, make_client):
    first = make_client("83100")
    reply_from(app, first.mobile, "海底捞今天怎么样")
    assert item_of(first).category.value == "feedback"
    sign_in(auth, "admin@example.com")
    page = text(client.get("/followups/rules"))
    assert 'id="rules-research_question"' in page and "螺纹" in page
    keywords = "\n".join(["海底捞", "螺纹"])
    saved = auth.post("/followups/rules", {"action": "save", "category": "research_question", "keywords": keywords,
                                           "patterns": ""})
    assert saved.status_code == 302
    override = db.session.scalar(sa.select(RuleOverride))
    assert override.keywords == ["海底捞", "螺纹"]
    tried = text(auth.post("/followups/rules", {"action": "try", "sample": "海底捞呢"}))
    assert "Research question" in tried and "海底捞" in tried
    second = make_client("83101")
    reply_from(app, second.mobile, "海底捞今天怎么样")
    second_item = item_of(second)
    assert (second_item.category.value, second_item.queue) == ("research_question", Queue.research)
    assert "海底捞" in second_item.rule
    auth.post("/followups/rules", {"action": "restore", "category": "research_question"})
    assert db.session.scalar(sa.select(sa.func.count()).select_from(RuleOverride)) == 0


def test_a_bad_pattern_is_shown_and_nothing_is_saved(client, auth, desk):
    sign_in(auth, "admin@example.com")
    response = auth.post("/followups/rules", {"action": "save", "category": "complaint", "keywords": "投诉",
                                              "patterns": "(亏"})
    page = text(response)
    assert response.status_code == 400 and "does not compile" in page and "(亏" in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(RuleOverride)) == 0
    sign_in(auth, "chief@example.com")
    assert client.get("/followups/rules").status_code == 403


def test_canned_answers_are_added_edited_and_retired(client, auth, desk, research_item):
    sign_in(auth, "admin@example.com")
    page = text(client.get("/followups/canned"))
    assert "银期转账" in page and "逐日盯市" in page
    auth.post("/followups/canned", {"title": "夜盘时间", "body": "夜盘交易时间为21:00开始。", "active": "1"})
    answer = db.session.scalar(sa.select(CannedAnswer).where(CannedAnswer.title == "夜盘时间"))
    assert answer.active and answer.body == "夜盘交易时间为21:00开始。"
    auth.post("/followups/canned", {"id": str(answer.id), "title": "夜盘时间", "body": "夜盘自21:00开始。",
                                    "active": "1"})
    db.session.expire_all()
    assert db.session.get(CannedAnswer, answer.id).body == "夜盘自21:00开始。"
    refused = auth.post("/followups/canned", {"title": "", "body": "x", "active": "1"}, follow_redirects=True)
    assert "needs a title" in flashes(text(refused))
    auth.post("/followups/canned", {"id": str(answer.id), "title": "夜盘时间", "body": "夜盘自21:00开始。"})
    db.session.expire_all()
    assert db.session.get(CannedAnswer, answer.id).active is False
    assert "Retired" in text(client.get("/followups/canned"))
    sign_in(auth, "res@example.com")
    page = text(client.get(f"/followups/{research_item.id}"))
    assert "夜盘时间" not in page  # retired: no longer offered
    assert "修改密码" not in page  # an account answer (scoped to business by migration 0015): not a researcher's
    assert client.get("/followups/canned").status_code == 403


def test_canned_answers_are_offered_on_the_queue_they_are_scoped_to(app, client, auth, desk, research_item):
    _, clients = desk
    reply_from(app, clients["li"].mobile, "出金什么时候到账")
    business_item = item_of(clients["li"])
    sign_in(auth, "admin@example.com")
    page = text(client.get("/followups/canned"))
    assert 'name="queue"' in page and '<option value="research"' in page and "Every queue" in page
    for title, body, queue in (("止损怎么看", "止损价即离场价格。", "research"), ("开户", "请到营业部办理。", "business"),
                               ("已收到", "您的问题已收到。", "")):
        assert auth.post("/followups/canned", {"title": title, "body": body, "queue": queue,
                                               "active": "1"}).status_code == 302
    scoped = dict(db.session.execute(sa.select(CannedAnswer.title, CannedAnswer.queue)).all())
    assert (scoped["止损怎么看"], scoped["开户"], scoped["已收到"]) == (Queue.research, Queue.business, None)
    assert scoped["修改密码"] == Queue.business  # the shipped account answers, scoped by migration 0015
    refused = auth.post("/followups/canned", {"title": "x", "body": "y", "queue": "triage", "active": "1"},
                        follow_redirects=True)
    assert "research or business" in flashes(text(refused))
    sign_in(auth, "res@example.com")  # a researcher, on a research item: research answers and the unscoped one
    page = text(client.get(f"/followups/{research_item.id}"))
    assert "止损怎么看" in page and "已收到" in page and "开户" not in page and "修改密码" not in page
    sign_in(auth, "b@example.com")  # a business staff member, on their client's item: account answers
    page = text(client.get(f"/followups/{business_item.id}"))
    assert "开户" in page and "修改密码" in page and "已收到" in page and "止损怎么看" not in page
    # changing the scope moves the answer
    answer = db.session.scalar(sa.select(CannedAnswer).where(CannedAnswer.title == "止损怎么看"))
    sign_in(auth, "admin@example.com")
    auth.post("/followups/canned", {"id": str(answer.id), "title": "止损怎么看", "body": "止损价即离场价格。",
                                    "queue": "", "active": "1"})
    sign_in(auth, "b@example.com")
    assert "止损怎么看" in text(client.get(f"/followups/{business_item.id}"))


def test_demo_seed_adds_canned_answers_of_each_queue(app):
    from followups import canned
    from followups.demo import DEMO_ANSWERS, seed_canned

    assert app.extensions["demo_seeders"] == [seed_canned]  # clients/demo.py runs it in `demo seed`
    assert seed_canned(db.session) == len(DEMO_ANSWERS) and seed_canned(db.session) == 0  # once
    research = {a.title for a in canned.answers(db.session, queue=Queue.research)}
    business = {a.title for a in canned.answers(db.session, queue=Queue.business)}
    assert {"止损怎么看", "研报在哪里看", "已收到，稍后回复"} <= research and "修改密码" not in research
    assert {"开户与适当性", "修改密码", "已收到，稍后回复"} <= business and "止损怎么看" not in business


# ---- the simulator's client phone --------------------------------------------------------------------------

def test_client_phone_sends_through_the_webhook_and_shows_the_thread(client, auth, desk):
    _, clients = desk
    sign_in(auth, "admin@example.com")
    assert "/sms/phone" in text(client.get("/"))
    page = text(client.get("/sms/phone"))
    assert "83001" in page and "王芳" in page
    sent = auth.post("/sms/phone/send", {"account": "83001", "body": "保证金不够了怎么办"})
    assert sent.status_code == 302 and "account=83001" in sent.headers["Location"]
    db.session.expire_all()
    inbound = db.session.scalar(sa.select(InboundMessage))
    assert (inbound.from_number, inbound.body) == (clients["wang"].mobile, "保证金不够了怎么办")
    item = db.session.get(FollowUp, inbound.followup_id)
    assert item.client_id == clients["wang"].id and item.category.value == "account_service"
    page = text(client.get(sent.headers["Location"]))
    assert "保证金不够了怎么办" in page and "Sent as 王芳" in page
    assert 'data-poll="/sms/phone?account=83001&amp;part=thread"' in page
    sign_in(auth, "a@example.com")
    auth.post(f"/followups/{item.id}/reply", {"body": "请在交易时间入金。"})
    sign_in(auth, "admin@example.com")
    fragment = text(client.get("/sms/phone?account=83001&part=thread"))
    assert "请在交易时间入金。" in fragment and "保证金不够了怎么办" in fragment and "<html" not in fragment


def test_client_phone_refuses_unknown_clients_and_other_roles(client, auth, desk):
    sign_in(auth, "admin@example.com")
    assert "no client with account number" in text(client.get("/sms/phone?account=00000"))
    refused = auth.post("/sms/phone/send", {"account": "00000", "body": "hi"}, follow_redirects=True)
    assert "Choose a client" in flashes(text(refused))
    assert db.session.scalar(sa.select(sa.func.count()).select_from(InboundMessage)) == 0
    sign_in(auth, "chief@example.com")
    assert client.get("/sms/phone").status_code == 403
    assert "/sms/phone" not in text(client.get("/"))


def test_client_phone_is_404_with_twilio(app, client, auth, desk, monkeypatch):
    monkeypatch.setitem(app.config, "SMS_GATEWAY", "twilio")
    sign_in(auth, "admin@example.com")
    assert client.get("/sms/phone").status_code == 404
    assert auth.post("/sms/phone/send", {"account": "83001", "body": "hi"}).status_code == 404
    assert "/sms/phone" not in text(client.get("/"))
