"""Admins manage staff accounts in the browser: create with roles, deactivate, never themselves."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from core.audit import AuditEntry
from core.extensions import db
from staff.models import Staff


def test_admin_creates_a_business_staff_account(client, auth, make_staff):
    make_staff("admin", email="a@example.com")
    auth.login("a@example.com")
    missing = auth.post("/staff", {"email": "b@example.com", "name": "业务员", "roles": ["business_staff"],
                                   "password": "long-enough-1"})
    assert missing.status_code == 200 and db.session.scalar(
        sa.select(Staff).where(Staff.email == "b@example.com")) is None
    made = auth.post("/staff", {"email": "b@example.com", "name": "业务员", "roles": ["business_staff", "researcher"],
                                "branch": "上海浦东营业部", "staff_code": "S900", "password": "long-enough-1",
                                "phone": "138 0013 8000"})
    assert made.status_code == 302
    staff = db.session.scalar(sa.select(Staff).where(Staff.email == "b@example.com"))
    assert {r.value for r in staff.role_set} == {"business_staff", "researcher"} and staff.staff_code == "S900"
    assert staff.phone == "+8613800138000"
    assert "业务员" in client.get("/staff").get_data(as_text=True)


def test_a_deactivated_account_cannot_sign_in_or_use_its_token(client, auth, make_staff, api_token):
    make_staff("admin", email="a@example.com")
    other = make_staff("approver", email="c@example.com")
    headers = api_token(other)
    auth.login("a@example.com")
    assert auth.post(f"/staff/{other.id}/active", {"active": "0"}).status_code == 302
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "staff.deactivate"))
    assert entry.object_id == str(other.id)
    assert client.get("/api/v1/tier-reviews/1", headers=headers).status_code == 401
    auth.post("/logout")
    assert auth.login("c@example.com").status_code == 200  # the form again, not a redirect


def test_an_admin_cannot_deactivate_themselves(client, auth, make_staff):
    me = make_staff("admin", email="a@example.com")
    auth.login("a@example.com")
    auth.post(f"/staff/{me.id}/active", {"active": "0"})
    db.session.expire_all()
    assert db.session.get(Staff, me.id).active is True


@pytest.mark.parametrize("target", ["https://evil.example/x", "//evil.example/x", "/\\evil.example/x", "javascript:alert(1)"])
def test_sign_in_never_follows_next_off_the_site(client, make_staff, target):
    from tests.conftest import PASSWORD, csrf_from

    staff = make_staff("researcher")  # no second factor: the password's answer is the last redirect
    token = csrf_from(client.get("/login").get_data(as_text=True))
    response = client.post("/login?next=" + target, data={"email": staff.email, "password": PASSWORD,
                                                          "csrf_token": token})
    assert response.status_code == 302 and response.headers["Location"] == "/"
