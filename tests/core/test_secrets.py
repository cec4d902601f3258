"""No secret is ever written to a log or a page: passwords (right and wrong), API tokens, the provider's auth
token, SECRET_KEY and what is derived from it.

A representative day runs against the app served over HTTP on loopback (so werkzeug's request log is real):
signing in with a password, a failed sign-in, a token issued with `flask users token`, API calls with it and
with a wrong one, the provider's signed webhook (and a forged one) with SMS_GATEWAY=twilio. Every log record
of every logger at DEBUG, every page and answer, and the audit log are then searched for each secret.
"""
from __future__ import annotations

import logging
import re
import secrets
import threading

import pyotp
import pytest
import requests
import sqlalchemy as sa
from twilio.request_validator import RequestValidator
from werkzeug.serving import make_server

from core.audit import AuditEntry
from core.extensions import db
from sms.gateway import simulator_token

PASSWORD = "Zebra-Quartz-" + secrets.token_hex(6)
WRONG = "Guess-" + secrets.token_hex(6)
AUTH_TOKEN = "twilio-auth-" + secrets.token_hex(12)


@pytest.fixture
def served(app, monkeypatch):
    """The app on loopback, configured for Twilio with a real-looking auth token."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_port}"
    for key, value in {"PUBLIC_BASE_URL": base, "SMS_GATEWAY": "twilio", "TWILIO_ACCOUNT_SID": "AC" + "2" * 32,
                       "TWILIO_AUTH_TOKEN": AUTH_TOKEN, "TWILIO_FROM": "+15005550006"}.items():
        monkeypatch.setitem(app.config, key, value)
    yield base
    server.shutdown()
    server.server_close()
    thread.join()


def _csrf(html: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


def _sign_in(base: str, email: str, password: str, seen: list[str]) -> requests.Session:
    browser = requests.Session()
    browser.headers["Accept-Language"] = "en"
    page = browser.get(f"{base}/login")
    seen.append(page.text)
    answer = browser.post(f"{base}/login", data={"email": email, "password": password, "csrf_token": _csrf(page.text)})
    if not answer.url.endswith("/login/enrol"):
        seen.append(answer.text)
    else:  # the second factor's key is shown on this page alone (not `seen`): nowhere else
        key = re.search(r'<code class="secret">([A-Z2-7]+)</code>', answer.text).group(1)
        codes = browser.post(f"{base}/login/enrol", data={"code": pyotp.TOTP(key).now(),
                                                         "csrf_token": _csrf(answer.text)})
        assert codes.status_code == 200, codes.text[:300]
        browser.second_factor = [key, *re.findall(r"<li><code>([a-z2-9-]+)</code></li>", codes.text)]
    return browser


def test_no_secret_reaches_a_log_or_a_page(app, served, runner, make_staff, make_client, caplog):
    from staff.service import create_staff

    caplog.set_level(logging.DEBUG)
    for name in ("werkzeug", "app", "sqlalchemy", "flask_limiter", "twilio"):
        caplog.set_level(logging.DEBUG, logger=name)
    base = served
    create_staff(db.session, email="admin@example.com", name="管理员", password=PASSWORD,
                 roles=["admin", "chief_analyst", "approver"])
    db.session.commit()
    make_client("83001", mobile="+8613800000001")
    seen: list[str] = []

    # a failed sign-in, then the right one, and a walk through the pages
    _sign_in(base, "admin@example.com", WRONG, seen)
    browser = _sign_in(base, "admin@example.com", PASSWORD, seen)
    for path in ("/", "/clients", "/clients/83001", "/staff", "/audit", "/followups", "/broadcasts", "/imports",
                 "/account", "/tokens"):
        page = browser.get(base + path)
        assert page.status_code == 200 and page.url == base + path, path  # signed in, not sent to /login
        seen.append(page.text)

    # an API token from the command line, used, and a wrong one
    issued = runner.invoke(args=["users", "token", "admin@example.com"])
    assert issued.exit_code == 0
    token = issued.output.strip()
    assert token.startswith("fsms_")
    api = requests.get(f"{base}/api/v1/clients", headers={"Authorization": f"Bearer {token}"})
    assert api.status_code == 200
    refused = requests.get(f"{base}/api/v1/clients", headers={"Authorization": f"Bearer {token}x"})
    assert refused.status_code == 401
    seen += [api.text, refused.text, str(api.headers), str(refused.headers)]

    # the provider's webhook, signed with the auth token, and a forged one
    form = {"MessageSid": "SM" + secrets.token_hex(16), "AccountSid": "AC" + "2" * 32, "From": "+8613800000001",
            "To": "+15005550006", "Body": "螺纹止损设在哪里？"}
    signature = RequestValidator(AUTH_TOKEN).compute_signature(f"{base}/sms/inbound", form)
    inbound = requests.post(f"{base}/sms/inbound", data=form, headers={"X-Twilio-Signature": signature})
    forged = requests.post(f"{base}/sms/inbound", data={**form, "MessageSid": "SM" + "0" * 32},
                           headers={"X-Twilio-Signature": signature})
    assert inbound.status_code == 200 and forged.status_code == 403
    seen += [inbound.text, forged.text]
    audit = browser.get(f"{base}/audit")
    seen.append(audit.text)

    db.session.expire_all()
    stored = repr([(e.action, e.actor_label, e.detail) for e in db.session.scalars(sa.select(AuditEntry))])
    logs = "\n".join(f"{r.name} {r.levelname} {r.getMessage()} {r.args!r}" for r in caplog.records)
    assert "POST /login" in logs and "/api/v1/clients" in logs  # werkzeug's request log was captured
    assert "auth.login_failed" in stored and "token.create" in stored
    everything = {"logs": logs, "pages": "\n".join(seen), "audit log": stored}
    for label, secret in {"password": PASSWORD, "wrong password": WRONG, "API token": token,
                          "API token's secret part": token[12:], "auth token": AUTH_TOKEN,
                          "SECRET_KEY": app.config["SECRET_KEY"],
                          "simulator token": simulator_token(app.config["SECRET_KEY"]),
                          "TOTP key": browser.second_factor[0], "recovery code": browser.second_factor[1]}.items():
        for where, text in everything.items():
            assert secret not in text, f"the {label} is in the {where}"
