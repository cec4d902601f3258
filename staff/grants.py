"""Four eyes on who may approve: the approver and admin roles asked for in the app are held only once a second
admin confirms (neither the admin who asked nor the grantee), so one admin cannot make the two accounts that
pass an approval alone. The server's CLI, run by whoever operates the server, grants directly (audited).

Functions flush; callers commit. A grant is decided by one conditional UPDATE (still pending), checked by row
count, so two admins deciding at once cannot both win.
"""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from core import audit
from core.errors import N_
from core.roles import Role
from staff.errors import StaffError
from staff.models import GrantStatus, RoleGrant, Staff, StaffRole

# the roles that need a second admin's confirmation when granted in the app
CONFIRMED_ROLES = frozenset({Role.approver, Role.admin})


def request(session, staff: Staff, role: Role, actor: Staff, now: datetime) -> RoleGrant | None:
    """Asks for `role` for `staff`; None if it is held or already asked for."""
    if staff.has_role(role):
        return None
    pending = session.scalar(sa.select(RoleGrant).where(RoleGrant.staff_id == staff.id, RoleGrant.role == role,
                                                         RoleGrant.status == GrantStatus.pending))
    if pending is not None:
        return None
    grant = RoleGrant(staff_id=staff.id, role=role, requested_by_id=actor.id, requested_at=now)
    session.add(grant)
    session.flush()
    audit.record(session, "staff.role_requested", actor=actor, obj_type="staff", obj_id=staff.id,
                 detail={"email": staff.email, "role": role.value, "grant_id": grant.id})
    return grant


def pending(session, staff_id: int | None = None) -> list[RoleGrant]:
    query = sa.select(RoleGrant).where(RoleGrant.status == GrantStatus.pending).order_by(RoleGrant.requested_at)
    if staff_id is not None:
        query = query.where(RoleGrant.staff_id == staff_id)
    return list(session.scalars(query))


def _decide(session, grant: RoleGrant, status: GrantStatus, actor: Staff, now: datetime) -> None:
    done = session.execute(sa.update(RoleGrant).where(RoleGrant.id == grant.id,
                                                      RoleGrant.status == GrantStatus.pending)
                           .values(status=status, decided_by_id=actor.id, decided_at=now)
                           .execution_options(synchronize_session=False)).rowcount
    session.expire(grant)
    if done != 1:
        raise StaffError(N_("this role grant was already confirmed or cancelled"), code="grant_decided")


def confirm(session, grant: RoleGrant, actor: Staff, now: datetime) -> None:
    """The second admin's confirmation: from then on the grantee holds the role."""
    if actor.id in (grant.requested_by_id, grant.staff_id):
        raise StaffError(N_("another admin must confirm: not the one who asked, not the one who gets the role"),
                         code="four_eyes")
    if not grant.staff.active:
        raise StaffError(N_("%(name)s is deactivated; reactivate the account first"), code="inactive",
                         name=grant.staff.name)
    _decide(session, grant, GrantStatus.confirmed, actor, now)
    staff = grant.staff
    if not staff.has_role(grant.role):
        staff.roles.append(StaffRole(role=grant.role))
    audit.record(session, "staff.role_granted", actor=actor, obj_type="staff", obj_id=staff.id,
                 detail={"email": staff.email, "role": grant.role.value, "grant_id": grant.id,
                         "requested_by": grant.requested_by_id})
    session.flush()


def cancel(session, grant: RoleGrant, actor: Staff, now: datetime) -> None:
    _decide(session, grant, GrantStatus.cancelled, actor, now)
    audit.record(session, "staff.role_cancelled", actor=actor, obj_type="staff", obj_id=grant.staff_id,
                 detail={"role": grant.role.value, "grant_id": grant.id})
    session.flush()
