"""The second factor's operations: enrolment, checking a code, recovery codes, a reset by the operator.
The decisions are in staff/totp.py. Functions flush; callers commit.

A code is accepted by a conditional UPDATE (the TOTP step only moves forward; a recovery code is marked used
only while unused), so two requests racing with one code cannot both pass.
"""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from core import audit
from staff import sessions, totp
from staff.models import RecoveryCode, Staff


def assign(session, staff: Staff, secret: str, step: int | None = None) -> list[str]:
    """Gives `staff` the TOTP `secret` and new recovery codes (returned in clear, once; their hashes are
    kept, the old ones are dropped)."""
    staff.totp_secret = secret
    staff.totp_last_step = step
    return new_recovery_codes(session, staff)


def new_recovery_codes(session, staff: Staff) -> list[str]:
    session.execute(sa.delete(RecoveryCode).where(RecoveryCode.staff_id == staff.id))
    codes = totp.new_recovery_codes()
    session.add_all(RecoveryCode(staff_id=staff.id, code_hash=totp.hash_recovery_code(c)) for c in codes)
    session.flush()
    return codes


def enrol(session, staff: Staff, secret: str, code: str, now: datetime, ip: str | None = None) -> list[str] | None:
    """Enrols `staff` with the `secret` their authenticator shows `code` for and returns the recovery codes;
    None (audited, for the caller to commit) when the code is not right."""
    step = totp.accepted_step(secret, code, now, None)
    if step is None:
        audit.record(session, "auth.second_factor_failed", actor=staff, obj_type="staff", obj_id=staff.id, ip=ip,
                     detail={"at": "enrolment"})
        session.flush()
        return None
    codes = assign(session, staff, secret, step)
    audit.record(session, "auth.second_factor_enrolled", actor=staff, obj_type="staff", obj_id=staff.id, ip=ip)
    return codes


def check(session, staff: Staff, code: str, now: datetime, ip: str | None = None) -> str | None:
    """'totp' or 'recovery' when `code` is a right, unused code of `staff`, else None; a failure is audited."""
    used = None
    if staff.totp_secret and totp.looks_like_totp(code):
        step = totp.accepted_step(staff.totp_secret, code, now, staff.totp_last_step)
        if step is not None and session.execute(
                sa.update(Staff).where(Staff.id == staff.id, sa.or_(Staff.totp_last_step.is_(None),
                                                                     Staff.totp_last_step < step))
                .values(totp_last_step=step).execution_options(synchronize_session=False)).rowcount == 1:
            used = "totp"
    elif staff.totp_secret and code.strip():
        if session.execute(
                sa.update(RecoveryCode).where(RecoveryCode.staff_id == staff.id,
                                              RecoveryCode.code_hash == totp.hash_recovery_code(code),
                                              RecoveryCode.used_at.is_(None))
                .values(used_at=now).execution_options(synchronize_session=False)).rowcount == 1:
            used = "recovery"
    session.expire(staff, ["totp_last_step"])
    if used is None:
        audit.record(session, "auth.second_factor_failed", actor=staff, obj_type="staff", obj_id=staff.id, ip=ip,
                     detail={"at": "sign-in"})
    else:
        audit.record(session, "auth.second_factor", actor=staff, obj_type="staff", obj_id=staff.id, ip=ip,
                     detail={"by": used})
    session.flush()
    return used


def recovery_codes_left(session, staff: Staff) -> int:
    return session.scalar(sa.select(sa.func.count()).select_from(RecoveryCode)
                          .where(RecoveryCode.staff_id == staff.id, RecoveryCode.used_at.is_(None)))


def reset(session, staff: Staff, now: datetime, actor=None) -> None:
    """The operator's way back for someone who lost both authenticator and recovery codes: the secret and
    codes go, every session ends, and the next sign-in enrols again (when a second factor is asked)."""
    staff.totp_secret = None
    staff.totp_last_step = None
    session.execute(sa.delete(RecoveryCode).where(RecoveryCode.staff_id == staff.id))
    sessions.revoke_all(session, staff.id, now)
    audit.record(session, "auth.second_factor_reset", actor=actor, actor_label=None if actor else "cli",
                 obj_type="staff", obj_id=staff.id, detail={"email": staff.email})
    session.flush()
