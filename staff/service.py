"""Staff operations. Functions add and flush; the caller commits."""
from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime

import sqlalchemy as sa

from core import audit, clock, phones
from core.errors import N_
from core.roles import Role
from staff import grants, sessions
from staff.errors import StaffError
from staff.models import Staff, StaffRole, StaffSession, check_dummy_password

__all__ = ["StaffError", "create_staff", "update_staff", "set_active", "find_by_email", "authenticate",
           "change_password", "set_new_password", "force_password_reset", "qualification_no"]

MIN_PASSWORD = 8
# 期货投资咨询从业资格证书编号: one Latin letter and digits (Z0012345); spaces are dropped, the letter upper-cased
_QUALIFICATION = re.compile(r"[A-Z][0-9]{4,15}")


def qualification_no(value: str | None) -> str | None:
    """The qualification number as stored (one letter then 4 to 15 digits, upper case), None when empty;
    StaffError otherwise."""
    text = "".join((value or "").split()).upper()
    if not text:
        return None
    if not _QUALIFICATION.fullmatch(text):
        raise StaffError(N_("%(value)s is not a qualification number: one letter and digits, such as Z0012345"),
                         "qualification_no", value=value)
    return text


def _password(password: str, field: str = "password") -> None:
    if len(password) < MIN_PASSWORD:
        raise StaffError(N_("the password must have at least 8 characters"), field)


def _roles(roles: Iterable[str]) -> list[Role]:
    try:
        return sorted({Role(r) for r in roles}, key=lambda r: r.value)
    except ValueError:
        raise StaffError(N_("unknown role; roles are %(roles)s"), "role",
                         roles=", ".join(r.value for r in Role)) from None


def _phone(phone: str | None) -> str | None:
    if not phone:
        return None
    try:
        return phones.e164_mobile(phone)
    except phones.PhoneError:
        raise StaffError(N_("the phone %(value)s is not a valid mobile number"), "phone", value=phone) from None


def _check_roles(session, roles: list[Role], branch: str | None, staff_code: str | None, staff_id=None) -> None:
    if not roles:
        raise StaffError(N_("give at least one role"), "role")
    if Role.business_staff in roles and not (branch and staff_code):
        raise StaffError(N_("business staff need a branch and a staff code"), "branch")
    if staff_code and session.scalar(sa.select(Staff.id).where(Staff.staff_code == staff_code, Staff.id != staff_id)):
        raise StaffError(N_("staff code %(value)s is taken"), "staff_code", code="staff_code_taken", value=staff_code)


def _give_roles(session, staff: Staff, roles: list[Role], actor, now: datetime) -> list[Role]:
    """Sets the roles held to `roles`. From the CLI (no actor) all at once; in the app, roles are taken away at
    once but the approver and admin roles are only asked for (staff/grants.py). Returns those asked for."""
    wanted = set(roles)
    if actor is not None and actor.id == staff.id and Role.admin in staff.role_set and Role.admin not in wanted:
        raise StaffError(N_("you cannot take away your own admin role"), "role", code="own_account")
    staff.roles = [r for r in staff.roles if r.role in wanted]
    if actor is not None:
        for grant in grants.pending(session, staff.id):
            if grant.role not in wanted:
                grants.cancel(session, grant, actor, now)
    asked = []
    for role in roles:
        if staff.has_role(role):
            continue
        if actor is not None and role in grants.CONFIRMED_ROLES:
            if grants.request(session, staff, role, actor, now) is not None:
                asked.append(role)
        else:
            staff.roles.append(StaffRole(role=role))
    session.flush()
    return asked


def create_staff(session, *, email: str, name: str, password: str, roles: Iterable[str],
                 branch: str | None = None, staff_code: str | None = None, phone: str | None = None,
                 qualification: str | None = None, actor=None) -> Staff:
    """A new account. `actor` is the admin on the staff page (None from the CLI): the approver and admin roles
    they give wait for a second admin's confirmation."""
    email = email.strip().lower()
    if "@" not in email:
        raise StaffError(N_("not an email address: %(value)s"), "email", value=email)
    _password(password)
    role_values = _roles(roles)
    _check_roles(session, role_values, branch, staff_code)
    if session.scalar(sa.select(Staff.id).where(Staff.email == email)):
        raise StaffError(N_("a staff member with email %(value)s exists"), "email", code="email_taken", value=email)
    staff = Staff(email=email, name=name.strip(), branch=branch or None, staff_code=staff_code or None,
                  phone=_phone(phone), qualification_no=qualification_no(qualification))
    staff.set_password(password)
    session.add(staff)
    session.flush()
    audit.record(session, "staff.create", actor=actor, actor_label=None if actor else "cli",
                 obj_type="staff", obj_id=staff.id, detail={"email": email, "roles": [r.value for r in role_values]})
    _give_roles(session, staff, role_values, actor, clock.now())
    return staff


_UNSET = object()


def update_staff(session, staff: Staff, *, actor=None, name=_UNSET, roles=_UNSET, branch=_UNSET,
                 staff_code=_UNSET, phone=_UNSET, qualification=_UNSET) -> list[Role]:
    """Changes what is given (the rest stays); returns the roles that now wait for a second admin."""
    changes: dict[str, object] = {}
    if name is not _UNSET and name.strip() and name.strip() != staff.name:
        staff.name = changes["name"] = name.strip()
    new_branch = staff.branch if branch is _UNSET else (branch or None)
    new_code = staff.staff_code if staff_code is _UNSET else (staff_code or None)
    if roles is _UNSET:
        held = sorted(staff.role_set, key=lambda r: r.value)
        asked_for = held + [g.role for g in grants.pending(session, staff.id)]
    else:
        held = asked_for = _roles(roles)
    _check_roles(session, asked_for, new_branch, new_code, staff.id)
    for field, value in (("branch", new_branch), ("staff_code", new_code)):
        if value != getattr(staff, field):
            setattr(staff, field, value)
            changes[field] = value
    if phone is not _UNSET and _phone(phone) != staff.phone:
        staff.phone = changes["phone"] = _phone(phone)
    if qualification is not _UNSET and qualification_no(qualification) != staff.qualification_no:
        staff.qualification_no = changes["qualification_no"] = qualification_no(qualification)
    asked: list[Role] = []
    if roles is not _UNSET:
        def state():
            return (sorted(r.value for r in staff.role_set),
                    sorted(g.role.value for g in grants.pending(session, staff.id)))

        before = state()
        asked = _give_roles(session, staff, held, actor, clock.now())
        after = state()
        if after != before:
            changes["roles"] = {"before": before[0], "after": after[0], "waiting": after[1]}
    if changes:
        audit.record(session, "staff.update", actor=actor, actor_label=None if actor else "cli", obj_type="staff",
                     obj_id=staff.id, detail={"email": staff.email, **changes})
    session.flush()
    return asked


def set_active(session, staff: Staff, active: bool, actor) -> None:
    """Let a staff member sign in (and use API tokens) or not; nobody switches themselves off. Deactivation
    ends every session of the account at once."""
    if staff.id == getattr(actor, "id", None) and not active:
        raise StaffError(N_("you cannot deactivate your own account"), "active", code="own_account")
    if staff.active == active:
        return
    staff.active = active
    if not active:
        sessions.revoke_all(session, staff.id, clock.now())
    audit.record(session, "staff.activate" if active else "staff.deactivate", actor=actor,
                 actor_label=None if actor else "cli", obj_type="staff", obj_id=staff.id,
                 detail={"email": staff.email})
    session.flush()


def find_by_email(session, email: str) -> Staff | None:
    return session.scalar(sa.select(Staff).where(Staff.email == email.strip().lower()))


def authenticate(session, email: str, password: str, ip: str | None = None) -> Staff | None:
    """The staff member if the password is right and the account active; a failure is audited.

    A password hash is checked whatever the email: the account's, or for an email nobody has (or a
    deactivated account) a dummy one made with the same method, so that the time an answer takes does not
    tell which accounts exist."""
    staff = find_by_email(session, email)
    right = staff.check_password(password) if staff is not None else check_dummy_password(password)
    if staff is not None and staff.active and right:
        audit.record(session, "auth.login", actor=staff, obj_type="staff", obj_id=staff.id, ip=ip)
        return staff
    audit.record(session, "auth.login_failed", actor_label=email[:200], ip=ip,
                 detail={"reason": "inactive" if staff is not None and not staff.active else "bad credentials"})
    return None


def change_password(session, staff: Staff, current: str, new: str, keep: StaffSession | None) -> None:
    """The user's own change: the current password is checked; every other session of theirs ends."""
    if not staff.check_password(current):
        raise StaffError(N_("the current password is not right"), "current", code="wrong_password")
    set_new_password(session, staff, new, keep)


def set_new_password(session, staff: Staff, new: str, keep: StaffSession | None) -> None:
    """A new password (also the one an admin's reset asked for); it must differ from the old one. Every session
    but `keep` (the one that changed it) ends."""
    _password(new, "new")
    if staff.check_password(new):
        raise StaffError(N_("choose a password different from the one you had"), "new", code="same_password")
    staff.set_password(new)
    forced = staff.must_change_password
    staff.must_change_password = False
    ended = sessions.revoke_all(session, staff.id, clock.now(), keep=keep)
    audit.record(session, "staff.password_change", actor=staff, obj_type="staff", obj_id=staff.id,
                 detail={"forced": forced, "sessions_ended": ended})
    session.flush()


def force_password_reset(session, staff: Staff, actor) -> int:
    """An admin's reset: every session of `staff` ends and their next sign-in ends on the new-password page
    (the password they have still opens it; nobody else learns a password). Returns the sessions ended."""
    staff.must_change_password = True
    ended = sessions.revoke_all(session, staff.id, clock.now())
    audit.record(session, "staff.password_reset", actor=actor, actor_label=None if actor else "cli",
                 obj_type="staff", obj_id=staff.id, detail={"email": staff.email, "sessions_ended": ended})
    session.flush()
    return ended
