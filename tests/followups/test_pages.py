"""The follow-up pages as the department uses them: queue, item and its actions, summary. Items are opened the
real way, by a signed webhook (tests/followups/helpers.py). Rules, canned answers and the client phone are in
test_admin_pages.py."""
from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from clients.models import Client
from core.extensions import db
from followups.models import CannedAnswer, EventKind, FollowUp, FollowUpEvent, Queue, Status
from messaging.models import MessagePurpose, OutboundMessage
from staff.models import Staff
from tests.followups.helpers import (
    BUSINESS_TEXT,
    RESEARCH_TEXT,
    flashes,
    item_of,
    reply_from,
    sign_in,
    text,
)


def refreshed(item: FollowUp) -> FollowUp:
    db.session.expire_all()
    return db.session.get(FollowUp, item.id)


@pytest.fixture
def business_item(app, desk):
    _, clients = desk
    assert reply_from(app, clients["wang"].mobile, BUSINESS_TEXT).status_code == 200
    item = item_of(clients["wang"])
    assert item.queue == Queue.business
    return item


# ---- the queue --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("email", ["chief@example.com", "res@example.com", "ok@example.com"])
def test_queue_shows_research_items_to_their_readers(client, auth, research_item, email):
    sign_in(auth, email)
    page = text(client.get("/followups"))
    assert f"/followups/{research_item.id}" in page and "王芳" in page
    # a person's tier is the client book's: researchers see the name and the question only
    assert ("Gold" in page) == (email != "res@example.com")
    assert "Research question" in page and "螺纹还能拿吗" in page and "研究员甲" in page


def test_queue_marks_overdue_items_with_a_word(client, auth, research_item):
    from datetime import timedelta

    from core import clock as app_clock

    research_item.due_at = app_clock.now() - timedelta(minutes=5)
    db.session.commit()
    sign_in(auth, "res@example.com")
    page = text(client.get("/followups"))
    assert "urgency-overdue" in page and "Overdue" in page


def test_business_staff_see_only_their_own_clients_items(app, client, auth, desk, business_item):
    _, clients = desk
    reply_from(app, clients["li"].mobile, "密码忘了怎么办")
    li_item = item_of(clients["li"])
    sign_in(auth, "a@example.com")
    page = text(client.get("/followups"))
    assert f"/followups/{business_item.id}\"" in page and f"/followups/{li_item.id}\"" not in page
    sign_in(auth, "b@example.com")
    assert f"/followups/{business_item.id}\"" not in text(client.get("/followups"))
    assert f"/followups/{business_item.id}\"" not in text(client.get("/followups/rows?queue=business"))
    assert client.get(f"/followups/{business_item.id}").status_code == 403
    assert client.get(f"/followups/{business_item.id}/thread").status_code == 403
    assert auth.post(f"/followups/{business_item.id}/note", {"body": "看看"}).status_code == 403
    assert client.get("/followups/999999").status_code == 404


def test_rows_fragment_is_the_table_body_alone(client, auth, research_item):
    sign_in(auth, "res@example.com")
    response = client.get("/followups/rows?queue=research&status=open")
    fragment = text(response)
    assert response.status_code == 200 and "<tr" in fragment and "<html" not in fragment
    assert f"/followups/{research_item.id}" in fragment
    assert f"/followups/{research_item.id}" not in text(client.get("/followups/rows?queue=business"))
    assert client.get("/followups/rows?queue=nowhere").status_code == 400
    assert client.get("/followups?status=lost").status_code == 400


def test_queue_page_polls_the_rows_with_the_same_filters(client, auth, research_item):
    sign_in(auth, "res@example.com")
    page = text(client.get("/followups?queue=research&assignee=me"))
    poll = re.search(r'data-poll="([^"]+)"', page).group(1).replace("&amp;", "&")
    assert poll.startswith("/followups/rows?") and "queue=research" in poll and "assignee=me" in poll
    assert "followups.js" in page


def test_researcher_goes_off_and_on_duty(client, auth, desk, research_item):
    people, _ = desk
    assert research_item.assignee_id == people["researcher"].id and research_item.claimed_at is None
    sign_in(auth, "res@example.com")
    assert 'name="on" value="0"' in text(client.get("/followups"))
    assert auth.post("/followups/duty", {"on": "0"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Staff, people["researcher"].id).on_duty is False
    assert refreshed(research_item).assignee_id is None  # unclaimed: back to the pool
    auth.post("/followups/duty", {"on": "1"})
    db.session.expire_all()
    assert db.session.get(Staff, people["researcher"].id).on_duty is True
    sign_in(auth, "a@example.com")
    assert auth.post("/followups/duty", {"on": "1"}).status_code == 403


# ---- one item ---------------------------------------------------------------------------------------------

def test_item_page_shows_the_whole_conversation(client, auth, research_item):
    sign_in(auth, "res@example.com")
    page = text(client.get(f"/followups/{research_item.id}"))
    assert RESEARCH_TEXT in page and "Research question" in page and "keyword “止损”" in page  # the rule, as shown
    assert "/clients/83001" not in page  # a researcher does not read the client book
    for action in ("claim", "assign", "reroute", "note", "reply", "resolve", "category"):
        assert f"/followups/{research_item.id}/{action}" in page
    assert f'data-poll="/followups/{research_item.id}/thread"' in page
    fragment = text(client.get(f"/followups/{research_item.id}/thread"))
    assert RESEARCH_TEXT in fragment and "<html" not in fragment


def test_item_page_links_the_client_and_broadcast_for_those_who_may_read_them(client, auth, business_item):
    sign_in(auth, "a@example.com")
    page = text(client.get(f"/followups/{business_item.id}"))
    assert "/clients/83001" in page and "Account service" in page
    sign_in(auth, "ok@example.com")  # compliance reads and notes, but does not handle
    page = text(client.get(f"/followups/{business_item.id}"))
    assert "/clients/83001" in page and f"/followups/{business_item.id}/note" in page
    assert f"/followups/{business_item.id}/claim" not in page and f"/followups/{business_item.id}/reply" not in page
    assert auth.post(f"/followups/{business_item.id}/claim").status_code == 403


def test_item_page_shows_the_broadcast_the_client_replied_to(app, client, auth, desk):
    from broadcast import service as broadcast_service
    from broadcast.settings import Settings
    from core import clock as app_clock
    from messaging.models import MessageState

    people, clients = desk
    b = broadcast_service.create_draft(
        db.session, {"kind": "daily_comment", "title": "今日螺纹点评", "body": "{name}您好，今日螺纹震荡。",
                     "audience": {"tiers": ["gold"]}}, people["chief"], Settings.from_config(app.config))
    db.session.add(OutboundMessage(broadcast_id=b.id, client_id=clients["wang"].id, to=clients["wang"].mobile,
                                   body="【示例期货】王芳您好，今日螺纹震荡。", state=MessageState.delivered,
                                   purpose=MessagePurpose.broadcast, handed_over_at=app_clock.now()))
    db.session.commit()
    reply_from(app, clients["wang"].mobile, "出金什么时候到账")
    item = item_of(clients["wang"])
    assert item.broadcast_id == b.id
    sign_in(auth, "chief@example.com")
    page = text(client.get(f"/followups/{item.id}"))
    assert f'href="/broadcasts/{b.id}"' in page and "王芳您好，今日螺纹震荡。" in page
    sign_in(auth, "a@example.com")  # business staff do not read broadcasts: the title, no link
    page = text(client.get(f"/followups/{item.id}"))
    assert "今日螺纹点评" in page and f'href="/broadcasts/{b.id}"' not in page


def test_a_request_to_stop_shows_the_opt_out_suggestion(app, client, auth, desk):
    _, clients = desk
    reply_from(app, clients["wang"].mobile, "以后别再给我发短信了")
    item = item_of(clients["wang"])
    assert item.suggest_opt_out and not db.session.get(Client, clients["wang"].id).opted_out
    sign_in(auth, "a@example.com")
    page = text(client.get(f"/followups/{item.id}"))
    assert "record the opt-out on the client page" in page and 'href="/clients/83001"' in page


def test_claim_and_assign(client, auth, desk, research_item):
    people, _ = desk
    sign_in(auth, "res2@example.com")
    assert auth.post(f"/followups/{research_item.id}/claim").status_code == 302
    item = refreshed(research_item)
    assert item.assignee_id == people["researcher2"].id and item.claimed_at is not None
    sign_in(auth, "res@example.com")
    refused = auth.post(f"/followups/{research_item.id}/claim", follow_redirects=True)
    assert "already claimed" in flashes(text(refused))
    sign_in(auth, "chief@example.com")
    page = text(client.get(f"/followups/{research_item.id}"))
    assert 'value="res@example.com"' in page and 'value="a@example.com"' not in page  # only eligible staff
    auth.post(f"/followups/{research_item.id}/assign", {"user": "res@example.com"})
    assert refreshed(research_item).assignee_id == people["researcher"].id
    refused = auth.post(f"/followups/{research_item.id}/assign", {"user": "a@example.com"}, follow_redirects=True)
    assert "cannot take items of this queue" in flashes(text(refused))
    assert refreshed(research_item).assignee_id == people["researcher"].id


def test_reroute_needs_a_reason_and_hands_the_item_over(client, auth, desk, research_item):
    people, _ = desk
    sign_in(auth, "res@example.com")
    refused = auth.post(f"/followups/{research_item.id}/reroute", {"queue": "business", "reason": " "},
                        follow_redirects=True)
    assert "say why" in flashes(text(refused))
    assert refreshed(research_item).queue == Queue.research
    moved = auth.post(f"/followups/{research_item.id}/reroute", {"queue": "business", "reason": "问的是出金"})
    assert moved.status_code == 302 and moved.headers["Location"].endswith("/followups")  # out of sight now
    item = refreshed(research_item)
    assert (item.queue, item.assignee_id) == (Queue.business, people["a"].id)
    event = db.session.scalar(sa.select(FollowUpEvent).where(FollowUpEvent.kind == EventKind.reroute))
    assert event.body == "问的是出金"
    sign_in(auth, "a@example.com")
    page = text(client.get(f"/followups/{research_item.id}"))
    assert "Handed over" in page and "问的是出金" in page


def test_note_is_shown_and_never_sent(client, auth, research_item):
    sign_in(auth, "res@example.com")
    auth.post(f"/followups/{research_item.id}/note", {"body": "客户上周也问过，<b>注意</b>"})
    page = text(client.get(f"/followups/{research_item.id}"))
    assert "Internal note — not sent to the client" in page and "客户上周也问过，&lt;b&gt;注意&lt;/b&gt;" in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboundMessage)) == 0
    refused = auth.post(f"/followups/{research_item.id}/note", {"body": ""}, follow_redirects=True)
    assert "the note is empty" in flashes(text(refused))


def test_reply_goes_into_the_outbox_and_the_thread(client, auth, desk, research_item):
    people, _ = desk
    sign_in(auth, "res@example.com")
    assert auth.post(f"/followups/{research_item.id}/reply", {"body": "止损可参考3098，注意控制仓位。"}).status_code == 302
    db.session.expire_all()
    message = db.session.scalar(sa.select(OutboundMessage))
    assert message.followup_id == research_item.id and message.purpose == MessagePurpose.reply
    assert message.sent_by_id == people["researcher"].id and message.body.endswith("止损可参考3098，注意控制仓位。")
    item = refreshed(research_item)
    assert item.status == Status.answered and item.first_response_at is not None
    page = text(client.get(f"/followups/{research_item.id}/thread"))
    assert "止损可参考3098" in page and "Waiting" in page  # its delivery state


def test_reply_is_refused_for_a_client_who_opted_out(client, auth, desk, research_item):
    _, clients = desk
    wang = db.session.get(Client, clients["wang"].id)
    wang.opted_out = True
    db.session.commit()
    sign_in(auth, "res@example.com")
    page = text(client.get(f"/followups/{research_item.id}"))
    assert "opted out of messages" in page and f"/followups/{research_item.id}/reply" not in page
    refused = auth.post(f"/followups/{research_item.id}/reply", {"body": "您好"}, follow_redirects=True)
    assert "opted out" in flashes(text(refused))
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboundMessage)) == 0


def test_canned_answer_fills_the_reply_without_javascript(client, auth, business_item):
    sign_in(auth, "a@example.com")
    page = text(client.get(f"/followups/{business_item.id}"))
    assert 'data-fill="reply-body"' in page and "修改密码" in page
    answer = db.session.scalar(sa.select(CannedAnswer).where(CannedAnswer.title == "修改密码"))
    page = text(client.get(f"/followups/{business_item.id}?canned={answer.id}"))
    assert re.search(r'<textarea id="reply-body"[^>]*>' + re.escape(answer.body) + "</textarea>", page)


def test_resolve_and_reopen(client, auth, research_item):
    sign_in(auth, "res@example.com")
    auth.post(f"/followups/{research_item.id}/resolve")
    assert refreshed(research_item).status == Status.resolved
    assert f"/followups/{research_item.id}\"" not in text(client.get("/followups"))
    assert f"/followups/{research_item.id}\"" in text(client.get("/followups?status=resolved"))
    again = auth.post(f"/followups/{research_item.id}/resolve", follow_redirects=True)
    assert "resolved already" in flashes(text(again))
    auth.post(f"/followups/{research_item.id}/reopen")
    assert refreshed(research_item).status == Status.open


def test_correcting_the_category_reroutes(client, auth, desk, research_item):
    people, _ = desk
    sign_in(auth, "chief@example.com")
    assert auth.post(f"/followups/{research_item.id}/category", {"category": "account_service"}).status_code == 302
    item = refreshed(research_item)
    assert (item.category.value, item.queue, item.assignee_id) == ("account_service", Queue.business, people["a"].id)
    page = text(client.get(f"/followups/{research_item.id}"))
    assert "Category corrected" in page and "corrected by" in page
    refused = auth.post(f"/followups/{research_item.id}/category", {"category": "nonsense"}, follow_redirects=True)
    assert "unknown category" in flashes(text(refused))


def test_names_and_texts_show_as_text(app, client, auth, desk, make_client):
    evil = make_client("83666", name="<script>alert(1)</script>")
    reply_from(app, evil.mobile, "<img src=x onerror=alert(2)> 螺纹止损多少")
    item = item_of(evil)
    sign_in(auth, "chief@example.com")
    for url in ("/followups", f"/followups/{item.id}", f"/followups/{item.id}/thread"):
        page = text(client.get(url))
        assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text(client.get(f"/followups/{item.id}"))


def test_unknown_number_waits_in_triage_for_admins(app, client, auth, desk):
    reply_from(app, "+8613900000000", "你们是谁")
    item = db.session.scalar(sa.select(FollowUp).where(FollowUp.client_id.is_(None)))
    assert item.queue == Queue.triage
    sign_in(auth, "admin@example.com")
    assert f"/followups/{item.id}\"" in text(client.get("/followups"))
    page = text(client.get(f"/followups/{item.id}"))
    assert "+8613900000000" in page and f"/followups/{item.id}/claim" in page
    assert "does not answer clients" in page and f"/followups/{item.id}/reply" not in page
    sign_in(auth, "chief@example.com")
    assert "not a client" in text(client.get(f"/followups/{item.id}"))
    sign_in(auth, "res@example.com")
    assert client.get(f"/followups/{item.id}").status_code == 403


def test_summary_counts_per_queue_and_person(client, auth, research_item):
    sign_in(auth, "res@example.com")
    auth.post(f"/followups/{research_item.id}/reply", {"body": "您好，已收到。"})
    page = text(client.get("/followups/summary"))
    assert "By queue" in page and "By person" in page and "研究员甲" in page and "Research" in page
    sign_in(auth, "ok@example.com")
    assert client.get("/followups/summary").status_code == 200
