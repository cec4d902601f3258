"""The approver and admin roles given in the app are held only once a second admin confirms, neither the one who
asked nor the grantee; so one admin cannot make the two accounts that pass an approval alone. The server's CLI
grants at once and is audited. Qualification numbers are set on the staff page and by the CLI."""
from __future__ import annotations

import sqlalchemy as sa

from core.audit import AuditEntry
from core.extensions import db
from core.roles import Role
from staff.models import GrantStatus, RoleGrant, Staff
from tests.conftest import Auth
from tests.staff.conftest import fresh_client


def _staff(email: str) -> Staff:
    db.session.expire_all()
    return db.session.scalar(sa.select(Staff).where(Staff.email == email))


NEW = {"name": "合规", "password": "long-enough-1"}


def test_one_admin_cannot_make_two_approvers_alone(app, client, auth, make_staff):
    make_staff("admin", email="a@example.com")
    auth.login("a@example.com")
    for email in ("x@example.com", "y@example.com"):
        assert auth.post("/staff", {**NEW, "email": email, "roles": ["approver", "researcher"]}).status_code == 302
        made = _staff(email)
        assert made.role_set == {Role.researcher}  # approver is not held yet
    grants = db.session.scalars(sa.select(RoleGrant).order_by(RoleGrant.id)).all()
    assert [(g.role, g.status) for g in grants] == [(Role.approver, GrantStatus.pending)] * 2
    for grant in grants:  # the admin who asked cannot confirm
        assert auth.post(f"/staff/grants/{grant.id}/confirm").status_code == 302
    assert _staff("x@example.com").role_set == {Role.researcher}
    assert {g.status for g in db.session.scalars(sa.select(RoleGrant))} == {GrantStatus.pending}
    # nor can the grantee confirm their own, even as an admin
    make_staff("admin", email="b@example.com")
    auth.post(f"/staff/{_staff('b@example.com').id}", {"name": "乙", "roles": ["admin", "approver"]})
    own = db.session.scalar(sa.select(RoleGrant).where(RoleGrant.staff_id == _staff("b@example.com").id))
    second = Auth(fresh_client(app))
    second.login("b@example.com")
    assert second.post(f"/staff/grants/{own.id}/confirm").status_code == 302
    assert Role.approver not in _staff("b@example.com").role_set
    # a second admin confirms the first: from then on the role is held
    assert second.post(f"/staff/grants/{grants[0].id}/confirm").status_code == 302
    assert _staff("x@example.com").role_set == {Role.researcher, Role.approver}
    assert second.post(f"/staff/grants/{grants[0].id}/confirm").status_code == 302  # decided once only
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "staff.role_granted"))
    assert entry.actor_label == "b@example.com" and entry.detail["role"] == "approver"
    assert entry.detail["requested_by"] == _staff("a@example.com").id


def test_an_account_asked_only_as_approver_holds_no_role_until_confirmed(app, client, auth, make_staff):
    make_staff("admin", email="a@example.com")
    auth.login("a@example.com")
    assert auth.post("/staff", {**NEW, "email": "x@example.com", "roles": ["approver"]}).status_code == 302
    assert _staff("x@example.com").role_set == frozenset()
    browser = Auth(fresh_client(app))
    assert browser.login("x@example.com", "long-enough-1").status_code == 302  # signs in, sees nothing
    assert browser.client.get("/broadcasts").status_code == 403


def test_unticking_a_waiting_role_cancels_it_and_roles_can_be_taken_away_at_once(app, client, auth, make_staff):
    make_staff("admin", email="a@example.com")
    person = make_staff("chief_analyst", "researcher", email="c@example.com")
    auth.login("a@example.com")
    auth.post(f"/staff/{person.id}", {"name": "首席", "roles": ["chief_analyst", "approver"]})
    assert _staff("c@example.com").role_set == {Role.chief_analyst}
    auth.post(f"/staff/{person.id}", {"name": "首席", "roles": ["chief_analyst"]})
    assert db.session.scalar(sa.select(RoleGrant.status)) == GrantStatus.cancelled


def test_an_admin_cannot_take_away_their_own_admin_role(app, client, auth, make_staff):
    me = make_staff("admin", email="a@example.com")
    auth.login("a@example.com")
    auth.post(f"/staff/{me.id}", {"name": "管理员", "roles": ["researcher"]})
    assert Role.admin in _staff("a@example.com").role_set


def test_the_cli_grants_at_once_and_is_audited(app, runner):
    made = runner.invoke(args=["users", "create", "--email", "c@example.com", "--name", "合规", "--role", "approver",
                               "--password", "long-enough-1", "--qualification-no", "z 0012345"])
    assert made.exit_code == 0, made.output
    person = _staff("c@example.com")
    assert person.role_set == {Role.approver} and person.qualification_no == "Z0012345"
    updated = runner.invoke(args=["users", "update", "c@example.com", "--role", "approver", "--role", "admin",
                                  "--qualification-no", "F1234567"])
    assert updated.exit_code == 0, updated.output
    person = _staff("c@example.com")
    assert person.role_set == {Role.approver, Role.admin} and person.qualification_no == "F1234567"
    entries = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.object_id == str(person.id))).all()
    assert {e.action for e in entries} >= {"staff.create", "staff.update"}
    assert all(e.actor_label == "cli" for e in entries)
    bad = runner.invoke(args=["users", "update", "c@example.com", "--qualification-no", "12345"])
    assert bad.exit_code != 0 and "Z0012345" in bad.output
    assert runner.invoke(args=["users", "update", "c@example.com", "--inactive"]).exit_code == 0
    assert _staff("c@example.com").active is False


def test_the_staff_page_shows_and_sets_the_qualification_number(app, client, auth, make_staff):
    make_staff("admin", email="a@example.com")
    analyst = make_staff("chief_analyst", email="chief@example.com", qualification_no=None)
    auth.login("a@example.com")
    assert auth.post(f"/staff/{analyst.id}", {"name": "首席", "roles": ["chief_analyst"],
                                              "qualification_no": " z0012345 "}).status_code == 302
    assert _staff("chief@example.com").qualification_no == "Z0012345"
    assert "Z0012345" in client.get("/staff").get_data(as_text=True)
    refused = auth.post(f"/staff/{analyst.id}", {"name": "首席", "roles": ["chief_analyst"],
                                                 "qualification_no": "ZZ12"})
    assert refused.status_code == 200 and "Z0012345" in refused.get_data(as_text=True)
    assert _staff("chief@example.com").qualification_no == "Z0012345"
    made = auth.post("/staff", {**NEW, "email": "r@example.com", "roles": ["researcher"], "qualification_no": "f7654321"})
    assert made.status_code == 302 and _staff("r@example.com").qualification_no == "F7654321"
