"""The Twilio emulator (sms/emulator.py), exercised over real loopback HTTP through the real `twilio` SDK,
pointed at it by sms.twilio_client.make_client(..., api_base=emulator.base_url)."""
from __future__ import annotations

import re
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs

import pytest
import requests
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.request_validator import RequestValidator

from sms.emulator import DEFAULT_ACCOUNT_SID, TwilioEmulator, count_segments
from sms.twilio_client import TwilioApiHttpClient, close_client, make_client

FROM = "+15005550006"
TO = "+15551234567"
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def emulator():
    with TwilioEmulator() as emu:
        yield emu


@pytest.fixture
def client(emulator):
    c = make_client(emulator.account_sid, emulator.auth_token, api_base=emulator.base_url, timeout=5.0)
    yield c
    close_client(c)


class Receiver:
    """A tiny local HTTP server standing in for the app's status-callback endpoint."""

    def __init__(self):
        self.received: list[dict] = []
        self.answer = 200
        self._cond = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
                params = {k: v[0] for k, v in parse_qs(raw, keep_blank_values=True).items()}
                host, port = self.server.server_address[:2]
                with receiver._cond:
                    receiver.received.append(
                        {
                            "url": f"http://{host}:{port}{self.path}",
                            "params": params,
                            "signature": self.headers.get("X-Twilio-Signature"),
                            "content_type": self.headers.get("Content-Type"),
                        }
                    )
                    receiver._cond.notify_all()
                self.send_response(receiver.answer)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05})
        self.thread.start()

    def wait_for(self, n: int, timeout: float = 10.0) -> list[dict]:
        with self._cond:
            assert self._cond.wait_for(lambda: len(self.received) >= n, timeout), self.received
            return list(self.received)

    def close(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


def _dead_url() -> str:
    """A loopback URL nothing listens on (connection refused)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/status"


# ------------------------------------------------------------------ creating and reading messages


def test_create_through_the_sdk_returns_a_twilio_shaped_message(emulator, client):
    msg = client.messages.create(to=TO, from_=FROM, body="Hello from the desk")

    assert re.fullmatch(r"SM[0-9a-f]{32}", msg.sid)
    assert msg.status == "queued"
    assert msg.num_segments == "1"
    assert msg.account_sid == emulator.account_sid
    assert (msg.to, msg.from_, msg.body) == (TO, FROM, "Hello from the desk")
    assert msg.messaging_service_sid is None
    assert msg.error_code is None and msg.error_message is None
    assert msg.direction == "outbound-api" and msg.api_version == "2010-04-01"
    assert isinstance(msg.date_created, datetime) and msg.date_created.tzinfo is not None
    assert msg.uri == f"/2010-04-01/Accounts/{emulator.account_sid}/Messages/{msg.sid}.json"

    fetched = client.messages(msg.sid).fetch()
    assert (fetched.sid, fetched.status, fetched.body, fetched.num_segments) == (msg.sid, "queued", msg.body, "1")

    [record] = emulator.messages
    assert record["sid"] == msg.sid and record["to"] == TO and record["from"] == FROM
    assert record["body"] == "Hello from the desk" and record["status_callback"] is None
    assert isinstance(record["created_at"], datetime)
    assert emulator.sent_to(TO) == [record] and emulator.sent_to("+15550000000") == []
    assert emulator.requests == 2


def test_segments_and_messaging_service(emulator, client):
    assert client.messages.create(to=TO, from_=FROM, body="x" * 160).num_segments == "1"
    assert client.messages.create(to=TO, from_=FROM, body="x" * 161).num_segments == "2"
    assert client.messages.create(to=TO, from_=FROM, body="€" * 80).num_segments == "1"  # 160 septets
    assert client.messages.create(to=TO, from_=FROM, body="期" * 71).num_segments == "2"  # UCS-2
    svc = "MG" + "1" * 32
    msg = client.messages.create(to=TO, messaging_service_sid=svc, body="via service")
    assert msg.messaging_service_sid == svc and msg.from_ is None and msg.status == "accepted"
    assert count_segments("x" * 306) == 2 and count_segments("x" * 307) == 3


def test_list_pages_through_the_sdk(emulator, client):
    sids = [client.messages.create(to=TO, from_=FROM, body=f"m{i}").sid for i in range(5)]
    client.messages.create(to="+15559999999", from_=FROM, body="other")
    listed = client.messages.list(to=TO, page_size=2)  # three pages: next_page_uri goes through the rewrite
    assert [m.sid for m in listed] == list(reversed(sids))


def test_fetch_unknown_message_and_other_account_are_404(emulator, client):
    with pytest.raises(TwilioRestException) as exc:
        client.messages("SM" + "0" * 32).fetch()
    assert (exc.value.status, exc.value.code) == (404, 20404)
    other = client.api.v2010.accounts("AC" + "f" * 32)
    with pytest.raises(TwilioRestException) as exc:
        other.messages.create(to=TO, from_=FROM, body="x")
    assert (exc.value.status, exc.value.code) == (404, 20404)
    assert emulator.messages == []


# ------------------------------------------------------------------ errors


def test_bad_credentials_raise_401(emulator):
    bad = make_client(emulator.account_sid, "not-the-token", api_base=emulator.base_url)
    try:
        with pytest.raises(TwilioRestException) as exc:
            bad.messages.create(to=TO, from_=FROM, body="x")
    finally:
        close_client(bad)
    assert exc.value.status == 401 and exc.value.code == 20003
    assert "Authenticate" in exc.value.msg
    assert emulator.messages == [] and emulator.requests == 1


def test_validation_errors_carry_twilio_codes(emulator, client):
    emulator.invalid_numbers.add("+15005550001")
    emulator.unsubscribed.add("+15005550004")

    def code_of(**kwargs):
        with pytest.raises(TwilioRestException) as exc:
            client.messages.create(**kwargs)
        assert exc.value.status == 400
        return exc.value.code

    assert code_of(to="+15005550001", from_=FROM, body="x") == 21211
    assert code_of(to="+15005550004", from_=FROM, body="x") == 21610
    assert code_of(to="0412 345 678", from_=FROM, body="x") == 21211  # not E.164
    assert code_of(to="", from_=FROM, body="x") == 21604
    assert code_of(to=TO, from_=FROM) == 21602
    assert code_of(to=TO, from_=FROM, body="") == 21602
    assert code_of(to=TO, body="x") == 21603
    assert code_of(to=TO, from_=FROM, body="x" * 1601) == 21617
    assert emulator.messages == []


def test_error_body_is_twilio_shaped(emulator):
    emulator.unsubscribed.add(TO)
    with requests.Session() as s:
        s.trust_env = False
        r = s.post(
            f"{emulator.base_url}/2010-04-01/Accounts/{emulator.account_sid}/Messages.json",
            data={"To": TO, "From": FROM, "Body": "x"},
            auth=(emulator.account_sid, emulator.auth_token),
        )
        assert r.status_code == 400
        assert r.json() == {
            "code": 21610,
            "message": "Attempt to send to unsubscribed recipient",
            "more_info": "https://www.twilio.com/docs/errors/21610",
            "status": 400,
        }
        r = s.get(f"{emulator.base_url}/2010-04-01/Accounts/{emulator.account_sid}/Messages.json")
        assert r.status_code == 401 and r.json()["code"] == 20003
        assert r.headers["WWW-Authenticate"].startswith("Basic")


# ------------------------------------------------------------------ fault injection


def test_fail_next_429_then_success(emulator, client):
    emulator.fail_next(2, 429)
    for _ in range(2):
        with pytest.raises(TwilioRestException) as exc:
            client.messages.create(to=TO, from_=FROM, body="x")
        assert (exc.value.status, exc.value.code) == (429, 20429)
    msg = client.messages.create(to=TO, from_=FROM, body="x")
    assert msg.status == "queued"
    assert [m["sid"] for m in emulator.messages] == [msg.sid]
    assert emulator.requests == 3


@pytest.mark.parametrize("status,code", [(500, 20500), (503, 20503)])
def test_fail_next_server_errors(emulator, client, status, code):
    emulator.fail_next(1, status=status)
    with pytest.raises(TwilioRestException) as exc:
        client.messages.create(to=TO, from_=FROM, body="x")
    assert (exc.value.status, exc.value.code) == (status, code)
    assert emulator.messages == []


def test_hang_next_trips_the_client_timeout_with_requests_read_timeout(emulator):
    emulator.hang_next(1, seconds=3.0)
    c = make_client(emulator.account_sid, emulator.auth_token, api_base=emulator.base_url, timeout=0.5)
    try:
        t0 = time.monotonic()
        # The SDK does not wrap transport errors: requests' own ReadTimeout surfaces, not a TwilioException.
        with pytest.raises(requests.exceptions.ReadTimeout) as exc:
            c.messages.create(to=TO, from_=FROM, body="x")
        assert time.monotonic() - t0 < 2.0
        assert isinstance(exc.value, requests.exceptions.Timeout)
        assert not isinstance(exc.value, TwilioException)
        assert emulator.messages == []  # a hang without create=True creates nothing
        assert c.messages.create(to=TO, from_=FROM, body="after").status == "queued"  # fault consumed
    finally:
        close_client(c)


def test_hang_with_create_leaves_a_message_the_client_never_saw(emulator):
    emulator.hang_next(1, seconds=0.8, create=True)
    c = make_client(emulator.account_sid, emulator.auth_token, api_base=emulator.base_url, timeout=0.3)
    try:
        with pytest.raises(requests.exceptions.ReadTimeout):
            c.messages.create(to=TO, from_=FROM, body="ghost")
    finally:
        close_client(c)
    deadline = time.monotonic() + 5
    while not emulator.messages and time.monotonic() < deadline:
        time.sleep(0.05)
    assert [m["body"] for m in emulator.messages] == ["ghost"]


def test_latency_is_added_to_every_create_and_settable(emulator, client):
    emulator.latency = 0.3
    t0 = time.monotonic()
    client.messages.create(to=TO, from_=FROM, body="slow")
    assert time.monotonic() - t0 >= 0.3
    emulator.latency = 0.0
    t0 = time.monotonic()
    client.messages.create(to=TO, from_=FROM, body="fast")
    assert time.monotonic() - t0 < 0.3


def test_concurrent_creates_and_faults_are_thread_safe(emulator):
    emulator.fail_next(10, 429)
    outcomes: list = []
    lock = threading.Lock()

    def work():
        c = make_client(emulator.account_sid, emulator.auth_token, api_base=emulator.base_url)
        try:
            for i in range(25):
                try:
                    sid = c.messages.create(to=TO, from_=FROM, body=f"n{i}").sid
                except TwilioRestException as exc:
                    sid = exc.status
                with lock:
                    outcomes.append(sid)
        finally:
            close_client(c)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes.count(429) == 10
    sids = [o for o in outcomes if o != 429]
    assert len(sids) == 190 == len(set(sids)) == len(emulator.messages)
    assert emulator.requests == 200


def test_client_makes_no_retries_of_its_own(emulator):
    c = make_client(emulator.account_sid, emulator.auth_token, api_base=emulator.base_url)
    try:
        http = c.http_client
        assert isinstance(http, TwilioApiHttpClient)
        for scheme in ("http://", "https://"):
            assert http.session.get_adapter(scheme + "x").max_retries.total == 0
        emulator.fail_next(1, 503)
        with pytest.raises(TwilioRestException):
            c.messages.create(to=TO, from_=FROM, body="x")
        assert emulator.requests == 1
    finally:
        close_client(c)


def test_make_client_rewrites_only_the_api_host():
    http = TwilioApiHttpClient(api_base="http://127.0.0.1:8099/")
    try:
        assert http.rewrite_url("https://api.twilio.com/2010-04-01/Accounts.json") == (
            "http://127.0.0.1:8099/2010-04-01/Accounts.json"
        )
        assert http.rewrite_url("https://api.sydney.au1.twilio.com/2010-04-01/X.json") == (
            "http://127.0.0.1:8099/2010-04-01/X.json"
        )
        assert http.rewrite_url("https://verify.twilio.com/v2/Services") == "https://verify.twilio.com/v2/Services"
        assert http.timeout == 10.0
    finally:
        http.close()
    plain = make_client("AC" + "a" * 32, "token", timeout=3.0)
    try:
        assert plain.http_client.api_base is None and plain.http_client.timeout == 3.0
        assert plain.http_client.rewrite_url("https://api.twilio.com/x") == "https://api.twilio.com/x"
    finally:
        close_client(plain)
    with pytest.raises(ValueError):
        make_client("AC" + "a" * 32, "token", api_base="127.0.0.1:8099")


def test_refused_connection_raises_requests_connection_error():
    c = make_client(DEFAULT_ACCOUNT_SID, "t", api_base=_dead_url().rsplit("/", 1)[0], timeout=2.0)
    try:
        with pytest.raises(requests.exceptions.ConnectionError):
            c.messages.create(to=TO, from_=FROM, body="x")
    finally:
        close_client(c)


# ------------------------------------------------------------------ status callbacks


def test_signed_callback_validates_with_the_auth_token_only(emulator, client, receiver):
    url = f"{receiver.url}/sms/status?tenant=7"
    msg = client.messages.create(to=TO, from_=FROM, body="x", status_callback=url)
    assert emulator.messages[0]["status_callback"] == url

    assert emulator.callback(msg.sid, "delivered") == 200
    [got] = receiver.wait_for(1)
    assert got["url"] == url
    assert got["content_type"].startswith("application/x-www-form-urlencoded")
    assert got["params"] == {
        "MessageSid": msg.sid,
        "MessageStatus": "delivered",
        "SmsSid": msg.sid,
        "SmsStatus": "delivered",
        "AccountSid": emulator.account_sid,
        "To": TO,
        "From": FROM,
        "ApiVersion": "2010-04-01",
    }
    assert RequestValidator(emulator.auth_token).validate(got["url"], got["params"], got["signature"])
    assert not RequestValidator("wrong-token").validate(got["url"], got["params"], got["signature"])
    tampered = dict(got["params"], MessageStatus="failed")
    assert not RequestValidator(emulator.auth_token).validate(got["url"], tampered, got["signature"])
    assert client.messages(msg.sid).fetch().status == "delivered"

    receiver.answer = 403
    assert emulator.callback(msg.sid, "undelivered", error_code=30005) == 403
    second = receiver.wait_for(2)[1]
    assert second["params"]["ErrorCode"] == "30005" and second["params"]["MessageStatus"] == "undelivered"
    assert RequestValidator(emulator.auth_token).validate(second["url"], second["params"], second["signature"])
    fetched = client.messages(msg.sid).fetch()
    assert (fetched.status, fetched.error_code) == ("undelivered", 30005)
    assert [c["http_status"] for c in emulator.callbacks] == [200, 403]
    assert emulator.callback_errors == 1


def test_callback_failures_are_counted_and_do_not_break_the_server(emulator, client):
    dead = _dead_url()
    msg = client.messages.create(to=TO, from_=FROM, body="x", status_callback=dead)
    assert emulator.callback(msg.sid, "sent") is None
    assert emulator.callback_errors == 1
    assert "refused" in emulator.callbacks[0]["error"].lower()
    assert emulator.callbacks[0]["http_status"] is None

    emulator.auto_deliver = True
    client.messages.create(to=TO, from_=FROM, body="y", status_callback=dead)
    assert emulator.drain(10)
    assert emulator.callback_errors == 3  # sent + delivered, both refused
    assert client.messages.create(to=TO, from_=FROM, body="still serving").status == "queued"
    no_url = client.messages.create(to=TO, from_=FROM, body="no callback url")
    assert emulator.callback(no_url.sid, "sent") is None
    with pytest.raises(KeyError):
        emulator.callback("SM" + "0" * 32, "sent")


def test_auto_deliver_posts_sent_then_delivered(receiver):
    with TwilioEmulator(auto_deliver=True) as emu:
        c = make_client(emu.account_sid, emu.auth_token, api_base=emu.base_url)
        try:
            sids = [
                c.messages.create(to=TO, from_=FROM, body=f"m{i}", status_callback=f"{receiver.url}/cb").sid
                for i in range(3)
            ]
            assert emu.drain(10)
            got = receiver.wait_for(6)
            for sid in sids:
                statuses = [g["params"]["MessageStatus"] for g in got if g["params"]["MessageSid"] == sid]
                assert statuses == ["sent", "delivered"]
            for g in got:
                assert RequestValidator(emu.auth_token).validate(g["url"], g["params"], g["signature"])
                assert "ErrorCode" not in g["params"]
            assert {c.messages(s).fetch().status for s in sids} == {"delivered"}
            assert emu.callback_errors == 0
        finally:
            close_client(c)


def _run_fail_share(share: float, n: int, callback_url: str | None):
    with TwilioEmulator(auto_deliver=True, fail_share=share, seed=42) as emu:
        c = make_client(emu.account_sid, emu.auth_token, api_base=emu.base_url)
        try:
            for i in range(n):
                c.messages.create(to=TO, from_=FROM, body=f"m{i}", status_callback=callback_url)
        finally:
            close_client(c)
        assert emu.drain(30)
        return emu.messages, emu.callbacks


def test_fail_share_gives_undelivered_30005_for_about_that_share(receiver):
    messages, callbacks = _run_fail_share(0.2, 200, f"{receiver.url}/cb")
    final = Counter(m["status"] for m in messages)
    assert set(final) == {"delivered", "undelivered"}
    assert 20 <= final["undelivered"] <= 60, final  # 20% of 200 = 40
    assert all(m["error_code"] == 30005 for m in messages if m["status"] == "undelivered")
    assert all(m["error_code"] is None for m in messages if m["status"] == "delivered")

    got = receiver.wait_for(400)
    by_sid: dict = {}
    for g in got:
        by_sid.setdefault(g["params"]["MessageSid"], []).append(g["params"])
    assert len(by_sid) == 200
    for m in messages:
        posted = by_sid[m["sid"]]
        assert [p["MessageStatus"] for p in posted] == ["sent", m["status"]]
        if m["status"] == "undelivered":
            assert posted[1]["ErrorCode"] == "30005"
    assert sum(1 for c in callbacks if c["http_status"] == 200) == 400

    # Deterministic: the same seed picks the same messages (by creation order), callback URL or not.
    again, _ = _run_fail_share(0.2, 200, None)
    assert [m["status"] for m in again] == [m["status"] for m in messages]


# ------------------------------------------------------------------ lifecycle and command line


def test_stop_is_prompt_during_a_hang_and_closes_everything():
    emu = TwilioEmulator().start()
    c = make_client(emu.account_sid, emu.auth_token, api_base=emu.base_url, timeout=0.2)
    try:
        emu.hang_next(1, seconds=30)
        with pytest.raises(requests.exceptions.ReadTimeout):
            c.messages.create(to=TO, from_=FROM, body="x")
    finally:
        close_client(c)
        t0 = time.monotonic()
        emu.stop()
    assert time.monotonic() - t0 < 2.0
    assert not [t for t in threading.enumerate() if t.name.startswith("twilio-emulator")]
    with pytest.raises(RuntimeError):
        emu.base_url  # noqa: B018


def test_command_line_serves_and_prints_the_base_url():
    cmd = [sys.executable, "-m", "sms.emulator", "--port", "0", "--account-sid", "AC" + "b" * 32,
           "--auth-token", "cli-token", "--latency", "0.01", "--auto-deliver"]
    with subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as proc:
        try:
            base = proc.stdout.readline().strip()
            assert re.fullmatch(r"http://127\.0\.0\.1:\d+", base), base
            c = make_client("AC" + "b" * 32, "cli-token", api_base=base)
            try:
                assert c.messages.create(to=TO, from_=FROM, body="cli").status == "queued"
            finally:
                close_client(c)
        finally:
            proc.terminate()
            proc.communicate(timeout=10)
    assert proc.returncode == 0
