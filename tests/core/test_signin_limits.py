"""Sign-in attempts are limited (Flask-Limiter) per client address and per account, failures only; a refusal
is a translated 429 page, audited with the address and the email, never the password.

The shared test app runs with RATELIMIT_ENABLED False (hundreds of sign-ins from one address); these tests
make an app of their own on the same database, with small limits, and check that the shared app stays
unlimited even while the limited one exists (the limiter is one object for the whole process).
"""
from __future__ import annotations

import logging

import pytest
import sqlalchemy as sa

from app import create_app
from core.audit import AuditEntry
from core.extensions import db, limiter
from tests.conftest import PASSWORD, Auth, _ContextPerRequest

WRONG = "not-the-password-42"


@pytest.fixture
def limited(app):
    """An app with limits on: 3 failed sign-ins a minute per address, 5 per account."""
    was_enabled = limiter.enabled
    other = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
                        "SECRET_KEY": "test-secret", "QUIET_HOURS": "", "RATELIMIT_ENABLED": True,
                        "RATELIMIT_STORAGE_URI": "memory://", "LOGIN_LIMIT": "3 per minute",
                        "LOGIN_ACCOUNT_LIMIT": "5 per minute"})
    other.test_client_class = _ContextPerRequest
    yield other
    with other.app_context():
        db.engine.dispose()
    limiter.enabled = was_enabled


def _attempt(client, email: str, password: str, address: str = "10.0.0.1", lang: str = "en"):
    """One sign-in through the form, from `address` (its own session, as a separate browser would have)."""
    auth = Auth(client)
    client.environ_base.update({"REMOTE_ADDR": address, "HTTP_ACCEPT_LANGUAGE": lang})
    return auth.login(email, password)


def test_failed_attempts_from_one_address_are_limited(app, limited, make_staff):
    make_staff("admin", email="a@example.com")
    make_staff("admin", email="b@example.com")
    client = limited.test_client()
    for email in ("a@example.com", "b@example.com", "nobody@example.com"):
        assert _attempt(client, email, WRONG).status_code == 200  # the form again, with its message
    refused = _attempt(client, "a@example.com", PASSWORD)  # even the right password, from this address
    assert refused.status_code == 429
    assert "Too many sign-in attempts" in refused.get_data(as_text=True)
    assert _attempt(limited.test_client(), "a@example.com", PASSWORD, address="10.0.0.2").status_code == 302


def test_failed_attempts_on_one_account_are_limited_whatever_the_address(app, limited, make_staff):
    make_staff("admin", email="a@example.com")
    make_staff("admin", email="b@example.com")
    for n in range(5):
        assert _attempt(limited.test_client(), "A@example.com ", WRONG, address=f"10.0.1.{n}").status_code == 200
    refused = _attempt(limited.test_client(), "a@example.com", PASSWORD, address="10.0.1.99")
    assert refused.status_code == 429
    # the account is held, not the address: someone else signs in from there
    assert _attempt(limited.test_client(), "b@example.com", PASSWORD, address="10.0.1.99").status_code == 302


def test_successful_sign_ins_do_not_count(app, limited, make_staff):
    for n in range(8):  # an office behind one address, everyone signing in in the morning (admins with a code)
        make_staff("admin" if n % 2 else "researcher", email=f"p{n}@example.com")
        assert _attempt(limited.test_client(), f"p{n}@example.com", PASSWORD).status_code == 302


def test_a_refusal_is_translated_audited_and_logged_without_the_password(app, limited, make_staff, caplog):
    caplog.set_level(logging.DEBUG)
    make_staff("admin", email="a@example.com")
    client = limited.test_client()
    for _ in range(3):
        _attempt(client, "a@example.com", WRONG, lang="zh")
    refused = _attempt(client, "a@example.com", WRONG, lang="zh")
    page = refused.get_data(as_text=True)
    assert refused.status_code == 429 and 'lang="zh-CN"' in page and "返回首页" in page  # in the reader's language
    db.session.expire_all()
    entries = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "auth.login_limited")).all()
    assert [(e.actor_label, e.ip, e.detail["by"]) for e in entries] == [("a@example.com", "10.0.0.1", "address")]
    assert len(db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "auth.login_failed")).all()) == 3
    everything = caplog.text + page + repr([(e.actor_label, e.detail) for e in
                                            db.session.scalars(sa.select(AuditEntry))])
    assert "too many failed attempts" in caplog.text
    assert WRONG not in everything and PASSWORD not in everything


def test_the_shared_test_app_stays_unlimited(app, client, limited, make_staff):
    """The limiter object is shared, and the limited app switched it on: this app's own setting still holds."""
    assert limiter.enabled
    make_staff("admin", email="a@example.com")
    for _ in range(12):
        assert Auth(client).login("a@example.com", WRONG).status_code == 200
    assert Auth(client).login("a@example.com").status_code == 302


def test_with_redis_the_attempts_are_counted_in_redis_for_every_web_process(app, make_staff):
    """RATELIMIT_STORAGE_URI=redis://... (the machines run Redis on 127.0.0.1:6379): the counts live in Redis,
    where every web process sees them, and a fresh app (another process, after a restart) still refuses."""
    import uuid

    import redis

    prefix = f"fsms-test-{uuid.uuid4().hex[:8]}"
    was_enabled = limiter.enabled
    config = {"TESTING": True, "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
              "SECRET_KEY": "test-secret", "QUIET_HOURS": "", "RATELIMIT_ENABLED": True,
              "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379", "RATELIMIT_KEY_PREFIX": prefix,
              "LOGIN_LIMIT": "3 per minute"}
    store = redis.Redis.from_url("redis://127.0.0.1:6379")
    make_staff("admin", email="a@example.com")
    apps = []
    try:
        first = create_app(config)
        apps.append(first)
        first.test_client_class = _ContextPerRequest
        for _ in range(3):
            assert _attempt(first.test_client(), "a@example.com", WRONG, address="10.0.9.1").status_code == 200
        assert any(store.scan_iter(f"*{prefix}*")), "no counter in Redis"
        second = create_app(config)  # as another web process would start
        apps.append(second)
        second.test_client_class = _ContextPerRequest
        assert _attempt(second.test_client(), "a@example.com", PASSWORD, address="10.0.9.1").status_code == 429
    finally:
        for key in store.scan_iter(f"*{prefix}*"):
            store.delete(key)
        limiter.enabled = was_enabled
        for made in apps:
            with made.app_context():
                db.engine.dispose()
