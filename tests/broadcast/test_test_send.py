"""A test send: the author sees the SMS on their own verified mobile before approval, marked 【测试】, for the
made-up sample client, at most 5 a local day, audited; it never counts as a send to clients."""
from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from werkzeug.serving import make_server

from broadcast import scheduling, service
from broadcast import test_send as ts
from broadcast.errors import BroadcastError
from broadcast.models import BroadcastState
from broadcast.report import report
from broadcast.settings import Settings
from broadcast.texts import SAMPLE_CLIENTS
from core.audit import AuditEntry
from core.calendar import calendar_for
from core.extensions import db
from messaging import inbound
from messaging.models import MessagePurpose, MessageState, OutboundMessage
from messaging.worker import Worker
from sms.gateway import SimulatorGateway, simulator_token
from staff import test_mobile
from tests.broadcast.helpers import states

MOBILE = "+8613900001111"
SHANGHAI = "Asia/Shanghai"


def _settings(app) -> Settings:
    return Settings.from_config(app.config)


@pytest.fixture
def admin(make_staff):
    return make_staff("admin")


@pytest.fixture
def verify(admin, make_staff, clock):
    """Give `staff` an own test mobile one admin entered and another verified."""
    entering = make_staff("admin")

    def give(staff, mobile: str = MOBILE):
        test_mobile.set_mobile(db.session, staff, mobile, entering)
        test_mobile.set_verified(db.session, staff, True, admin, clock())
        db.session.commit()
        return staff
    return give


@pytest.fixture
def draft(app, make_staff, book):
    """A researcher's draft to the five gold clients, with {name}, {staff_name} and a research note."""
    author = make_staff("researcher")
    b = service.create_draft(db.session, {"kind": "daily_comment", "title": "早评",
                                          "body": "{name}您好，螺纹早评见{note_link}", "note_markdown": "## 早评",
                                          "audience": {"tiers": ["gold"]}}, author, _settings(app))
    db.session.commit()
    return b


def _send(app, b, actor, clock, **kwargs):
    message = ts.send_test(db.session, b, actor, _settings(app), clock(), **kwargs)
    db.session.commit()
    return message


# ---- the pure decisions --------------------------------------------------------------------------------------

def test_the_mark_goes_right_after_the_company_signature_or_at_the_start():
    assert ts.mark_test("【期货公司】您好拒收请回复R", "期货公司") == "【期货公司】【测试】您好拒收请回复R"
    assert ts.mark_test("Hello", "期货公司") == "【测试】Hello"


def test_the_local_day_starts_at_midnight_in_the_configured_zone():
    start, end = ts.local_day(datetime(2026, 11, 25, 16, 30, tzinfo=timezone.utc), SHANGHAI)  # 00:30 on the 26th
    assert start == datetime(2026, 11, 25, 16, 0, tzinfo=timezone.utc)
    assert end - start == timedelta(days=1)


def _standing(**changes):
    values = {"may_edit": True, "state": BroadcastState.draft, "mobile": MOBILE, "verified": True, "sent_today": 0}
    return ts.Standing(**{**values, **changes})


@pytest.mark.parametrize("changes, code", [
    ({}, None),
    ({"state": BroadcastState.rejected}, None),
    ({"state": BroadcastState.submitted}, None),
    ({"state": BroadcastState.approved}, None),
    ({"sent_today": 4}, None),
    ({"may_edit": False}, "broadcast.not_author"),
    ({"state": BroadcastState.scheduled}, "broadcast.not_testable"),
    ({"state": BroadcastState.sending}, "broadcast.not_testable"),
    ({"state": BroadcastState.completed}, "broadcast.not_testable"),
    ({"verified": False}, "broadcast.test_mobile_unverified"),
    ({"mobile": None, "verified": False}, "broadcast.test_mobile_unverified"),
    ({"sent_today": 5}, "broadcast.test_limit"),
])
def test_who_may_test_send_and_when(changes, code):
    problem = ts.refusal(_standing(**changes))
    assert (problem.code if problem else None) == code


# ---- the operation --------------------------------------------------------------------------------------------

def test_the_author_gets_the_sample_clients_text_marked_on_their_own_verified_mobile(app, clock, draft, verify):
    author = verify(draft.author)
    message = _send(app, draft, author, clock, seen_version=draft.version)
    sample = SAMPLE_CLIENTS["zh"]
    assert message.to == MOBILE and message.purpose == MessagePurpose.test and message.state == MessageState.pending
    assert message.client_id is None and message.broadcast_id is None and message.sent_by_id == author.id
    company = app.config["COMPANY_NAME"]
    assert message.body.startswith(f"【{company}】【测试】{sample.name}您好，螺纹早评见")
    assert f"{_settings(app).public_base_url}/n/xxxxxxxxxxx" in message.body  # a sample link, no real token
    assert message.note_token is None
    # no client of the book is named: the text is the made-up client's
    assert not any(c in message.body for c in ("客户1", "客户2"))


def test_the_chief_analyst_may_test_send_a_researchers_draft_another_researcher_may_not(
        app, clock, draft, make_staff, verify):
    chief = verify(make_staff("chief_analyst"))
    assert _send(app, draft, chief, clock).to == MOBILE
    other = verify(make_staff("researcher"), "+8613900002222")
    with pytest.raises(BroadcastError) as refused:
        _send(app, draft, other, clock)
    assert refused.value.status == 403


def test_without_a_verified_mobile_the_refusal_says_an_admin_must_verify_it(app, clock, draft, admin):
    author = draft.author
    for _ in range(2):  # no number at all; then a number an admin has not verified
        with pytest.raises(BroadcastError) as refused:
            _send(app, draft, author, clock)
        assert "admin" in str(refused.value) and "verif" in str(refused.value)
        test_mobile.set_mobile(db.session, author, "13900001111", admin)
        db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboundMessage)) == 0


def test_a_broadcast_already_sending_cannot_be_test_sent(app, clock, approved, verify):
    chief = verify(approved.chief)
    scheduling.schedule(db.session, approved, chief, None, _settings(app), clock(), calendar_for({"QUIET_HOURS": ""}))
    db.session.commit()
    with pytest.raises(BroadcastError) as refused:
        _send(app, approved, chief, clock)
    assert refused.value.code == "broadcast.not_testable"


def test_a_test_send_of_a_version_the_author_did_not_see_is_refused_and_writes_nothing(app, clock, draft, verify):
    author = verify(draft.author)
    seen = draft.version
    service.update_draft(db.session, draft, {"body": "{name}您好，改过的早评见{note_link}"}, author, _settings(app))
    db.session.commit()
    with pytest.raises(BroadcastError) as refused:
        _send(app, draft, author, clock, seen_version=seen)
    assert refused.value.status == 409
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboundMessage)) == 0


def test_five_a_local_day_and_the_sixth_is_refused_until_midnight_in_shanghai(app, clock, draft, verify):
    author = verify(draft.author)
    clock.set(datetime(2026, 11, 25, 15, 0, tzinfo=timezone.utc))  # 23:00 in Shanghai
    for _ in range(5):
        _send(app, draft, author, clock)
        clock.advance(minutes=5)
    with pytest.raises(BroadcastError) as refused:
        _send(app, draft, author, clock)
    assert refused.value.code == "broadcast.test_limit" and "5" in str(refused.value)
    db.session.rollback()
    clock.set(datetime(2026, 11, 25, 15, 59, tzinfo=timezone.utc))  # 23:59: still the same local day
    with pytest.raises(BroadcastError):
        _send(app, draft, author, clock)
    db.session.rollback()
    # 00:01 on the 26th in Shanghai, still the 25th in UTC: a new day by the department's clock
    clock.set(datetime(2026, 11, 25, 16, 1, tzinfo=timezone.utc))
    assert _send(app, draft, author, clock).purpose == MessagePurpose.test
    assert ts.sent_today(db.session, author.id, clock(), SHANGHAI) == 1


def test_the_limit_is_per_staff_member(app, clock, draft, make_staff, verify):
    author, chief = verify(draft.author), verify(make_staff("chief_analyst"), "+8613900002222")
    for _ in range(5):
        _send(app, draft, author, clock)
    assert _send(app, draft, chief, clock).to == "+8613900002222"


def test_each_test_send_is_audited_with_the_version_and_a_masked_number(app, clock, draft, verify):
    author = verify(draft.author)
    message = _send(app, draft, author, clock)
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "broadcast.test_send"))
    assert entry.actor_id == author.id and entry.object_type == "broadcast" and entry.object_id == str(draft.id)
    assert entry.detail == {"version": draft.version, "message_id": message.id, "mobile": "139****1111",
                            "segments": message.segments}


# ---- never a send to clients ------------------------------------------------------------------------------------

def test_never_counted_in_the_report_the_progress_or_the_duplicate_check(app, clock, approved, worker, gateway,
                                                                        verify, client, auth):
    chief = verify(approved.chief)
    _send(app, approved, chief, clock, seen_version=approved.version)
    worker.send_batch()
    assert gateway.accepted[0][0] == MOBILE and "【测试】" in gateway.accepted[0][1]
    assert states(approved) == {}
    empty = report(db.session, approved)
    assert empty["recipients"] == 0 and empty["handed_over"] == 0 and empty["segments"] == 0
    # sending it for real: the test send does not make it a duplicate, and the snapshot has the five clients
    scheduling.schedule(db.session, approved, chief, None, _settings(app), clock(), calendar_for({"QUIET_HOURS": ""}))
    db.session.commit()
    worker.tick()
    worker.send_batch()
    sent = report(db.session, approved)
    assert sent["recipients"] == 5 and sent["handed_over"] == 5
    assert sum(sent["by_tier"]["gold"].values()) == 5
    auth.login(chief.email)
    progress = client.get(f"/broadcasts/progress?ids={approved.id}").get_json()[str(approved.id)]
    assert progress["recipients"] == 5
    assert not any(to == MOBILE for to in gateway.calls[1:])


def test_a_reply_from_the_test_mobile_is_never_taken_for_a_reply_to_the_broadcast(app, clock, approved, worker,
                                                                                   make_client, verify):
    from followups import intake
    from followups.settings import FollowUpSettings

    chief = verify(approved.chief)
    _send(app, approved, chief, clock)
    make_client("83999", mobile=MOBILE)  # a client on that handset, on the book since the test send was queued
    worker.send_batch()
    db.session.execute(sa.update(OutboundMessage).values(state=MessageState.delivered))
    db.session.commit()
    clock.advance(minutes=1)
    stored = inbound.store(db.session, inbound.parse_webhook(
        {"MessageSid": "SM" + "7" * 32, "From": MOBILE, "To": "x", "Body": "收到测试"}), clock())
    routed = intake.route_or_triage(db.session, stored.id, FollowUpSettings.from_config(app.config), clock())
    assert routed is None or routed.item.broadcast_id is None
    assert report(db.session, approved)["replies"] == {}


def test_a_test_send_waits_for_no_quiet_hours_and_goes_to_no_changed_number(app, clock, draft, worker, gateway,
                                                                            verify, admin):
    author = verify(draft.author)
    clock.set(datetime(2026, 11, 25, 14, 0, tzinfo=timezone.utc))  # 22:00 in Shanghai: quiet hours
    _send(app, draft, author, clock)
    assert worker.send_batch() == 1 and gateway.calls == [MOBILE]
    # queued, then the admin changes the number before the worker gets to it: it is suppressed, not sent
    _send(app, draft, author, clock)
    test_mobile.set_mobile(db.session, author, "13900003333", admin)
    db.session.commit()
    worker.send_batch()
    assert gateway.calls == [MOBILE]
    last = db.session.scalar(sa.select(OutboundMessage).order_by(OutboundMessage.id.desc()).limit(1))
    assert last.state == MessageState.suppressed


@pytest.fixture
def simulated(app, clock, monkeypatch):
    """The app served on loopback with the simulator gateway, whose status callbacks then arrive for real."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", f"http://127.0.0.1:{server.server_port}")
    monkeypatch.setitem(app.config, "SMS_GATEWAY", "simulator")
    gateway = SimulatorGateway(simulator_token(app.config["SECRET_KEY"]), delay=0.05, failure_share=0)
    w = Worker(app, gateway)
    yield w, gateway
    w.close()
    server.shutdown()
    server.server_close()
    thread.join()


def test_it_goes_through_the_simulator_gateway_like_any_message(app, clock, draft, verify, simulated):
    worker, gateway = simulated
    author = verify(draft.author)
    message = _send(app, draft, author, clock)
    assert worker.send_batch() == 1
    (sid, to, body), = gateway.sent
    assert to == MOBILE and body == message.body
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        db.session.expire_all()
        if db.session.get(OutboundMessage, message.id).state == MessageState.delivered:
            break
        time.sleep(0.05)
    stored = db.session.get(OutboundMessage, message.id)
    assert stored.state == MessageState.delivered and stored.provider_sid == sid
    assert report(db.session, draft)["recipients"] == 0


# ---- the page -----------------------------------------------------------------------------------------------

def test_the_page_offers_the_author_a_test_send_and_nothing_to_others(app, clock, draft, verify, make_staff,
                                                                      client, auth):
    author = verify(draft.author)
    approver = make_staff("approver", email="approver@example.com")
    auth.login(author.email)
    auth.post("/language/en")
    page = client.get(f"/broadcasts/{draft.id}").get_data(as_text=True)
    assert 'id="test-send"' in page and "139****1111" in page
    response = auth.post(f"/broadcasts/{draft.id}/test-send", {"version": str(draft.version)})
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Test SMS on its way to 139****1111" in page and "Test sends today: 1 of 5" in page
    auth.post("/language/zh")
    page = client.get(f"/broadcasts/{draft.id}").get_data(as_text=True)
    assert "测试发送到我的手机 139****1111" in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboundMessage)) == 1
    auth.post("/logout")
    auth.login(approver.email)
    assert 'id="test-send"' not in client.get(f"/broadcasts/{draft.id}").get_data(as_text=True)


@pytest.mark.parametrize("code", ["21211", "21610"])
def test_a_test_send_the_provider_refuses_fails_without_touching_any_client(app, clock, draft, worker, gateway,
                                                                            verify, make_client, code):
    from sms.gateway import GatewayError

    author = verify(draft.author)
    gateway.script[MOBILE] = [GatewayError("refused", retryable=False, code=code)]
    message = _send(app, draft, author, clock)
    client = make_client("83999", mobile=MOBILE)  # a client on that handset, since: keeps their standing
    worker.send_batch()
    db.session.expire_all()
    assert db.session.get(OutboundMessage, message.id).state == MessageState.failed
    client = db.session.get(type(client), client.id)
    assert client.mobile_invalid_at is None and not client.opted_out


def test_a_test_mobile_that_is_a_clients_number_gets_no_test_send(app, clock, draft, verify, make_client):
    """A text not yet approved never goes to a client: a test mobile found on the client book is refused."""
    author = verify(draft.author)
    make_client("83998", mobile=MOBILE)
    with pytest.raises(BroadcastError) as refused:
        _send(app, draft, author, clock)
    assert refused.value.code == "broadcast.test_mobile_is_a_clients"
    db.session.rollback()
    assert not db.session.scalars(sa.select(OutboundMessage)).all()


def test_two_test_sends_at_once_never_make_a_sixth(app, clock, draft, make_staff, verify):
    """Counted under a lock on the sender's row: of two requests racing for the fifth send, one is refused."""
    from staff.models import Staff

    for n in range(3):
        chief = verify(make_staff("chief_analyst"), f"+86139000030{n:02d}")
        for _ in range(4):
            _send(app, draft, chief, clock)
        barrier, results = threading.Barrier(2), []

        def once(staff_id=chief.id, barrier=barrier, results=results):
            with app.app_context():
                barrier.wait()
                try:
                    ts.send_test(db.session, db.session.get(type(draft), draft.id), db.session.get(Staff, staff_id),
                                 _settings(app), clock())
                    db.session.commit()
                    results.append("sent")
                except BroadcastError as exc:
                    db.session.rollback()
                    results.append(exc.code)

        threads = [threading.Thread(target=once) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(results) == ["broadcast.test_limit", "sent"]
        assert ts.sent_today(db.session, chief.id, clock(), SHANGHAI) == 5
