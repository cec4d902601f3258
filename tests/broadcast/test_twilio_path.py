"""The real path: the worker sends through the official twilio SDK to the project's Twilio emulator over
HTTP on loopback, and the emulator posts signed status callbacks to the app served over HTTP too."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from broadcast.models import Broadcast, BroadcastState, OutboundMessage
from clients.models import Client
from core.extensions import db
from sms.emulator import TwilioEmulator
from tests.broadcast.conftest import SID
from tests.broadcast.helpers import start_now, states


def sends_per_number(emulator) -> dict[str, int]:
    counts: dict[str, int] = {}
    for m in emulator.messages:
        counts[m["to"]] = counts.get(m["to"], 0) + 1
    return counts


def test_sent_through_the_sdk_and_delivered_by_signed_callbacks(app, approved, clock, emulator, twilio_worker):
    emulator.auto_deliver = True
    start_now(app, approved, clock, twilio_worker)
    assert twilio_worker.send_batch() == 5
    assert emulator.drain(timeout=10)
    assert states(approved) == {"delivered": 5}
    assert emulator.callback_errors == 0
    twilio_worker.tick()
    db.session.expire_all()
    assert db.session.get(Broadcast, approved.id).state == BroadcastState.completed
    bodies = {m["to"]: m["body"] for m in emulator.messages}
    stored = dict(db.session.execute(sa.select(OutboundMessage.to, OutboundMessage.body)).all())
    assert bodies == stored


def test_429_bursts_5xx_and_hangs_are_retried_and_arrive_once(app, approved, clock, emulator, twilio_worker):
    emulator.fail_next(2, status=429)
    emulator.fail_next(1, status=500)
    emulator.hang_next(1, seconds=2)  # longer than the client's 0.5 s timeout
    start_now(app, approved, clock, twilio_worker)
    twilio_worker.send_batch()
    for _ in range(4):
        clock.advance(seconds=60)
        twilio_worker.send_batch()
    assert states(approved) == {"queued": 5}
    assert sends_per_number(emulator) == {c.mobile: 1 for c in db.session.scalars(sa.select(Client))}
    retried = db.session.scalars(sa.select(OutboundMessage).where(OutboundMessage.attempts > 1)).all()
    assert len(retried) == 4


def test_after_the_retry_limit_a_message_fails_with_the_reason(app, approved, clock, emulator, twilio_worker):
    emulator.fail_next(4, status=503)
    start_now(app, approved, clock, twilio_worker)
    twilio_worker.send_batch(limit=1)
    for _ in range(3):
        clock.advance(seconds=60)
        twilio_worker.send_batch(limit=1)
    failed = db.session.scalar(sa.select(OutboundMessage).where(OutboundMessage.attempts == 4))
    assert failed.state.value == "failed" and failed.error_code == "20503"
    assert emulator.messages == [] or failed.to not in sends_per_number(emulator)


def test_invalid_and_unsubscribed_numbers(app, approved, clock, emulator, twilio_worker):
    emulator.invalid_numbers.add("+8613800000001")
    emulator.unsubscribed.add("+8613800000002")
    start_now(app, approved, clock, twilio_worker)
    twilio_worker.send_batch()
    codes = dict(db.session.execute(sa.select(OutboundMessage.to, OutboundMessage.error_code)
                                    .where(OutboundMessage.error_code.is_not(None))).all())
    assert codes == {"+8613800000001": "21211", "+8613800000002": "21610"}
    assert db.session.scalar(sa.select(Client.opted_out).where(Client.mobile == "+8613800000002")) is True
    assert states(approved) == {"failed": 2, "queued": 3}


def test_a_forged_callback_to_the_live_app_is_refused(app, live_app, approved, clock, emulator, twilio_worker):
    start_now(app, approved, clock, twilio_worker)
    twilio_worker.send_batch()
    sid = emulator.messages[0]["sid"]
    forger = TwilioEmulator(account_sid=SID, auth_token="someone-else")
    import urllib.error
    import urllib.request
    from urllib.parse import urlencode

    from twilio.request_validator import RequestValidator

    form = {"MessageSid": sid, "MessageStatus": "failed"}
    url = live_app + "/sms/status"
    request = urllib.request.Request(url, data=urlencode(form).encode(), headers={
        "X-Twilio-Signature": RequestValidator("someone-else").compute_signature(url, form)})
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(request, timeout=5)
    assert info.value.code == 403
    info.value.close()
    del forger
    assert emulator.callback(sid, "delivered") == 204
    assert db.session.scalar(sa.select(OutboundMessage.state).where(OutboundMessage.provider_sid == sid)).value \
        == "delivered"


def test_a_timeout_after_twilio_took_the_message_does_not_send_it_twice(app, approved, clock, emulator,
                                                                         twilio_worker):
    emulator.hang_next(1, seconds=1.5, create=True)  # Twilio keeps the message but answers too late
    start_now(app, approved, clock, twilio_worker)
    twilio_worker.send_batch()
    assert states(approved) == {"queued": 4, "pending": 1}
    import time

    time.sleep(1.6)  # the late create lands at the emulator
    clock.advance(seconds=60)
    twilio_worker.send_batch()
    assert states(approved) == {"queued": 5}
    assert sorted(sends_per_number(emulator).values()) == [1, 1, 1, 1, 1]
    assert db.session.scalar(sa.select(sa.func.count(sa.distinct(OutboundMessage.provider_sid)))) == 5
