"""The real path: the worker sends through the official twilio SDK to the project's Twilio emulator over
HTTP on loopback, and the emulator posts signed status callbacks to the app served over HTTP too."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from broadcast.models import Broadcast, BroadcastState
from clients.models import Client
from core.extensions import db
from messaging.models import MessageState, OutboundMessage
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


def _post(url: str, params: dict, signature: str) -> int:
    import urllib.error
    import urllib.request
    from urllib.parse import urlencode

    request = urllib.request.Request(url, data=urlencode(params).encode(), headers={"X-Twilio-Signature": signature})
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(request, timeout=5) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        exc.close()
        return exc.code


def test_429_bursts_back_off_twice_as_long_each_time_and_each_arrives_once(app, approved, clock, emulator,
                                                                            twilio_worker, make_client):
    from clients.tiers import Tier

    for i in range(6, 13):
        make_client(str(i), mobile=f"+8613800000{i:03d}", tier=Tier.gold)
    emulator.fail_next(8, status=429)  # the first burst: 8 of the 12 first attempts
    start_now(app, approved, clock, twilio_worker)
    twilio_worker.send_batch()
    assert states(approved) == {"queued": 4, "pending": 8}
    emulator.fail_next(5, status=429)  # a second burst meets 5 of the 8 retries
    clock.advance(seconds=1.9)
    assert twilio_worker.send_batch() == 0  # the first back-off is 2 s: nobody is hammered sooner
    clock.advance(seconds=0.1)
    assert twilio_worker.send_batch() == 8
    assert states(approved) == {"queued": 7, "pending": 5}
    waits = {(m.next_attempt_at - clock()).total_seconds()
             for m in db.session.scalars(sa.select(OutboundMessage).where(OutboundMessage.attempts == 2,
                                                                          OutboundMessage.state == MessageState.pending))}
    assert waits == {4.0}  # the second back-off is twice the first
    clock.advance(seconds=3.9)
    assert twilio_worker.send_batch() == 0
    clock.advance(seconds=0.1)
    twilio_worker.send_batch()
    assert states(approved) == {"queued": 12}
    assert sends_per_number(emulator) == {c.mobile: 1 for c in db.session.scalars(sa.select(Client))}
    attempts = db.session.execute(sa.select(OutboundMessage.attempts, sa.func.count())
                                  .group_by(OutboundMessage.attempts)).all()
    assert dict(attempts) == {1: 4, 2: 3, 3: 5}


def test_after_the_retry_limit_500s_fail_and_timeouts_end_unknown_each_with_its_reason(app, approved, clock, emulator,
                                                                                      twilio_worker):
    emulator.fail_next(4, status=500)  # every attempt of the first message (the limit is 4)
    start_now(app, approved, clock, twilio_worker)
    twilio_worker.send_batch(limit=1)
    for _ in range(3):
        clock.advance(seconds=60)
        twilio_worker.send_batch(limit=1)
    failed = db.session.scalar(sa.select(OutboundMessage).where(OutboundMessage.state == MessageState.failed))
    assert (failed.attempts, failed.error_code) == (4, "20500") and "Internal Server Error" in failed.error_message
    emulator.hang_next(4, seconds=0.8)  # every attempt of the next one outlasts the 0.5 s timeout
    for _ in range(4):
        clock.advance(seconds=60)
        twilio_worker.send_batch(limit=1)
    unknown = db.session.scalar(sa.select(OutboundMessage).where(OutboundMessage.state == MessageState.unknown))
    assert unknown.attempts == 4 and "timed out" in unknown.error_message.lower(), unknown.error_message
    assert failed.to not in sends_per_number(emulator) and unknown.to not in sends_per_number(emulator)
    clock.advance(seconds=600)
    twilio_worker.send_batch()  # the rest go; the two are never tried again
    assert states(approved) == {"failed": 1, "unknown": 1, "queued": 3}
    assert sorted(sends_per_number(emulator).values()) == [1, 1, 1]


def test_status_callbacks_replayed_reordered_and_tampered_over_http(app, live_app, approved, clock, emulator,
                                                                   twilio_worker):
    import threading

    start_now(app, approved, clock, twilio_worker)
    twilio_worker.send_batch()
    first, second = emulator.messages[0]["sid"], emulator.messages[1]["sid"]

    def state(sid):
        db.session.expire_all()
        return db.session.scalar(sa.select(OutboundMessage.state).where(OutboundMessage.provider_sid == sid)).value

    # reordered: delivered overtakes sent, and a late queued or undelivered never moves it back
    assert emulator.callback(first, "delivered") == 204
    for late in ("sent", "queued", "undelivered"):
        assert emulator.callback(first, late) == 204
    assert state(first) == "delivered"
    # replayed: Twilio retries the same signed request; 20 copies at once change nothing more
    delivered = next(c for c in emulator.callbacks if c["sid"] == first and c["status"] == "delivered")
    answers = []
    threads = [threading.Thread(target=lambda: answers.append(_post(delivered["url"], delivered["params"],
                                                                    delivered["signature"]))) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert answers == [204] * 20 and state(first) == "delivered"
    # tampered: the signature of a genuine 'sent' callback with the status changed, or moved to another message
    sent = next(c for c in emulator.callbacks if c["sid"] == first and c["status"] == "sent")
    assert emulator.callback(second, "sent") == 204
    assert _post(sent["url"], {**sent["params"], "MessageStatus": "failed"}, sent["signature"]) == 403
    other = next(c for c in emulator.callbacks if c["sid"] == second)
    assert _post(other["url"], {**other["params"], "MessageSid": first}, other["signature"]) == 403
    assert _post(delivered["url"].replace("?m=", "?m=9"), delivered["params"], delivered["signature"]) == 403
    assert _post(delivered["url"], {**delivered["params"], "MessageStatus": "failed"}, "") == 403
    assert state(first) == "delivered" and state(second) == "sent"
    # a correctly signed callback about a message nobody sent is answered and changes nothing
    from twilio.request_validator import RequestValidator

    from tests.broadcast.conftest import TOKEN

    stray = {"MessageSid": "SM" + "0" * 32, "MessageStatus": "failed"}
    url = live_app + "/sms/status"
    assert _post(url, stray, RequestValidator(TOKEN).compute_signature(url, stray)) == 204
    assert emulator.callback(second, "delivered") == 204
    assert states(approved) == {"delivered": 2, "queued": 3}


@pytest.mark.parametrize("today_reached_the_provider", [False, True])
def test_a_repeated_text_after_a_timeout_is_never_taken_for_yesterdays(app, approved, clock, emulator, twilio_worker,
                                                                       monkeypatch, today_reached_the_provider):
    """Every daily commentary repeats a text: after a read timeout the worker asks the provider for "this text
    to this number", and took yesterday's copy; recording its SID then failed on the unique constraint for ever,
    and the worker stopped. Only a copy made since today's message counts: the one the timed-out request left
    at the provider is recorded, and when there is none, today's text is sent, once."""
    from core import clock as clock_module
    from messaging.models import MessagePurpose

    monkeypatch.setattr(clock_module, "_process_clock", clock)  # the emulator stamps messages by the test's time
    start_now(app, approved, clock, twilio_worker)
    twilio_worker.send_batch()  # yesterday: the commentary reached all five
    yesterday = db.session.scalars(sa.select(OutboundMessage).order_by(OutboundMessage.id)).first()
    clock.advance(days=1)
    today = OutboundMessage(client_id=yesterday.client_id, to=yesterday.to, body=yesterday.body, segments=1,
                            state=MessageState.pending, attempts=0, purpose=MessagePurpose.service,
                            created_at=clock(), updated_at=clock())
    db.session.add(today)
    db.session.commit()
    emulator.hang_next(1, seconds=2, create=today_reached_the_provider)  # longer than the 0.5 s timeout
    twilio_worker.send_batch()
    db.session.expire_all()
    assert db.session.get(OutboundMessage, today.id).error_code == "unsure"
    clock.advance(seconds=60)
    twilio_worker.send_batch()  # looks first, then records what it found or sends
    db.session.expire_all()
    today = db.session.get(OutboundMessage, today.id)
    copies = [m for m in emulator.messages if m["to"] == today.to]
    assert today.state == MessageState.queued and today.provider_sid not in (None, yesterday.provider_sid)
    assert len(copies) == 2 and copies[-1]["sid"] == today.provider_sid  # yesterday's, and exactly one today


def test_a_sid_another_message_holds_is_never_recorded_and_blocks_nothing(app, approved, clock, worker):
    """Whatever a lookup answers, a SID already recorded against another message is not this one's: that message
    is tried again, and the rest of the batch is recorded as usual (before, the unique constraint refused the
    whole batch, every time)."""
    from messaging import dispatch
    from messaging.models import MessagePurpose
    from sms.gateway import Sent

    start_now(app, approved, clock, worker)
    worker.send_batch()
    first, second = db.session.scalars(sa.select(OutboundMessage).order_by(OutboundMessage.id).limit(2)).all()
    waiting = [OutboundMessage(client_id=m.client_id, to=m.to, body=m.body, segments=1, attempts=1,
                               state=MessageState.handing_over, purpose=MessagePurpose.service,
                               created_at=clock(), updated_at=clock()) for m in (first, second)]
    db.session.add_all(waiting)
    db.session.commit()
    # both answers came from a lookup after a timeout (check_first): the only way a known SID comes back
    answers = [(dispatch.Claimed(waiting[0].id, first.to, first.body, 1, True), Sent(sid=first.provider_sid)),
               (dispatch.Claimed(waiting[1].id, second.to, second.body, 1, True), Sent(sid="SM" + "f" * 32))]
    dispatch.record_all(db.session, answers, clock(), max_attempts=5)
    db.session.commit()
    db.session.expire_all()
    taken, fine = (db.session.get(OutboundMessage, m.id) for m in waiting)
    assert taken.state == MessageState.pending and taken.provider_sid is None
    assert f"message {first.id}'s" in taken.error_message
    assert fine.state == MessageState.queued and fine.provider_sid == "SM" + "f" * 32
