"""Issue 11, follow-ups: replying claims an item (and the item says so), an item the system resolved says by
what, and the words the system stored in English (conversation events, actors, consent sources) are shown in
the reader's language."""
from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from clients.labels import consent_source_label
from core.extensions import db
from followups import labels, queries
from followups.models import EventKind, FollowUp, FollowUpEvent, Status
from tests.followups.helpers import flashes, item_of, reply_from, sign_in, text


@pytest.fixture
def research_item(research_item):
    assert research_item.claimed_at is None  # given in turn to 研究员甲, not claimed
    return research_item


def refreshed(item: FollowUp) -> FollowUp:
    db.session.expire_all()
    return db.session.get(FollowUp, item.id)


# ---- replying claims --------------------------------------------------------------------------------------

def test_replying_claims_the_item_for_whoever_replied_and_the_item_says_so(client, auth, desk, research_item):
    people, _ = desk
    sign_in(auth, "res2@example.com")  # not the researcher it was given to in turn
    assert auth.post(f"/followups/{research_item.id}/reply", {"body": "止损参考3098。"}).status_code == 302
    item = refreshed(research_item)
    assert item.assignee_id == people["researcher2"].id and item.claimed_at is not None
    claim = db.session.scalar(sa.select(FollowUpEvent).where(FollowUpEvent.kind == EventKind.claim))
    assert claim.author_id == people["researcher2"].id and claim.detail == {"via": "reply"}
    page = text(client.get(f"/followups/{research_item.id}"))
    assert "研究员乙 <span class=\"small muted held\">(claimed when they replied)</span>" in page
    assert "claimed by 研究员乙 when they replied" in page  # in the conversation
    assert "研究员乙" in text(client.get("/followups"))  # the queue shows who holds it now
    # a second answer by the same person claims nothing again
    auth.post(f"/followups/{research_item.id}/reply", {"body": "注意控制仓位。"})
    assert db.session.scalar(sa.select(sa.func.count()).select_from(FollowUpEvent)
                             .where(FollowUpEvent.kind == EventKind.claim)) == 1


@pytest.mark.parametrize("act", ["reply", "claim"])
def test_two_people_taking_an_item_at_once_never_both_hold_it(app, desk, research_item, clock, act):
    """研究员乙 read the item unclaimed; 研究员甲 claims it before 乙's reply or claim lands: 乙's is refused, nothing
    is sent, and 甲 still holds it (the UPDATE names the holder 乙 read)."""
    from followups import service
    from followups.settings import FollowUpSettings
    from messaging.models import OutboundMessage

    people, _ = desk
    item = refreshed(research_item)
    assert item.claimed_at is None
    db.session.execute(sa.update(FollowUp).where(FollowUp.id == item.id)  # 甲, in another request, meanwhile
                       .values(assignee_id=people["researcher"].id, claimed_at=clock())
                       .execution_options(synchronize_session=False))
    with pytest.raises(service.FollowUpError) as refused:
        if act == "reply":
            service.reply(db.session, people["researcher2"], item, "止损参考3098。",
                          FollowUpSettings.from_config(app.config), clock())
        else:
            service.claim(db.session, people["researcher2"], item, clock())
    assert refused.value.code == "followup.already_claimed"
    db.session.flush()
    assert refreshed(item).assignee_id == people["researcher"].id
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboundMessage)) == 0


def test_an_item_someone_claimed_is_answered_by_them_or_the_chief_analyst(client, auth, desk, research_item):
    people, _ = desk
    sign_in(auth, "res@example.com")
    auth.post(f"/followups/{research_item.id}/claim")
    sign_in(auth, "res2@example.com")
    refused = auth.post(f"/followups/{research_item.id}/reply", {"body": "您好"}, follow_redirects=True)
    assert "研究员甲 has already claimed this item" in flashes(text(refused))
    assert refreshed(research_item).assignee_id == people["researcher"].id
    sign_in(auth, "chief@example.com")  # the chief analyst steps in, and holds the item from then on
    assert auth.post(f"/followups/{research_item.id}/reply", {"body": "您好，止损参考3098。"}).status_code == 302
    assert refreshed(research_item).assignee_id == people["chief"].id


def test_claiming_or_being_assigned_is_told_beside_the_assignee(client, auth, desk, research_item):
    sign_in(auth, "res@example.com")
    page = text(client.get(f"/followups/{research_item.id}"))
    assert "(given in turn, not yet claimed)" in page
    auth.post(f"/followups/{research_item.id}/claim")
    assert "(claimed)" in text(client.get(f"/followups/{research_item.id}"))
    sign_in(auth, "chief@example.com")
    auth.post(f"/followups/{research_item.id}/assign", {"user": "res2@example.com"})
    assert "(assigned by" in text(client.get(f"/followups/{research_item.id}"))


# ---- resolved by the system -------------------------------------------------------------------------------

@pytest.mark.parametrize("reply, says", [
    ("退订", "resolved automatically: opt-out reply"),
    ("帮助", "resolved automatically: help request (the service card was sent)"),
])
def test_an_item_resolved_automatically_says_by_what(app, client, auth, desk, reply, says):
    _, clients = desk
    reply_from(app, clients["wang"].mobile, reply)
    item = item_of(clients["wang"])
    assert item.status == Status.resolved
    event = db.session.scalar(sa.select(FollowUpEvent).where(FollowUpEvent.kind == EventKind.resolve))
    assert event.author_id is None and event.detail == {"automatic": item.category.value}
    sign_in(auth, "a@example.com")
    page = text(client.get(f"/followups/{item.id}"))
    assert page.count(says) == 2  # beside "Resolved" and in the conversation
    assert "· automatically" in page  # the system's entries say who: nobody, it was automatic


def test_a_resolution_by_a_person_names_them(client, auth, desk, research_item):
    sign_in(auth, "res@example.com")
    auth.post(f"/followups/{research_item.id}/resolve")
    assert "resolved by 研究员甲" in text(client.get(f"/followups/{research_item.id}"))


def test_an_older_automatic_item_without_its_event_still_says_by_what(app, desk):
    _, clients = desk
    reply_from(app, clients["wang"].mobile, "TD")
    item = item_of(clients["wang"])
    db.session.execute(sa.delete(FollowUpEvent).where(FollowUpEvent.kind == EventKind.resolve))
    with app.test_request_context(), force_locale("en"):
        assert labels.resolution(item, queries.thread(db.session, item)) == "resolved automatically: opt-out reply"


# ---- the system's English words, in Chinese ---------------------------------------------------------------

@pytest.mark.parametrize("stored, zh", [
    ("sms reply SM0123456789abcdef", "短信回复 SM0123456789abcdef"),
    ("carrier 21610", "运营商拒收（错误 21610）"),
    ("sms 退订", "短信“退订”"),
    ("电话告知", "电话告知"),  # a person's own words stay as written
])
def test_consent_sources_are_shown_in_the_readers_language(app, stored, zh):
    with app.test_request_context(), force_locale("zh"):
        assert consent_source_label(stored) == zh


def test_event_bodies_the_system_wrote_are_translated_and_peoples_are_not(app):
    with app.test_request_context(), force_locale("zh"):
        assert labels.event_body("service card sent") == "已发送服务卡片"
        assert labels.event_body("reopened by a new reply from the client") == "客户新回复，已重新打开"
        assert labels.event_body("退订吧") == "退订吧"


def test_the_item_page_in_chinese_has_no_english_from_the_system(app, client, auth, desk):
    _, clients = desk
    reply_from(app, clients["wang"].mobile, "帮助")
    reply_from(app, clients["wang"].mobile, "退订")
    item = item_of(clients["wang"])
    sign_in(auth, "a@example.com")
    auth.post("/language/zh")
    page = text(client.get(f"/followups/{item.id}"))
    for english in ("service card sent", "automatically", "sms reply", "resolved automatically", "Opted out"):
        assert english not in page, english
    assert "已发送服务卡片" in page and "短信回复 SM" in page and "自动" in page
