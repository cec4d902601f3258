"""`demo seed` says how the demo handles the second factor, and what it prints is enough to sign in as every
demo account."""
from __future__ import annotations

import re

import pyotp

from core import clock
from tests.conftest import csrf_from
from tests.staff.conftest import fresh_client, signed_in


def _sign_in(app, email: str, password: str, keys: dict[str, str]) -> bool:
    browser = fresh_client(app)
    token = csrf_from(browser.get("/login").get_data(as_text=True))
    answer = browser.post("/login", data={"email": email, "password": password, "csrf_token": token})
    if answer.headers.get("Location") == "/login/code":
        token = csrf_from(browser.get("/login/code").get_data(as_text=True))
        browser.post("/login/code", data={"code": pyotp.TOTP(keys[email]).at(clock.now()), "csrf_token": token})
    return signed_in(browser)


def test_every_demo_account_can_sign_in_with_what_demo_seed_prints(app, runner):
    output = runner.invoke(args=["demo", "seed", "--clients", "50"]).output
    password = re.search(r"password: (\S+)\)", output).group(1)
    accounts = re.findall(r"^  (\S+@demo\.local) +(\S+)", output, flags=re.M)
    keys = dict(re.findall(r"^  (\S+@demo\.local) +key ([A-Z2-7]+)", output, flags=re.M))
    assert set(keys) == {"admin@demo.local", "compliance@demo.local"}
    assert "pyotp.TOTP" in output
    roles = {role for email, role in accounts if email not in keys or role != "key"}
    assert {"admin", "approver", "chief_analyst", "researcher", "business_staff"} <= roles
    for email in {email for email, _ in accounts}:
        assert _sign_in(app, email, password, keys), email


def test_without_the_second_factor_demo_seed_says_so(app, runner, monkeypatch):
    monkeypatch.setitem(app.config, "REQUIRE_SECOND_FACTOR", False)
    output = runner.invoke(args=["demo", "seed", "--clients", "50"]).output
    assert "REQUIRE_SECOND_FACTOR is off" in output and "key" not in output
    assert _sign_in(app, "compliance@demo.local", "demo-pass-2026", {})
