"""Answers to clients go through the broadcasts' outbox and worker: sent at the shared rate, tracked, never
to a client who opted out (except the confirmation they asked for), and notes never at all."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
import sqlalchemy as sa

from clients.tiers import Tier
from core.extensions import db
from followups import intake, service
from followups.models import FollowUp, Status
from followups.settings import FollowUpSettings
from messaging import inbound
from messaging.models import MessagePurpose, MessageState, OutboundMessage
from tests.broadcast.helpers import T0


@pytest.fixture
def setup(app, make_staff, make_client):
    owner = make_staff("business_staff", email="owner@example.com", staff_code="S01")
    c = make_client("83001", mobile="+8613900000001", tier=Tier.platinum, owner_id=owner.id)
    return owner, c


def reply_in(app, mobile: str, body: str, n: int, now: datetime = T0) -> FollowUp:
    settings = FollowUpSettings.from_config(app.config)
    incoming = inbound.parse_webhook({"MessageSid": f"SM{n:032d}", "From": mobile, "To": "x", "Body": body})
    message = inbound.store(db.session, incoming, now)
    return intake.route_or_triage(db.session, message.id, settings, now).item


def sent(gateway) -> list[tuple[str, str]]:
    return [(to, body) for to, body, _ in gateway.accepted]


def test_a_reply_goes_out_through_the_worker_and_stops_the_clock(app, setup, worker, gateway, clock):
    owner, c = setup
    item = reply_in(app, c.mobile, "银期转账怎么操作", 1)
    settings = FollowUpSettings.from_config(app.config)
    service.reply(db.session, owner, item, "您好，请在交易软件中选择银期转账。", settings, clock())
    db.session.commit()
    assert worker.send_batch() == 1
    assert sent(gateway) == [(c.mobile, "【示例期货】您好，请在交易软件中选择银期转账。")]
    db.session.expire_all()
    item = db.session.get(FollowUp, item.id)
    assert item.status == Status.answered and item.first_response_at == clock()
    assert item.first_responder_id == owner.id
    m = db.session.scalars(sa.select(OutboundMessage)).one()
    assert (m.state, m.purpose, m.followup_id, m.broadcast_id) == (MessageState.queued, MessagePurpose.reply,
                                                                   item.id, None)


def test_notes_are_never_sent(app, setup, worker, gateway, clock):
    owner, c = setup
    item = reply_in(app, c.mobile, "银期转账怎么操作", 1)
    service.add_note(db.session, owner, item, "客户上周也问过，电话回访一下", clock())
    db.session.commit()
    assert worker.send_batch() == 0 and gateway.calls == []
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboundMessage)) == 0


def test_replies_are_refused_after_opt_out_but_the_confirmation_goes(app, setup, worker, gateway, clock):
    owner, c = setup
    item = reply_in(app, c.mobile, "银期转账怎么操作", 1)
    settings = FollowUpSettings.from_config(app.config)
    service.reply(db.session, owner, item, "您好，稍后给您回电。", settings, clock())  # queued before the opt-out
    db.session.commit()
    reply_in(app, c.mobile, "退订", 2)
    with pytest.raises(service.FollowUpError):
        service.reply(db.session, owner, db.session.get(FollowUp, item.id), "还有一件事", settings, clock())
    assert worker.send_batch() == 1  # the confirmation; the reply queued before the opt-out is suppressed
    assert [body for _, body in sent(gateway)] == ["【示例期货】您已退订示例期货的资讯短信，此后不再发送。如需恢复，请回复“订阅”。"]
    db.session.expire_all()
    states = dict(db.session.execute(sa.select(OutboundMessage.purpose, OutboundMessage.state)).all())
    assert states == {MessagePurpose.reply: MessageState.suppressed, MessagePurpose.service: MessageState.queued}


def test_answers_go_during_quiet_hours_while_broadcasts_wait(app, setup, approved, worker, gateway, clock):
    from tests.broadcast.helpers import start_now, states

    owner, c = setup
    start_now(app, approved, clock, worker)
    clock.set(datetime(2026, 11, 25, 13, 30, tzinfo=timezone.utc))  # 21:30 in Shanghai
    item = reply_in(app, c.mobile, "银期转账怎么操作", 1, clock())
    service.reply(db.session, owner, item, "您好，明早给您回电。", FollowUpSettings.from_config(app.config), clock())
    db.session.commit()
    assert worker.send_batch() == 1
    assert sent(gateway) == [(c.mobile, "【示例期货】您好，明早给您回电。")]
    assert states(approved) == {"pending": 5}
