"""Sessions live on the server: a copied session cookie is worth nothing after logout, a password change
(other sessions), an admin's reset or deactivation. Sign-in checks a password hash even for unknown emails."""
from __future__ import annotations

import sqlalchemy as sa

import staff.models
from core.audit import AuditEntry
from core.extensions import db
from staff.models import Staff, StaffSession
from tests.conftest import PASSWORD, Auth, csrf_from
from tests.staff.conftest import fresh_client, signed_in


def _cookie(client) -> str:
    return client.get_cookie("session").value


def test_a_session_cookie_replayed_after_logout_is_signed_out(app, client, auth, make_staff):
    make_staff("researcher", email="r@example.com")
    auth.login("r@example.com")
    copied = _cookie(client)
    assert signed_in(fresh_client(app, copied))  # the copy works while the session lives
    assert auth.post("/logout").status_code == 302
    replay = fresh_client(app, copied)
    assert not signed_in(replay)
    assert replay.get("/followups").headers["Location"].startswith("/login")
    row = db.session.scalar(sa.select(StaffSession))
    assert row.revoked_at is not None
    assert db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "auth.logout")) is not None


def test_a_replayed_cookie_of_an_approver_is_signed_out_after_logout(app, client, auth, make_staff):
    make_staff("approver", email="c@example.com")
    auth.login("c@example.com")
    copied = _cookie(client)
    auth.post("/logout")
    assert not signed_in(fresh_client(app, copied))


def test_changing_the_password_ends_the_other_sessions_and_keeps_this_one(app, client, auth, make_staff):
    make_staff("researcher", email="r@example.com")
    other = Auth(fresh_client(app))
    other.login("r@example.com")
    auth.login("r@example.com")
    wrong = auth.post("/account/password", {"current": "not-it-at-all", "new": "brand-new-pass-9",
                                            "confirm": "brand-new-pass-9"})
    assert wrong.status_code == 200 and signed_in(other.client)
    mismatch = auth.post("/account/password", {"current": PASSWORD, "new": "brand-new-pass-9",
                                               "confirm": "brand-new-pass-8"})
    assert mismatch.status_code == 200 and signed_in(other.client)
    short = auth.post("/account/password", {"current": PASSWORD, "new": "short", "confirm": "short"})
    assert short.status_code == 200
    changed = auth.post("/account/password", {"current": PASSWORD, "new": "brand-new-pass-9",
                                              "confirm": "brand-new-pass-9"})
    assert changed.status_code == 302
    assert signed_in(client)
    assert not signed_in(other.client)
    assert Auth(fresh_client(app)).login("r@example.com").status_code == 200  # the old password: refused
    assert Auth(fresh_client(app)).login("r@example.com", "brand-new-pass-9").status_code == 302
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "staff.password_change"))
    assert entry.detail["sessions_ended"] == 1


def test_deactivation_ends_every_session_at_once(app, client, auth, make_staff):
    make_staff("admin", email="a@example.com")
    victim = make_staff("chief_analyst", email="chief@example.com")
    theirs = Auth(fresh_client(app))
    theirs.login("chief@example.com")
    copied = _cookie(theirs.client)
    auth.login("a@example.com")
    assert auth.post(f"/staff/{victim.id}/active", {"active": "0"}).status_code == 302
    assert not signed_in(theirs.client)
    assert not signed_in(fresh_client(app, copied))
    # reactivated, the old cookie stays dead: the session ended, it did not just pause
    assert auth.post(f"/staff/{victim.id}/active", {"active": "1"}).status_code == 302
    assert not signed_in(fresh_client(app, copied))


def test_an_admins_reset_signs_out_and_asks_for_a_new_password_first(app, client, auth, make_staff):
    make_staff("admin", email="a@example.com")
    user = make_staff("researcher", email="r@example.com")
    theirs = Auth(fresh_client(app))
    theirs.login("r@example.com")
    auth.login("a@example.com")
    assert auth.post(f"/staff/{user.id}/reset-password").status_code == 302
    assert not signed_in(theirs.client)
    browser = fresh_client(app)
    token = csrf_from(browser.get("/login").get_data(as_text=True))
    answer = browser.post("/login", data={"email": "r@example.com", "password": PASSWORD, "csrf_token": token})
    assert answer.headers["Location"] == "/login/new-password"
    assert not signed_in(browser)  # nothing else opens before the new password
    assert browser.get("/followups").headers["Location"].startswith("/login")
    page = browser.get("/login/new-password").get_data(as_text=True)
    same = browser.post("/login/new-password", data={"new": PASSWORD, "confirm": PASSWORD,
                                                     "csrf_token": csrf_from(page)})
    assert same.status_code == 200 and not signed_in(browser)  # not the password the admin distrusted
    page = browser.get("/login/new-password").get_data(as_text=True)
    done = browser.post("/login/new-password", data={"new": "fresh-pass-77", "confirm": "fresh-pass-77",
                                                     "csrf_token": csrf_from(page)})
    assert done.status_code == 302 and signed_in(browser)
    db.session.expire_all()
    assert db.session.get(Staff, user.id).must_change_password is False
    actions = set(db.session.scalars(sa.select(AuditEntry.action)))
    assert {"staff.password_reset", "staff.password_change"} <= actions


def test_sign_in_checks_a_password_hash_for_unknown_emails_too(app, client, make_staff, monkeypatch):
    """So that the time an answer takes does not tell which emails have accounts (the count, not the time)."""
    make_staff("researcher", email="r@example.com")
    gone = make_staff("researcher", email="gone@example.com")
    gone.active = False
    db.session.commit()
    calls = []
    real = staff.models.check_password_hash

    def counting(pwhash, password):
        calls.append(pwhash)
        return real(pwhash, password)

    monkeypatch.setattr(staff.models, "check_password_hash", counting)
    for email in ("nobody@example.com", "r@example.com", "gone@example.com"):
        calls.clear()
        token = csrf_from(client.get("/login").get_data(as_text=True))
        answer = client.post("/login", data={"email": email, "password": "wrong-password-1", "csrf_token": token})
        assert answer.status_code == 200
        assert len(calls) == 1, email
        assert calls[0].startswith(staff.models.PASSWORD_HASH_METHOD.split(":")[0]), calls[0]


def test_a_pending_sign_in_opens_nothing(app, client, make_staff):
    """After the password alone (the second factor still owed), the browser is not signed in."""
    make_staff("approver", email="c@example.com")
    token = csrf_from(client.get("/login").get_data(as_text=True))
    answer = client.post("/login", data={"email": "c@example.com", "password": PASSWORD, "csrf_token": token})
    assert answer.headers["Location"] == "/login/code"
    assert not signed_in(client)
    assert client.get("/broadcasts").headers["Location"].startswith("/login")
    assert client.get("/account").headers["Location"].startswith("/login")


def test_a_session_keeps_when_it_began_and_was_last_seen(app, client, auth, clock, make_staff):
    from tests.staff.conftest import T0

    make_staff("researcher", email="r@example.com")
    auth.login("r@example.com")
    clock.advance(minutes=5)
    client.get("/")
    db.session.expire_all()
    row = db.session.scalar(sa.select(StaffSession))
    assert row.created_at == T0 and row.last_seen_at == T0.replace(minute=5)
    page = client.get("/account").get_data(as_text=True)  # in Shanghai's time
    assert "<td>2026-11-25 10:00</td><td>2026-11-25 10:05</td>" in page
