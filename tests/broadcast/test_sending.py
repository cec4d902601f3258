"""Sending, as the worker does it: snapshot, claim, hand over, retry, callbacks, expiry, cancel, crash.

The gateway here is a scripted fake (the external sender behind a typed interface); the same path through
the real Twilio SDK and an HTTP emulator is in test_twilio_path.py.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from twilio.request_validator import RequestValidator

from broadcast import scheduling, sending, service
from broadcast.models import Broadcast, BroadcastState
from broadcast.settings import Settings
from clients.models import Client
from core.calendar import calendar_for
from core.extensions import db
from messaging import dispatch, hooks
from messaging.models import MessageState, OutboundMessage
from sms.gateway import GatewayError, auth_token
from tests.broadcast.helpers import T0, start_now, states


@pytest.fixture
def short_suggestion(app, make_staff, book):
    """An approved trade suggestion to the five gold clients, valid for 30 minutes after T0."""
    settings = Settings.from_config(app.config)
    chief, ok = make_staff("chief_analyst"), make_staff("approver")
    b = service.create_draft(db.session, {
        "kind": "trade_suggestion", "title": "rb", "body": "{name}：{contract}{direction}，止损{stop}",
        "suggestion": {"contract": "rb2510", "direction": "long", "entry": "3150", "stop": "3098", "targets": ["3260"],
                       "position_pct": 10, "valid_until": (T0 + timedelta(minutes=30)).isoformat(),
                       "risk_statement": "有风险"}, "audience": {"tiers": ["gold"]}}, chief, settings)
    service.submit(db.session, b, chief, settings, now=T0)
    service.approve(db.session, b, ok)
    return b, chief, settings


def test_snapshot_makes_one_message_per_recipient_with_its_own_link(app, approved, clock, worker):
    start_now(app, approved, clock, worker)
    messages = db.session.scalars(sa.select(OutboundMessage).order_by(OutboundMessage.id)).all()
    assert len(messages) == 5 and len({m.note_token for m in messages}) == 5
    assert all(m.body.startswith("【") and m.body.endswith("拒收请回复R") and f"/n/{m.note_token}" in m.body
               for m in messages)
    settings = Settings.from_config(app.config)
    assert sending.snapshot(db.session, db.session.get(Broadcast, approved.id), settings, clock()) == 0


def test_the_whole_path_to_delivered_and_completed(app, client, approved, clock, worker, gateway):
    start_now(app, approved, clock, worker)
    assert worker.send_batch() == 5 and states(approved) == {"queued": 5}
    token = auth_token(app.config)
    url = app.config["PUBLIC_BASE_URL"] + "/sms/status"
    for m in db.session.scalars(sa.select(OutboundMessage)):
        for status in ("sent", "delivered"):
            form = {"MessageSid": m.provider_sid, "MessageStatus": status}
            signature = RequestValidator(token).compute_signature(url, form)
            assert client.post("/sms/status", data=form, headers={"X-Twilio-Signature": signature}).status_code == 204
    assert states(approved) == {"delivered": 5}
    worker.tick()
    db.session.expire_all()
    assert db.session.get(Broadcast, approved.id).state == BroadcastState.completed
    assert sorted(gateway.calls) == sorted(c.mobile for c in db.session.scalars(sa.select(Client)))


def test_callbacks_never_move_backwards_and_forged_ones_are_refused(app, client, approved, clock, worker):
    start_now(app, approved, clock, worker)
    worker.send_batch()
    m = db.session.scalars(sa.select(OutboundMessage)).first()
    url = app.config["PUBLIC_BASE_URL"] + "/sms/status"

    def post(status, token=None, **extra):
        form = {"MessageSid": m.provider_sid, "MessageStatus": status, **extra}
        signature = RequestValidator(token or auth_token(app.config)).compute_signature(url, form)
        return client.post("/sms/status", data=form, headers={"X-Twilio-Signature": signature})

    assert post("delivered").status_code == 204
    for late in ("sent", "queued", "undelivered", "delivered"):
        post(late)
    db.session.expire_all()
    assert db.session.get(OutboundMessage, m.id).state == MessageState.delivered
    assert post("failed", token="not-the-token").status_code == 403
    assert client.post("/sms/status", data={"MessageSid": m.provider_sid, "MessageStatus": "failed"}).status_code == 403
    db.session.expire_all()
    assert db.session.get(OutboundMessage, m.id).state == MessageState.delivered


def test_retries_with_backoff_then_failure_with_the_reason(app, approved, clock, worker, gateway):
    busy = GatewayError("Too Many Requests", retryable=True, code="20429", status=429)
    gateway.script["+8613800000001"] = [busy, busy, None]  # third attempt goes through
    gateway.script["+8613800000002"] = [GatewayError("Service Unavailable", retryable=True, status=503)]
    start_now(app, approved, clock, worker)
    worker.send_batch()
    assert states(approved) == {"queued": 3, "pending": 2}
    assert worker.send_batch() == 0  # backing off: not due yet
    clock.advance(seconds=3)
    worker.send_batch()
    clock.advance(seconds=10)
    worker.send_batch()
    assert states(approved) == {"queued": 4, "failed": 1}
    failed = db.session.scalar(sa.select(OutboundMessage).where(OutboundMessage.state == MessageState.failed))
    assert failed.to == "+8613800000002" and failed.attempts == 3 and "Unavailable" in failed.error_message
    assert gateway.calls.count("+8613800000001") == 3


def test_permanent_errors_opt_out_and_invalid_numbers(app, approved, clock, worker, gateway):
    gateway.script["+8613800000001"] = [GatewayError("unsubscribed", retryable=False, code="21610", status=400)]
    gateway.script["+8613800000002"] = [GatewayError("invalid To", retryable=False, code="21211", status=400)]
    start_now(app, approved, clock, worker)
    worker.send_batch()
    assert states(approved) == {"queued": 3, "failed": 2}
    opted = db.session.scalar(sa.select(Client).where(Client.mobile == "+8613800000001"))
    assert opted.opted_out and opted.opt_out_source == "carrier 21610"
    codes = dict(db.session.execute(sa.select(OutboundMessage.to, OutboundMessage.error_code)
                                    .where(OutboundMessage.state == MessageState.failed)).all())
    assert codes == {"+8613800000001": "21610", "+8613800000002": "21211"}
    invalid = db.session.scalar(sa.select(Client).where(Client.mobile == "+8613800000002"))
    assert invalid.mobile_invalid_at is not None and not invalid.opted_out
    from broadcast import audience as audiences

    reached = {c.mobile for c in db.session.scalars(audiences.recipients_query(audiences.parse({"tiers": ["gold"]})))}
    assert "+8613800000002" not in reached and "+8613800000001" not in reached and len(reached) == 3
    from clients.imports import import_clients

    import_clients(db.session, f"account_no,name,mobile\r\n{invalid.account_no},{invalid.name},13900000002\r\n"
                   .encode(), "fix.csv")
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Client, invalid.id).mobile_invalid_at is None


def test_a_crash_mid_handover_leaves_unknown_and_never_resends(app, approved, clock, worker, gateway):
    start_now(app, approved, clock, worker)
    with app.app_context():
        claimed = dispatch.claim(db.session, 2, clock(), holds=hooks.of(app).holds)  # committed as handing_over ...
    assert len(claimed) == 2  # ... and the worker dies before recording what the provider said
    assert worker.recover() == 2
    worker.send_batch()
    worker.send_batch()
    assert states(approved) == {"unknown": 2, "queued": 3}
    assert len(gateway.calls) == 3 and len(set(gateway.calls)) == 3


def test_pause_resume_cancel_never_send_a_second_copy(app, approved, clock, worker, gateway):
    start_now(app, approved, clock, worker)
    worker.send_batch(limit=2)
    b = db.session.get(Broadcast, approved.id)
    scheduling.pause(db.session, b, b.chief)
    db.session.commit()
    assert worker.send_batch() == 0
    scheduling.resume(db.session, b, b.chief)
    db.session.commit()
    worker.send_batch(limit=1)
    scheduling.cancel(db.session, b, b.chief, clock())
    db.session.commit()
    assert worker.send_batch() == 0
    assert states(approved) == {"queued": 3, "cancelled": 2}
    assert len(gateway.calls) == 3 == len(set(gateway.calls))


def test_an_expired_suggestion_is_not_delivered(app, short_suggestion, clock, worker, gateway):
    b, chief, settings = short_suggestion
    scheduling.schedule(db.session, b, chief, None, settings, clock(), calendar_for({"QUIET_HOURS": "21:00-08:00"}))
    db.session.commit()
    worker.tick()
    worker.send_batch(limit=2)
    clock.advance(minutes=31)
    worker.tick()
    assert worker.send_batch() == 0
    assert states(b) == {"queued": 2, "expired": 3}
    db.session.expire_all()
    assert db.session.get(Broadcast, b.id).state == BroadcastState.completed


def test_quiet_hours_refuse_a_schedule_and_pause_a_send(app, approved, clock, worker):
    settings = Settings.from_config(app.config)
    b = db.session.get(Broadcast, approved.id)
    night = datetime(2026, 11, 25, 14, 30, tzinfo=timezone.utc)  # 22:30 in Shanghai
    with pytest.raises(service.BroadcastError) as info:
        scheduling.schedule(db.session, b, b.chief, night, settings, clock(), calendar_for({"QUIET_HOURS": "21:00-08:00"}))
    assert info.value.field == "send_at"
    start_now(app, approved, clock, worker)
    worker.send_batch(limit=2)
    clock.set(night)
    assert worker.send_batch() == 0  # paused by quiet hours
    clock.set(datetime(2026, 11, 26, 0, 30, tzinfo=timezone.utc))  # 08:30 next morning
    assert worker.send_batch() == 3
    assert states(approved) == {"queued": 5}


@pytest.mark.parametrize("late_until, expected", [
    (datetime(2026, 11, 25, 6, 0, tzinfo=timezone.utc), BroadcastState.sending),  # 14:00: still fine, sent late
    (datetime(2026, 11, 25, 14, 0, tzinfo=timezone.utc), BroadcastState.missed),  # 22:00: quiet hours
    (datetime(2026, 11, 28, 3, 0, tzinfo=timezone.utc), BroadcastState.missed),  # three days later, 11:00
])
def test_a_schedule_that_fires_late(app, approved, clock, worker, late_until, expected):
    settings = Settings.from_config(app.config)
    b = db.session.get(Broadcast, approved.id)
    scheduling.schedule(db.session, b, b.chief, T0 + timedelta(minutes=5), settings, clock(), calendar_for({"QUIET_HOURS": "21:00-08:00"}))
    db.session.commit()
    clock.set(late_until)  # the worker was down until now
    worker.tick()
    db.session.expire_all()
    assert db.session.get(Broadcast, approved.id).state == expected


def test_only_approved_broadcasts_are_scheduled(app, make_staff, book, clock):
    settings = Settings.from_config(app.config)
    chief = make_staff("chief_analyst")
    b = service.create_draft(db.session, {"kind": "daily_comment", "title": "x", "body": "{name}",
                                          "audience": {"tiers": ["gold"]}}, chief, settings)
    with pytest.raises(service.BroadcastError) as info:
        scheduling.schedule(db.session, b, chief, None, settings, clock(), calendar_for({"QUIET_HOURS": ""}))
    assert info.value.status == 409


def test_a_recurring_commentary_goes_every_trading_day_and_skips_holidays(app, approved, clock, worker, monkeypatch):
    from broadcast.models import Broadcast as B

    monkeypatch.setitem(app.config, "HOLIDAYS", "2026-11-27")  # Friday
    settings = Settings.from_config(app.config)
    b = db.session.get(B, approved.id)
    scheduling.schedule(db.session, b, b.chief, None, settings, clock(), calendar_for(app.config),
                        recurrence="trading_days@08:30")
    db.session.commit()
    assert b.send_at == datetime(2026, 11, 26, 0, 30, tzinfo=timezone.utc)  # Thursday 08:30 in Shanghai
    sent_on = []
    for day in range(26, 31):  # Thursday 26th to Monday 30th, ticking at 08:31 local each day
        clock.set(datetime(2026, 11, day, 0, 31, tzinfo=timezone.utc))
        worker.tick()
        db.session.expire_all()
        children = db.session.scalars(sa.select(B).where(B.parent_id == b.id)).all()
        sent_on.append(len(children))
    assert sent_on == [1, 1, 1, 1, 2]  # Thu, (Fri holiday), (Sat), (Sun), Mon
    assert db.session.get(B, b.id).state == BroadcastState.scheduled
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboundMessage)) == 10


def test_the_same_text_to_the_same_clients_within_a_day_needs_confirmation(app, approved, clock, worker, make_staff):
    settings = Settings.from_config(app.config)
    start_now(app, approved, clock, worker)
    chief, ok = approved.chief, make_staff("approver")
    again = service.create_draft(db.session, {"kind": "daily_comment", "title": "早评", "body": "{name}您好，早评见{note_link}",
                                              "note_markdown": "## 早评", "audience": {"include": ["1", "2"]}},
                                 chief, settings)
    service.submit(db.session, again, chief, settings, now=T0)
    service.approve(db.session, again, ok)
    with pytest.raises(service.BroadcastError) as info:
        scheduling.schedule(db.session, again, chief, None, settings, clock(), calendar_for({"QUIET_HOURS": ""}))
    assert info.value.status == 409 and info.value.field == "confirm_duplicate" and "2" in str(info.value)
    scheduling.schedule(db.session, again, chief, None, settings, clock(), calendar_for({"QUIET_HOURS": ""}), confirm_duplicate=True)
    assert again.state == BroadcastState.scheduled


def test_recurrence_is_refused_for_suggestions_and_bad_specs(app, approved, clock):
    settings = Settings.from_config(app.config)
    b = db.session.get(Broadcast, approved.id)
    with pytest.raises(service.BroadcastError) as info:
        scheduling.schedule(db.session, b, b.chief, None, settings, clock(), calendar_for({"QUIET_HOURS": ""}), recurrence="every day")
    assert info.value.field == "recurrence"


def test_nothing_is_claimed_after_valid_until_even_between_sweeps(app, short_suggestion, clock, worker, gateway):
    b, chief, settings = short_suggestion
    scheduling.schedule(db.session, b, chief, None, settings, clock(), calendar_for({"QUIET_HOURS": ""}))
    db.session.commit()
    worker.tick()
    scheduling.pause(db.session, db.session.get(Broadcast, b.id), chief)
    db.session.commit()
    clock.advance(minutes=45)  # past valid-until while paused
    scheduling.resume(db.session, db.session.get(Broadcast, b.id), chief)
    db.session.commit()
    assert worker.send_batch() == 0 and gateway.calls == []  # no tick has run the sweep yet
    worker.tick()
    assert states(b) == {"expired": 5}


def test_a_client_who_opts_out_after_the_snapshot_is_suppressed(app, approved, clock, worker, gateway):
    start_now(app, approved, clock, worker)
    client = db.session.scalar(sa.select(Client).where(Client.account_no == "1"))
    client.opted_out = True
    db.session.commit()
    worker.send_batch()
    assert states(approved) == {"queued": 4, "suppressed": 1}
    assert "+8613800000001" not in gateway.calls


def test_an_unsure_message_that_runs_out_of_attempts_is_unknown_not_failed(app, approved, clock, worker, gateway):
    timeout = GatewayError("ReadTimeout", retryable=True, ambiguous=True)
    gateway.script["+8613800000001"] = [timeout]
    start_now(app, approved, clock, worker)
    for _ in range(4):
        worker.send_batch()
        clock.advance(seconds=60)
    assert states(approved) == {"queued": 4, "unknown": 1}
    assert gateway.calls.count("+8613800000001") == 3


def test_the_webhook_checks_against_the_public_url_even_with_a_trailing_slash(app, client, approved, clock, worker,
                                                                               monkeypatch):
    start_now(app, approved, clock, worker)
    worker.send_batch()
    m = db.session.scalars(sa.select(OutboundMessage)).first()
    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", "https://sms.example.com/")
    form = {"MessageSid": m.provider_sid, "MessageStatus": "delivered"}
    signature = RequestValidator(auth_token(app.config)).compute_signature("https://sms.example.com/sms/status", form)
    assert client.post("/sms/status", data=form, headers={"X-Twilio-Signature": signature}).status_code == 204
    monkeypatch.setitem(app.config, "SMS_GATEWAY", "twilio")
    monkeypatch.setitem(app.config, "TWILIO_AUTH_TOKEN", "")
    assert client.post("/sms/status", data=form, headers={"X-Twilio-Signature": signature}).status_code == 403
