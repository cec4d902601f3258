"""A staff member's own mobile for test sends (broadcast/test_send.py), set and verified by an admin.

Not the phone shown to clients ({staff_phone}): this number only ever gets test sends of broadcasts, and only
once an admin has verified it is the staff member's own (called it, seen the handset), so that an unapproved
text can never be pointed at anyone else. Who verified it and when are kept; a changed number is unverified
again. Nobody verifies their own, nor a number they entered: two admins stand behind every verified number.
Each change is conditional on what the admin saw (the number and whether it
was verified), so two admins at once never verify a number neither of them looked at.
"""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from core import audit, phones
from core.errors import N_
from staff.errors import StaffError
from staff.models import Staff


def normalise(raw: str | None) -> str | None:
    """The number as stored (E.164, read like client mobiles: a Chinese national number or +country); None when
    empty; StaffError naming it when SMS cannot reach it."""
    if raw is None or not raw.strip():
        return None
    try:
        return phones.e164_mobile(raw)
    except phones.PhoneError:
        raise StaffError(N_("the mobile %(value)s is not a valid mobile number"), "test_mobile",
                         value=raw.strip()) from None


def may_verify(mobile: str | None, own: bool, entered_it: bool = False) -> StaffError | None:
    """Why an admin may not verify `mobile` (None when they may): there must be a number, nobody verifies their
    own, and the admin who entered the number is not the one who verifies it (else one admin alone could point
    someone's test sends at any number)."""
    if mobile is None:
        return StaffError(N_("enter the mobile before verifying it"), "test_mobile", code="no_test_mobile")
    if own:
        return StaffError(N_("another admin verifies your own test mobile"), "test_mobile", code="own_account")
    if entered_it:
        return StaffError(N_("you entered this number: another admin verifies it"), "test_mobile",
                          code="entered_it")
    return None


def seen_value(staff: Staff) -> str:
    """The state a page shows, sent back with its form (hidden `seen`): "<E.164>|1" when verified, "|0"."""
    return f"{staff.test_mobile or ''}|{1 if staff.test_mobile_verified_at is not None else 0}"


def _changed_meanwhile(staff: Staff) -> StaffError:
    return StaffError(N_("%(name)s's test mobile was changed meanwhile; look at it again"), "test_mobile",
                      code="changed_since_read", name=staff.name)


def _write(session, staff: Staff, seen: str | None, values: dict) -> None:
    """UPDATE `staff` with `values` only while the number and its verification are still what the admin saw
    (`seen`), checked by the row count; a lost race changes nothing."""
    if seen is not None and seen != seen_value(staff):
        raise _changed_meanwhile(staff)
    same_number = Staff.test_mobile == staff.test_mobile if staff.test_mobile is not None else \
        Staff.test_mobile.is_(None)
    same_verification = Staff.test_mobile_verified_at.is_not(None) if staff.test_mobile_verified_at is not None \
        else Staff.test_mobile_verified_at.is_(None)
    result = session.execute(sa.update(Staff).where(Staff.id == staff.id, same_number, same_verification)
                             .values(**values).execution_options(synchronize_session=False))
    if result.rowcount != 1:
        raise _changed_meanwhile(staff)
    session.expire(staff, ["test_mobile", "test_mobile_set_by_id", "test_mobile_verified_by_id",
                           "test_mobile_verified_at"])


def set_mobile(session, staff: Staff, raw: str | None, actor, *, seen: str | None = None) -> bool:
    """Set (or with an empty `raw`, clear) `staff`'s test mobile, as `actor` (an admin) typed it; a changed number
    is unverified until an admin verifies it. Conditional on what `actor` saw; audited. Returns whether anything
    changed. Flushes; the caller commits."""
    wanted, before = normalise(raw), staff.test_mobile
    if wanted == before:
        return False
    _write(session, staff, seen, {"test_mobile": wanted, "test_mobile_set_by_id": actor.id if wanted else None,
                                  "test_mobile_verified_by_id": None, "test_mobile_verified_at": None})
    audit.record(session, "staff.test_mobile", actor=actor, obj_type="staff", obj_id=staff.id,
                 detail={"email": staff.email, "old_mobile": phones.mask_mobile(before),
                         "new_mobile": phones.mask_mobile(wanted)})
    session.flush()
    return True


def set_verified(session, staff: Staff, verified: bool, actor, now: datetime, *, seen: str | None = None) -> bool:
    """Record that `actor` (an admin, never `staff` themselves) verified `staff`'s test mobile is their own, or
    withdraw the verification. Conditional on what `actor` saw; audited. Returns whether anything changed.
    Flushes; the caller commits."""
    if verified:
        problem = may_verify(staff.test_mobile, own=actor is not None and actor.id == staff.id,
                             entered_it=actor is not None and actor.id == staff.test_mobile_set_by_id)
        if problem is not None:
            raise problem
    if verified == (staff.test_mobile_verified_at is not None):
        return False
    _write(session, staff, seen, {"test_mobile_verified_by_id": actor.id if verified else None,
                                  "test_mobile_verified_at": now if verified else None})
    audit.record(session, "staff.test_mobile_verify" if verified else "staff.test_mobile_unverify", actor=actor,
                 obj_type="staff", obj_id=staff.id,
                 detail={"email": staff.email, "mobile": phones.mask_mobile(staff.test_mobile)})
    session.flush()
    return True
