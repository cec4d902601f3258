"""The whole loop over real HTTP: a handset's reply posted by the Twilio emulator as Twilio's signed webhook
to the app served on loopback, routed to a researcher, answered, and the answer sent back through the
official SDK to the emulator, which records it for the client's number."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import sqlalchemy as sa

from clients.models import Client
from core.extensions import db
from followups import queries, service
from followups.models import FollowUp, Queue
from followups.settings import FollowUpSettings
from messaging.models import InboundMessage, MessagePurpose, OutboundMessage
from tests.broadcast.helpers import start_now


def test_a_question_reaches_a_researcher_and_the_answer_reaches_the_handset(app, live_app, approved, clock,
                                                                             emulator, twilio_worker, make_staff):
    researcher = make_staff("researcher", email="r1@example.com")
    researcher.on_duty = True
    db.session.commit()
    start_now(app, approved, clock, twilio_worker)
    twilio_worker.send_batch()
    client_row = db.session.scalars(sa.select(Client).order_by(Client.id)).first()

    clock.advance(minutes=3)  # the client reads the suggestion and asks; the webhook reads the same clock
    status, answer = emulator.incoming(f"{live_app}/sms/inbound", client_row.mobile, "+15005550006",
                                       "螺纹止损设在哪里？")
    assert status == 200 and "<Response" in answer
    db.session.expire_all()
    item = db.session.scalars(sa.select(FollowUp)).one()
    assert item.queue == Queue.research and item.assignee_id == researcher.id
    assert item.broadcast_id == approved.id
    assert item.created_at == clock.now()  # the webhook, served in another thread, read the app's one clock

    clock.advance(minutes=5)  # a researcher answers
    service.reply(db.session, researcher, item, "止损参考3450，请控制仓位。", FollowUpSettings.from_config(app.config),
                  clock.now())
    db.session.commit()
    assert twilio_worker.send_batch() == 1
    to_client = [m for m in emulator.messages if m["to"] == client_row.mobile]
    assert [m["body"] for m in to_client][-1] == "【示例期货】止损参考3450，请控制仓位。"
    # the item's conversation: the broadcast replied to, the question, the claim by answering, the answer
    thread = [(e.kind, e.body) for e in queries.thread(db.session, db.session.get(FollowUp, item.id))]
    assert [kind for kind, _ in thread] == ["out", "in", "claim", "out"]
    assert thread[0][1] == to_client[0]["body"] and thread[1][1] == "螺纹止损设在哪里？"


def test_an_opt_out_over_http_is_confirmed_once_through_the_sdk(app, live_app, book, clock, emulator, twilio_worker):
    number = book[0].mobile
    for _ in range(2):
        status, _ = emulator.incoming(f"{live_app}/sms/inbound", number, "+15005550006", "TD", sid="SM" + "f" * 32)
        assert status == 200
    db.session.expire_all()
    assert db.session.get(Client, book[0].id).opted_out
    assert twilio_worker.send_batch() == 1
    assert [m["to"] for m in emulator.messages] == [number]
    purposes = db.session.scalars(sa.select(OutboundMessage.purpose)).all()
    assert purposes == [MessagePurpose.service]


def test_a_webhook_replayed_concurrently_is_stored_and_routed_once(app, live_app, book, emulator):
    url = f"{live_app}/sms/inbound"
    sid, number = "SM" + "9" * 32, book[1].mobile
    with ThreadPoolExecutor(max_workers=16) as pool:
        results = list(pool.map(lambda _: emulator.incoming(url, number, "+15005550006", "银期转账怎么弄",
                                                            sid=sid), range(48)))
    assert [status for status, _ in results] == [200] * 48
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(InboundMessage)) == 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(FollowUp)) == 1
