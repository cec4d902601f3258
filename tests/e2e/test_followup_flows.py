"""Replies as the people at both ends meet them: the client on the simulator's phone page, the researcher who
answers a question, the business staff who hands a market question over to research."""
from __future__ import annotations

import re

import sqlalchemy as sa
from playwright.sync_api import Page, expect

from clients.models import Client
from clients.tiers import Tier
from core.extensions import db
from followups.classify import Category
from followups.models import EventKind, FollowUp, FollowUpEvent, Queue
from tests.e2e.conftest import SENDING_MS, zh
from tests.followups.helpers import reply_from

QUESTION = "螺纹止损设在哪里？"
ANSWER = "王女士您好，螺纹止损建议设在3098，跌破请及时离场。"


def desk(make_staff, make_client):
    """An admin, a researcher on duty, two business staff of one branch; 王芳 and 赵敏 are the first one's
    clients, 李强 the second one's."""
    people = {
        "admin": make_staff("admin", email="admin@example.com", name="管理员"),
        "researcher": make_staff("researcher", email="res@example.com", name="研究员甲"),
        "a": make_staff("business_staff", email="a@example.com", name="业务甲"),
        "b": make_staff("business_staff", email="b@example.com", name="业务乙"),
    }
    people["researcher"].on_duty = True
    db.session.commit()
    clients = {
        "wang": make_client("83001", name="王芳", mobile="+8613800083001", owner_id=people["a"].id, tier=Tier.gold),
        "zhao": make_client("83003", name="赵敏", mobile="+8613800083003", owner_id=people["a"].id,
                            tier=Tier.quality),
        "li": make_client("83002", name="李强", mobile="+8613800083002", owner_id=people["b"].id,
                          tier=Tier.diamond),
    }
    return people, clients


def open_phone(page: Page, account: str) -> None:
    """The admin's client phone, as the client with `account` (picked from the list of clients)."""
    page.locator("header nav").get_by_role("link", name=zh("Client phone")).click()
    page.get_by_role("link", name=re.compile(f"^{account} ")).click()
    expect(page.locator("section.phone h2")).to_contain_text(account)


def send_as_client(page: Page, text: str, name: str = "王芳") -> None:
    phone = page.locator("section.phone")
    phone.locator("textarea[name=body]").fill(text)
    phone.get_by_role("button", name=zh("Send as this client")).click()
    expect(page.locator(".flash.success")).to_contain_text(zh("Sent as %(name)s. The reply was stored and routed "
                                                              "into the follow-up queues as a real one is.", name=name))
    expect(page.locator("#phone-thread .entry-in").last).to_contain_text(text)


def items_of(client: Client) -> list[FollowUp]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(FollowUp).where(FollowUp.client_id == client.id)
                                   .order_by(FollowUp.id)))


def test_client_asks_a_question_then_opts_out_from_the_phone(app, site, users, screenshot, make_staff,
                                                             make_client):
    people, clients = desk(make_staff, make_client)
    admin = users.sign_in("admin@example.com")
    open_phone(admin, "83001")
    expect(admin.locator("#phone-thread")).to_contain_text(zh("No messages yet."))

    send_as_client(admin, QUESTION)
    [item] = items_of(clients["wang"])
    assert (item.category, item.queue, item.assignee_id) == (Category.research_question, Queue.research,
                                                             people["researcher"].id)

    send_as_client(admin, "退订")
    phone = admin.locator("section.phone")
    expect(phone.locator("h2 .badge")).to_have_text(zh("Opted out"))
    # the one confirmation goes out through the worker and the simulator, and the thread shows it delivered
    confirmation = admin.locator("#phone-thread .entry-out", has_text="您已退订")
    expect(confirmation).to_have_count(1, timeout=SENDING_MS)
    expect(confirmation.locator(".badge")).to_have_text(zh("Delivered"), timeout=SENDING_MS)
    expect(confirmation).to_contain_text(zh("Automatic answer"))
    screenshot(admin)

    db.session.expire_all()
    wang = db.session.get(Client, clients["wang"].id)
    assert wang.opted_out and wang.opted_out_at is not None
    assert [to for _sid, to, _text in site.gateway.sent] == [wang.mobile]  # the confirmation, nothing else


def test_researcher_sees_the_question_arrive_and_answers_it(app, site, users, screenshot, make_staff,
                                                            make_client):
    desk(make_staff, make_client)
    researcher = users.sign_in("res@example.com")
    researcher.locator("header nav").get_by_role("link", name=zh("Follow-ups")).click()
    expect(researcher.locator("#followup-rows")).to_contain_text(zh("Nothing here."))
    researcher.evaluate("window.e2eNotReloaded = true")

    client_phone = users.sign_in("admin@example.com")
    open_phone(client_phone, "83001")
    send_as_client(client_phone, QUESTION)

    # the queue refreshes itself: the question appears without a reload
    row = researcher.locator("#followup-rows tr", has_text=QUESTION)
    expect(row).to_be_visible(timeout=SENDING_MS)
    assert researcher.evaluate("window.e2eNotReloaded") is True, "the queue page was reloaded"
    expect(row).to_contain_text(zh("Research question"))
    expect(row).to_contain_text("研究员甲")

    row.get_by_role("link", name="王芳").click()
    expect(researcher.locator("#thread .entry-in")).to_contain_text(QUESTION)
    reply = researcher.locator("section.reply")
    reply.locator("textarea[name=body]").fill(ANSWER)
    reply.get_by_role("button", name=zh("Send reply")).click()
    expect(researcher.locator(".flash.success")).to_have_text(
        zh("Reply queued for sending. Its delivery shows in the conversation."))
    answer = researcher.locator("#thread .entry-out", has_text=ANSWER)
    expect(answer.locator(".badge")).to_have_text(zh("Delivered"), timeout=SENDING_MS)

    # and the client's handset shows it (the phone page refreshes itself too)
    on_phone = client_phone.locator("#phone-thread .entry-out", has_text=ANSWER)
    expect(on_phone.locator(".badge")).to_have_text(zh("Delivered"), timeout=SENDING_MS)
    screenshot(researcher)
    screenshot(client_phone, "phone")


def test_business_staff_sees_only_own_clients_and_hands_a_market_question_to_research(
        app, site, users, screenshot, make_staff, make_client):
    people, clients = desk(make_staff, make_client)
    market_question = "你们觉得下周大宗商品怎么样"  # no keyword the rules know: it lands with the business staff
    for who, text in (("wang", "谢谢你们的建议，很有帮助"), ("zhao", market_question), ("li", "短信收到了，谢谢")):
        assert reply_from(app, clients[who].mobile, text).status_code == 200
    [li_item] = items_of(clients["li"])
    assert (li_item.queue, li_item.assignee_id) == (Queue.business, people["b"].id)  # there, for the other one

    staff = users.sign_in("a@example.com")
    staff.locator("header nav").get_by_role("link", name=zh("Follow-ups")).click()
    rows = staff.locator("#followup-rows tr")
    expect(rows).to_have_count(2)
    expect(rows.filter(has_text="王芳")).to_contain_text(zh("Feedback"))
    expect(rows.filter(has_text="赵敏")).to_contain_text(market_question)
    expect(staff.locator("#followup-rows")).not_to_contain_text("李强")
    expect(staff.locator("#followup-rows")).not_to_contain_text("短信收到了")

    rows.filter(has_text="赵敏").get_by_role("link", name="赵敏").click()
    expect(staff.locator("#thread .entry-in")).to_contain_text(market_question)
    handover = staff.locator("form", has=staff.locator("input[name=reason]"))
    handover.locator("select[name=queue]").select_option("research")
    reason = "客户问的是下周大宗商品行情，请研究员解答。"
    handover.locator("input[name=reason]").fill(reason)
    handover.get_by_role("button", name=zh("Hand over"), exact=True).click()
    handed = zh("Handed over to the %(queue)s queue.", queue=zh("Research"))
    expect(staff.locator(".flash.success").filter(has_text=handed)).to_be_visible()
    expect(staff.get_by_role("heading", name=zh("Follow-ups"))).to_be_visible()
    expect(staff.locator("#followup-rows tr")).to_have_count(1)
    expect(staff.locator("#followup-rows")).to_contain_text("王芳")
    screenshot(staff)

    [zhao_item] = items_of(clients["zhao"])
    assert (zhao_item.queue, zhao_item.assignee_id) == (Queue.research, people["researcher"].id)
    event = db.session.scalar(sa.select(FollowUpEvent).where(FollowUpEvent.followup_id == zhao_item.id,
                                                             FollowUpEvent.kind == EventKind.reroute))
    assert event is not None and event.body == reason and event.author_id == people["a"].id
