"""A staff member's own mobile for test sends: an admin enters it and another admin (never its owner) verifies
it; who verified it is kept, and a changed number is unverified again."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from core.audit import AuditEntry
from core.extensions import db
from staff import test_mobile
from staff.errors import StaffError
from staff.models import Staff
from tests.conftest import csrf_from


def _fresh(staff: Staff) -> Staff:
    db.session.expire_all()
    return db.session.get(Staff, staff.id)


def _actions() -> list[str]:
    return list(db.session.scalars(sa.select(AuditEntry.action).where(AuditEntry.action.like("staff.test_mobile%"))
                                  .order_by(AuditEntry.id)))


def test_the_number_is_read_like_a_client_mobile_and_saved_unverified(app, make_staff):
    admin, analyst = make_staff("admin"), make_staff("researcher")
    assert test_mobile.set_mobile(db.session, analyst, " 139 0000 1111 ", admin)
    db.session.commit()
    analyst = _fresh(analyst)
    assert analyst.test_mobile == "+8613900001111" and analyst.test_mobile_verified_at is None
    assert analyst.phone is None  # never the phone shown to clients
    with pytest.raises(StaffError) as refused:
        test_mobile.set_mobile(db.session, analyst, "010 1234 5678", admin)  # a landline: no SMS
    assert refused.value.field == "test_mobile"


def test_an_admin_verifies_it_and_is_recorded_and_a_change_clears_it(app, make_staff, clock):
    entering, admin = make_staff("admin", name="录入管理员"), make_staff("admin", name="管理员")
    analyst = make_staff("researcher")
    test_mobile.set_mobile(db.session, analyst, "13900001111", entering)
    with pytest.raises(StaffError) as refused:  # one admin alone could point someone's test sends anywhere
        test_mobile.set_verified(db.session, analyst, True, entering, clock())
    assert refused.value.code == "staff.entered_it"
    assert test_mobile.set_verified(db.session, analyst, True, admin, clock())
    db.session.commit()
    analyst = _fresh(analyst)
    assert analyst.test_mobile_set_by_id == entering.id
    assert analyst.test_mobile_verified_by_id == admin.id and analyst.test_mobile_verified_at == clock()
    assert not test_mobile.set_mobile(db.session, analyst, "+86 139 0000 1111", admin)  # the same number
    assert _fresh(analyst).test_mobile_verified_at is not None
    test_mobile.set_mobile(db.session, analyst, "13900002222", admin)
    db.session.commit()
    analyst = _fresh(analyst)
    assert analyst.test_mobile == "+8613900002222"
    assert analyst.test_mobile_verified_at is None and analyst.test_mobile_verified_by_id is None
    assert analyst.test_mobile_set_by_id == admin.id  # who entered the new number, who may not verify it
    assert _actions() == ["staff.test_mobile", "staff.test_mobile_verify", "staff.test_mobile"]


def test_nobody_verifies_their_own_nor_an_empty_number(app, make_staff, clock):
    admin = make_staff("admin", "chief_analyst")
    with pytest.raises(StaffError):
        test_mobile.set_verified(db.session, admin, True, admin, clock())  # no number yet
    test_mobile.set_mobile(db.session, admin, "13900001111", admin)
    with pytest.raises(StaffError) as refused:
        test_mobile.set_verified(db.session, admin, True, admin, clock())
    assert refused.value.code == "staff.own_account"


def test_a_verification_on_a_number_changed_since_the_page_was_read_is_refused(app, make_staff, clock):
    first, second, analyst = make_staff("admin"), make_staff("admin"), make_staff("researcher")
    test_mobile.set_mobile(db.session, analyst, "13900001111", first)
    db.session.commit()
    seen = test_mobile.seen_value(analyst)  # the page the second admin reads
    test_mobile.set_mobile(db.session, analyst, "13900002222", first, seen=seen)
    db.session.commit()
    with pytest.raises(StaffError) as refused:
        test_mobile.set_verified(db.session, _fresh(analyst), True, second, clock(), seen=seen)
    assert refused.value.code == "staff.changed_since_read"
    db.session.rollback()
    assert _fresh(analyst).test_mobile_verified_at is None


def test_the_staff_page_sets_verifies_and_withdraws(app, client, auth, make_staff):
    make_staff("admin", email="a@example.com")
    make_staff("admin", email="b@example.com")
    analyst = make_staff("chief_analyst", name="首席")
    auth.login("a@example.com")
    url = f"/staff/{analyst.id}/test-mobile"

    def seen() -> str:
        page = client.get(f"/staff/{analyst.id}").get_data(as_text=True)
        assert csrf_from(page)
        return page.split('name="seen" value="', 1)[1].split('"', 1)[0]

    assert auth.post(url, {"action": "save", "test_mobile": "13900001111", "seen": seen()}).status_code == 302
    page = client.get(f"/staff/{analyst.id}").get_data(as_text=True)
    assert 'value="+8613900001111"' in page and 'value="verify"' in page
    auth.post(url, {"action": "verify", "seen": seen()})
    assert _fresh(analyst).test_mobile_verified_at is None  # a's own entry: another admin verifies it
    auth = type(auth)(app.test_client())
    client = auth.client
    auth.login("b@example.com")
    assert auth.post(url, {"action": "verify", "seen": seen()}).status_code == 302
    analyst = _fresh(analyst)
    assert analyst.test_mobile_verified_at is not None
    page = client.get(f"/staff/{analyst.id}").get_data(as_text=True)
    assert 'id="test-mobile-status"' in page and 'value="unverify"' in page
    stale = "+8613900001111|0"  # what the page said before the verification
    auth.post(url, {"action": "save", "test_mobile": "13900009999", "seen": stale})
    assert _fresh(analyst).test_mobile == "+8613900001111"  # refused: it changed since that page
    auth.post(url, {"action": "unverify", "seen": seen()})
    assert _fresh(analyst).test_mobile_verified_at is None
