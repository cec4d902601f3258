"""Staff operations. Functions add and flush; the caller commits."""
from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa

from core import audit
from core.roles import Role
from staff.models import Staff, StaffRole


class StaffError(ValueError):
    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


def create_staff(session, *, email: str, name: str, password: str, roles: Iterable[str],
                 branch: str | None = None, staff_code: str | None = None, phone: str | None = None,
                 actor=None) -> Staff:
    email = email.strip().lower()
    if "@" not in email:
        raise StaffError(f"not an email address: {email!r}", "email")
    if len(password) < 8:
        raise StaffError("the password must have at least 8 characters", "password")
    try:
        role_values = sorted({Role(r) for r in roles}, key=lambda r: r.value)
    except ValueError as exc:
        raise StaffError(f"unknown role ({exc}); roles are {', '.join(r.value for r in Role)}", "role") from None
    if not role_values:
        raise StaffError("give at least one role", "role")
    if Role.business_staff in role_values and not (branch and staff_code):
        raise StaffError("business staff need a branch and a staff code", "branch")
    if session.scalar(sa.select(Staff.id).where(Staff.email == email)):
        raise StaffError(f"a staff member with email {email} exists", "email")
    if staff_code and session.scalar(sa.select(Staff.id).where(Staff.staff_code == staff_code)):
        raise StaffError(f"staff code {staff_code} is taken", "staff_code")
    staff = Staff(email=email, name=name.strip(), branch=branch or None, staff_code=staff_code or None,
                  phone=phone)
    staff.set_password(password)
    staff.roles = [StaffRole(role=r) for r in role_values]
    session.add(staff)
    session.flush()
    audit.record(session, "staff.create", actor=actor, actor_label=None if actor else "cli",
                 obj_type="staff", obj_id=staff.id, detail={"email": email, "roles": [r.value for r in role_values]})
    return staff


def find_by_email(session, email: str) -> Staff | None:
    return session.scalar(sa.select(Staff).where(Staff.email == email.strip().lower()))


def authenticate(session, email: str, password: str, ip: str | None = None) -> Staff | None:
    """The staff member if the password is right and the account active; a failure is audited."""
    staff = find_by_email(session, email)
    if staff is not None and staff.active and staff.check_password(password):
        audit.record(session, "auth.login", actor=staff, obj_type="staff", obj_id=staff.id, ip=ip)
        return staff
    audit.record(session, "auth.login_failed", actor_label=email[:200], ip=ip,
                 detail={"reason": "inactive" if staff is not None and not staff.active else "bad credentials"})
    return None
