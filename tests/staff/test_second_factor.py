"""Approvers and admins sign in with a TOTP code after the password (enrolling on their first sign-in), with
one-time recovery codes; codes are never accepted twice; failures are audited and count in the sign-in limits;
bearer tokens are not asked for one."""
from __future__ import annotations

import re

import pyotp
import pytest
import sqlalchemy as sa

from app import create_app
from core.audit import AuditEntry
from core.config import ConfigError
from core.extensions import db, limiter
from staff import second_factor, totp
from staff.models import RecoveryCode, Staff
from tests.conftest import PASSWORD, Auth, _ContextPerRequest, csrf_from, enrol_secret, totp_code
from tests.staff.conftest import T0, fresh_client, signed_in


def _password(client, email: str, password: str = PASSWORD):
    token = csrf_from(client.get("/login").get_data(as_text=True))
    return client.post("/login", data={"email": email, "password": password, "csrf_token": token})


def _code(client, path: str, code: str):
    token = csrf_from(client.get(path).get_data(as_text=True))
    return client.post(path, data={"code": code, "csrf_token": token})


def _actions() -> list[str]:
    return list(db.session.scalars(sa.select(AuditEntry.action).order_by(AuditEntry.id)))


def test_an_approver_enrols_at_the_first_sign_in_and_gets_recovery_codes_once(app, client, clock, make_staff):
    person = make_staff("approver", email="c@example.com", enrolled=False)
    assert _password(client, "c@example.com").headers["Location"] == "/login/enrol"
    page = client.get("/login/enrol").get_data(as_text=True)
    assert 'src="data:image/svg+xml' in page and "<script" not in page.split("</head>")[1]
    secret = enrol_secret(page)
    assert client.get("/login/enrol").get_data(as_text=True).count(secret) == 1  # the same key until enrolled
    wrong = _code(client, "/login/enrol", "000000" if pyotp.TOTP(secret).at(T0) != "000000" else "111111")
    assert wrong.status_code == 200 and not signed_in(client)
    done = _code(client, "/login/enrol", pyotp.TOTP(secret).at(T0))
    codes = re.findall(r"<li><code>([a-z2-9]{5}-[a-z2-9]{5})</code></li>", done.get_data(as_text=True))
    assert done.status_code == 200 and len(codes) == totp.RECOVERY_CODES
    assert signed_in(client)
    db.session.expire_all()
    assert db.session.get(Staff, person.id).totp_secret == secret
    stored = set(db.session.scalars(sa.select(RecoveryCode.code_hash)))
    assert not stored & set(codes) and stored == {totp.hash_recovery_code(c) for c in codes}  # hashes only
    assert "auth.second_factor_failed" in _actions() and "auth.second_factor_enrolled" in _actions()
    assert client.get("/account").get_data(as_text=True).count("<code>") == 0  # shown once, never again


def test_an_enrolled_admin_gives_a_code_after_the_password_and_a_code_works_once(app, client, clock, make_staff):
    make_staff("admin", email="a@example.com")
    assert _password(client, "a@example.com").headers["Location"] == "/login/code"
    assert not signed_in(client)
    assert _code(client, "/login/code", "12345").status_code == 200
    assert not signed_in(client)
    code = totp_code("a@example.com")
    assert _code(client, "/login/code", code).status_code == 302 and signed_in(client)
    # the same code again, from another browser that has the password too: refused (no replay)
    other = fresh_client(app)
    _password(other, "a@example.com")
    assert _code(other, "/login/code", code).status_code == 200 and not signed_in(other)
    failed = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "auth.second_factor_failed")).all()
    assert len(failed) == 2 and all(e.actor_label == "a@example.com" for e in failed)


def test_a_code_from_the_previous_or_next_step_is_accepted_one_further_is_not(app, client, clock, make_staff):
    person = make_staff("admin", email="a@example.com")
    secret = person.totp_secret
    step = totp.step_at(T0)
    assert totp.accepted_step(secret, totp.code_at(secret, step - 1), T0, None) == step - 1
    assert totp.accepted_step(secret, totp.code_at(secret, step + 1), T0, None) == step + 1
    assert totp.accepted_step(secret, totp.code_at(secret, step + 2), T0, None) is None
    assert totp.accepted_step(secret, totp.code_at(secret, step), T0, step) is None  # used already


def test_a_recovery_code_signs_in_once(app, client, clock, make_staff):
    person = make_staff("admin", email="a@example.com", enrolled=False)
    codes = second_factor.assign(db.session, person, totp.new_secret())
    db.session.commit()
    _password(client, "a@example.com")
    assert _code(client, "/login/code", codes[3].upper().replace("-", " ")).status_code == 302
    assert signed_in(client)
    other = fresh_client(app)
    _password(other, "a@example.com")
    assert _code(other, "/login/code", codes[3]).status_code == 200 and not signed_in(other)
    assert second_factor.recovery_codes_left(db.session, person) == totp.RECOVERY_CODES - 1


def test_new_recovery_codes_replace_the_old_ones(app, client, auth, clock, make_staff):
    person = make_staff("approver", email="c@example.com", enrolled=False)
    old = second_factor.assign(db.session, person, totp.new_secret())
    db.session.commit()
    auth.login("c@example.com")
    clock.advance(seconds=60)
    page = auth.post("/account/recovery-codes", {"code": totp_code("c@example.com")})
    new = re.findall(r"<li><code>([a-z2-9]{5}-[a-z2-9]{5})</code></li>", page.get_data(as_text=True))
    assert page.status_code == 200 and len(new) == totp.RECOVERY_CODES and not set(new) & set(old)
    browser = fresh_client(app)
    _password(browser, "c@example.com")
    assert _code(browser, "/login/code", old[0]).status_code == 200
    assert _code(browser, "/login/code", new[0]).status_code == 302


def test_roles_without_a_second_factor_and_the_setting_off(app, client, make_staff, monkeypatch):
    make_staff("researcher", email="r@example.com")
    assert _password(client, "r@example.com").headers["Location"] == "/"
    make_staff("approver", email="c@example.com", enrolled=False)
    monkeypatch.setitem(app.config, "REQUIRE_SECOND_FACTOR", False)
    browser = fresh_client(app)
    assert _password(browser, "c@example.com").headers["Location"] == "/"
    # whoever has enrolled is still asked, whatever the setting
    make_staff("admin", email="a@example.com", enrolled=True)
    assert _password(fresh_client(app), "a@example.com").headers["Location"] == "/login/code"


def test_a_role_that_needs_a_second_factor_given_during_a_session_signs_it_out(app, client, auth, make_staff):
    from core.roles import Role
    from staff.models import StaffRole

    person = make_staff("researcher", email="r@example.com")
    auth.login("r@example.com")
    person.roles.append(StaffRole(role=Role.approver))  # as the second admin's confirmation does
    db.session.commit()
    assert not signed_in(client)
    assert Auth(fresh_client(app)).login("r@example.com").status_code == 302  # enrols, then in


def test_bearer_tokens_need_no_second_factor(app, client, make_staff, api_token):
    admin = make_staff("admin", email="a@example.com")
    assert client.get("/api/v1/clients", headers=api_token(admin)).status_code == 200


def test_next_survives_the_second_factor_and_never_leaves_the_site(app, client, clock, make_staff):
    make_staff("admin", email="a@example.com")
    for target, landing in (("/clients", "/clients"), ("//evil.example/x", "/")):
        browser = fresh_client(app)
        token = csrf_from(browser.get("/login").get_data(as_text=True))
        browser.post(f"/login?next={target}", data={"email": "a@example.com", "password": PASSWORD,
                                                    "csrf_token": token})
        clock.advance(seconds=30)
        assert _code(browser, "/login/code", totp_code("a@example.com")).headers["Location"] == landing


def test_a_pending_sign_in_lapses(app, client, clock, make_staff):
    make_staff("admin", email="a@example.com")
    _password(client, "a@example.com")
    clock.advance(minutes=11)
    assert client.get("/login/code").headers["Location"] == "/login"


@pytest.mark.parametrize("value", ["maybe", "2"])
def test_the_setting_is_on_or_off(monkeypatch, value):
    from core import config

    monkeypatch.setenv("REQUIRE_SECOND_FACTOR", value)
    with pytest.raises(ConfigError, match="REQUIRE_SECOND_FACTOR"):
        config.from_environment()
    monkeypatch.setenv("REQUIRE_SECOND_FACTOR", "off")
    assert config.from_environment()["REQUIRE_SECOND_FACTOR"] is False
    with pytest.raises(ConfigError, match="REQUIRE_SECOND_FACTOR"):
        config.check({"REQUIRE_SECOND_FACTOR": "yes"})


# ---- the sign-in limits count failed codes -------------------------------------------------------------------

@pytest.fixture
def limited(app):
    was_enabled = limiter.enabled
    other = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
                        "SECRET_KEY": "test-secret", "QUIET_HOURS": "", "RATELIMIT_ENABLED": True,
                        "RATELIMIT_STORAGE_URI": "memory://", "LOGIN_LIMIT": "50 per minute",
                        "LOGIN_ACCOUNT_LIMIT": "3 per minute"})
    other.test_client_class = _ContextPerRequest
    yield other
    with other.app_context():
        db.engine.dispose()
    limiter.enabled = was_enabled


def test_failed_codes_count_in_the_sign_in_limits_of_the_account(app, limited, make_staff):
    make_staff("admin", email="a@example.com")
    make_staff("researcher", email="r@example.com")
    browser = limited.test_client()
    browser.environ_base["REMOTE_ADDR"] = "10.0.2.1"
    assert _password(browser, "a@example.com", "wrong-password-1").status_code == 200  # one failure
    for n in range(2):  # the password from two other places, then a wrong code each time: two more
        browser = limited.test_client()
        browser.environ_base["REMOTE_ADDR"] = f"10.0.2.{n + 2}"
        assert _password(browser, "a@example.com").status_code == 302
        assert _code(browser, "/login/code", "000001").status_code == 200
    assert _code(browser, "/login/code", totp_code("a@example.com")).status_code == 429  # even the right one
    refused = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "auth.login_limited"))
    assert refused.actor_label == "a@example.com" and refused.detail["step"] == "staff.second_factor"
    # the account is held, not the address or anyone else
    other = limited.test_client()
    other.environ_base["REMOTE_ADDR"] = "10.0.2.99"
    assert _password(other, "r@example.com").status_code == 302
