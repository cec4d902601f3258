"""Staff operations. Functions add and flush; the caller commits."""
from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa

from core import audit, phones
from core.errors import N_, ServiceError
from core.roles import Role
from staff.models import Staff, StaffRole


class StaffError(ServiceError):
    domain = "staff"

    def __init__(self, template: str, field: str | None = None, **args: object):
        super().__init__(template, field=field, **args)


def create_staff(session, *, email: str, name: str, password: str, roles: Iterable[str],
                 branch: str | None = None, staff_code: str | None = None, phone: str | None = None,
                 actor=None) -> Staff:
    email = email.strip().lower()
    if "@" not in email:
        raise StaffError(N_("not an email address: %(value)s"), "email", value=email)
    if len(password) < 8:
        raise StaffError(N_("the password must have at least 8 characters"), "password")
    try:
        role_values = sorted({Role(r) for r in roles}, key=lambda r: r.value)
    except ValueError:
        raise StaffError(N_("unknown role; roles are %(roles)s"), "role",
                         roles=", ".join(r.value for r in Role)) from None
    if not role_values:
        raise StaffError(N_("give at least one role"), "role")
    if Role.business_staff in role_values and not (branch and staff_code):
        raise StaffError(N_("business staff need a branch and a staff code"), "branch")
    if session.scalar(sa.select(Staff.id).where(Staff.email == email)):
        raise StaffError(N_("a staff member with email %(value)s exists"), "email", code="email_taken", value=email)
    if staff_code and session.scalar(sa.select(Staff.id).where(Staff.staff_code == staff_code)):
        raise StaffError(N_("staff code %(value)s is taken"), "staff_code", code="staff_code_taken", value=staff_code)
    if phone:
        try:
            phone = phones.e164_mobile(phone)
        except phones.PhoneError:
            raise StaffError(N_("the phone %(value)s is not a valid mobile number"), "phone", value=phone) from None
    staff = Staff(email=email, name=name.strip(), branch=branch or None, staff_code=staff_code or None,
                  phone=phone or None)
    staff.set_password(password)
    staff.roles = [StaffRole(role=r) for r in role_values]
    session.add(staff)
    session.flush()
    audit.record(session, "staff.create", actor=actor, actor_label=None if actor else "cli",
                 obj_type="staff", obj_id=staff.id, detail={"email": email, "roles": [r.value for r in role_values]})
    return staff


def set_active(session, staff: Staff, active: bool, actor) -> None:
    """Let a staff member sign in (and use API tokens) or not; nobody switches themselves off."""
    if staff.id == getattr(actor, "id", None) and not active:
        raise StaffError(N_("you cannot deactivate your own account"), "active", code="own_account")
    if staff.active == active:
        return
    staff.active = active
    audit.record(session, "staff.activate" if active else "staff.deactivate", actor=actor, obj_type="staff",
                 obj_id=staff.id, detail={"email": staff.email})
    session.flush()


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
