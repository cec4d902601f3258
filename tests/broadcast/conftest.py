"""Fixtures for sending: a clock, a scripted gateway, a worker, five gold clients and an approved broadcast."""
from __future__ import annotations

import threading

import pytest
from werkzeug.serving import make_server

from broadcast import service
from broadcast.settings import Settings
from clients.tiers import Tier
from core.clock import SettableClock
from core.extensions import db
from messaging.worker import Worker
from sms.emulator import TwilioEmulator
from sms.gateway import TwilioGateway
from tests.broadcast.helpers import T0, ScriptedGateway

SID = "AC" + "1" * 32
TOKEN = "emulated-auth-token"


@pytest.fixture
def clock(app):
    """The app's one clock, stopped at T0 (10:00 in Shanghai on a Wednesday) for this test: requests, webhooks
    and workers of the app all read it; the test moves it with set() and advance()."""
    before = app.extensions["clock"]
    app.extensions["clock"] = SettableClock(T0)
    yield app.extensions["clock"]
    app.extensions["clock"] = before


@pytest.fixture
def gateway():
    return ScriptedGateway()


@pytest.fixture
def worker(app, gateway, clock, monkeypatch):
    for key, value in {"SMS_RATE_PER_SECOND": 1000, "SMS_MAX_ATTEMPTS": 3, "QUIET_HOURS": "21:00-08:00"}.items():
        monkeypatch.setitem(app.config, key, value)
    w = Worker(app, gateway)
    yield w
    w.close()


@pytest.fixture
def book(make_client):
    return [make_client(str(i), mobile=f"+8613800000{i:03d}", tier=Tier.gold) for i in range(1, 6)]


@pytest.fixture
def approved(app, make_staff, book):
    """An approved daily comment to the five gold clients, with a research note."""
    settings = Settings.from_config(app.config)
    chief, ok = make_staff("chief_analyst"), make_staff("approver")
    b = service.create_draft(db.session, {"kind": "daily_comment", "title": "早评", "body": "{name}您好，早评见{note_link}",
                                          "note_markdown": "## 早评", "audience": {"tiers": ["gold"]}}, chief, settings)
    service.submit(db.session, b, chief, settings, now=T0)
    service.approve(db.session, b, ok)
    db.session.commit()
    b.chief = chief
    return b


@pytest.fixture
def live_app(app, monkeypatch):
    """The app served over HTTP on loopback, configured for Twilio, so that callbacks arrive for real."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_port}"
    for key, value in {"PUBLIC_BASE_URL": base, "SMS_GATEWAY": "twilio", "TWILIO_ACCOUNT_SID": SID,
                       "TWILIO_AUTH_TOKEN": TOKEN, "TWILIO_FROM": "+15005550006"}.items():
        monkeypatch.setitem(app.config, key, value)
    yield base
    server.shutdown()
    server.server_close()
    thread.join()


@pytest.fixture
def emulator():
    with TwilioEmulator(account_sid=SID, auth_token=TOKEN) as emu:
        yield emu


@pytest.fixture
def twilio_worker(app, live_app, emulator, clock, monkeypatch):
    for key, value in {"SMS_RATE_PER_SECOND": 1000, "SMS_MAX_ATTEMPTS": 4, "QUIET_HOURS": ""}.items():
        monkeypatch.setitem(app.config, key, value)
    gateway = TwilioGateway(SID, TOKEN, from_="+15005550006", api_base=emulator.base_url, timeout=0.5)
    w = Worker(app, gateway)
    yield w
    w.close()
