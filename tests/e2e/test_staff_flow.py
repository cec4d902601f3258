"""An admin's first sign-in in the browser: enrolling the second factor from the page (QR code and key, no
script), the recovery codes shown once; then an approver account made on the staff page waits for a second
admin, who confirms it in their own browser."""
from __future__ import annotations

import sqlalchemy as sa
from playwright.sync_api import expect

from core.extensions import db
from core.roles import Role
from staff.models import Staff
from tests.e2e.conftest import zh


def test_admin_enrols_then_a_second_admin_confirms_an_approver(app, site, users, screenshot, make_staff):
    make_staff("admin", email="admin@example.com", name="管理员", enrolled=False)
    make_staff("admin", email="admin2@example.com", name="第二管理员")
    admin = users.sign_in("admin@example.com")  # through the enrolment page and the recovery codes
    assert db.session.scalar(sa.select(Staff.totp_secret).where(Staff.email == "admin@example.com"))

    admin.locator("header nav").get_by_role("link", name=zh("Staff")).click()
    form = admin.locator("form", has=admin.locator("input[name=email]"))
    form.locator("input[name=email]").fill("compliance@example.com")
    form.locator("input[name=name]").fill("郑合规")
    form.locator("input[name=password]").fill("long-enough-1")
    form.locator("input[name=qualification_no]").fill("z0012345")
    form.locator("input[name=roles][value=approver]").check()
    form.get_by_role("button", name=zh("Create account")).click()
    waiting = admin.locator("section.card", has=admin.get_by_role("heading", name=zh("Roles waiting for a second admin")))
    expect(waiting).to_contain_text("compliance@example.com")
    expect(waiting.get_by_role("button", name=zh("Confirm"))).to_have_count(0)  # not the one who asked
    expect(admin.locator("table").last).to_contain_text("Z0012345")

    second = users.sign_in("admin2@example.com")
    second.goto("/staff")
    second.get_by_role("button", name=zh("Confirm")).click()
    expect(second.locator("p.flash")).to_be_visible()
    screenshot(second)
    db.session.expire_all()
    person = db.session.scalar(sa.select(Staff).where(Staff.email == "compliance@example.com"))
    assert person.role_set == {Role.approver} and person.qualification_no == "Z0012345"
