"""The simulator's client phone: finding a client (name, account, masked mobile, recipients of a broadcast) and
being told where a reply went (which queue and item), "waiting to be routed" until it is."""
from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from core import clock
from core.extensions import db
from followups import phone_lookup
from messaging import inbound
from messaging.models import InboundMessage, MessagePurpose, MessageState, OutboundMessage
from tests.followups.helpers import make_desk, sign_in, text


@pytest.fixture
def desk(app, make_staff, make_client):
    people, clients = make_desk(make_staff, make_client)
    clients["zhou"] = make_client("91234", name="周Zhou", mobile="+8613912345678")
    return people, clients


def picked(page: str) -> list[str]:
    """The account numbers of the clients the page offers to pick."""
    return re.findall(r'<li><a href="/sms/phone\?account=(\w+)">', page)


def test_clients_are_found_by_name_account_and_masked_mobile(client, auth, desk):
    sign_in(auth, "admin@example.com")
    assert set(picked(text(client.get("/sms/phone")))) == {"83001", "83002", "91234"}
    assert picked(text(client.get("/sms/phone?q=王"))) == ["83001"]
    assert picked(text(client.get("/sms/phone?q=zhou"))) == ["91234"]  # a Latin name, in any case
    assert picked(text(client.get("/sms/phone?q=8300"))) == ["83001", "83002"]  # part of an account number
    assert picked(text(client.get("/sms/phone?q=139****5678"))) == ["91234"]  # the mobile as pages mask it
    assert picked(text(client.get("/sms/phone?q=123****5678"))) == []  # 123 is inside its number, not its start
    assert picked(text(client.get("/sms/phone?q=5678"))) == ["91234"]  # its last digits
    page = text(client.get("/sms/phone?q=nobody"))
    assert picked(page) == [] and "No client with a mobile number matches." in page
    assert "91234 · 周Zhou · +8613912345678" in text(client.get("/sms/phone?q=zhou"))  # as the admin may see it
    assert picked(text(client.get("/sms/phone?q=%25"))) == []  # a LIKE wildcard is a character like any other


def test_clients_are_found_among_the_recipients_of_a_broadcast(app, client, auth, desk):
    from broadcast import service as broadcast_service
    from broadcast.settings import Settings

    people, clients = desk
    b = broadcast_service.create_draft(
        db.session, {"kind": "daily_comment", "title": "今日螺纹点评", "body": "{name}您好，今日螺纹震荡。",
                     "audience": {"tiers": ["gold"]}}, people["chief"], Settings.from_config(app.config))
    db.session.add(OutboundMessage(broadcast_id=b.id, client_id=clients["li"].id, to=clients["li"].mobile,
                                   body="【示例期货】李强您好", state=MessageState.delivered,
                                   purpose=MessagePurpose.broadcast, handed_over_at=clock.now()))
    db.session.commit()
    sign_in(auth, "admin@example.com")
    page = text(client.get("/sms/phone"))
    assert f'<option value="{b.id}"' in page and "今日螺纹点评" in page
    assert picked(text(client.get(f"/sms/phone?broadcast={b.id}"))) == ["83002"]
    assert picked(text(client.get(f"/sms/phone?broadcast={b.id}&q=王"))) == []
    assert phone_lookup.sent_broadcasts(db.session) == [(b.id, "今日螺纹点评")]


def test_after_sending_the_page_says_which_queue_and_item_the_reply_reached(client, auth, desk):
    _, clients = desk
    sign_in(auth, "admin@example.com")
    sent = auth.post("/sms/phone/send", {"account": "83001", "body": "螺纹止损设在哪里？"})
    location = sent.headers["Location"]
    sid = re.search(r"sent=(\w+)", location).group(1)
    item_id = db.session.scalar(sa.select(InboundMessage.followup_id).where(InboundMessage.provider_sid == sid))
    page = text(client.get(location))
    assert "Reached the Research queue" in page and f"follow-up #{item_id}" in page and "with 研究员甲" in page
    assert f'href="/followups/{item_id}"' not in page  # an admin does not open research items
    poll = re.search(r'id="phone-routed"[^>]*data-poll="([^"]+)"', page).group(1).replace("&amp;", "&")
    fragment = text(client.get(poll))
    assert "Reached the Research queue" in fragment and "<html" not in fragment
    # an opt-out reaches its item, resolved by the system, and says so
    sent = auth.post("/sms/phone/send", {"account": "83002", "body": "退订"})  # 李强: no open item
    page = text(client.get(sent.headers["Location"]))
    assert "Reached the Business queue" in page and "resolved automatically: opt-out reply" in page


def test_a_reply_not_yet_routed_is_waiting_and_someone_elses_is_not_told(client, auth, desk):
    _, clients = desk
    stored = inbound.store(db.session, inbound.parse_webhook(
        {"MessageSid": "SM" + "9" * 32, "From": clients["wang"].mobile, "To": "x", "Body": "在吗"}), clock.now())
    db.session.commit()
    assert stored is not None
    sign_in(auth, "admin@example.com")
    fragment = text(client.get(f"/sms/phone?account=83001&sent={'SM' + '9' * 32}&part=routed"))
    assert "Waiting to be routed" in fragment
    page = text(client.get(f"/sms/phone?account=83002&sent={'SM' + '9' * 32}"))
    assert "Waiting to be routed" not in page and 'id="phone-routed"' not in page  # not 李强's message
