"""The sending fixtures of tests/broadcast (clock, scripted gateway, worker) serve follow-up replies too, and
one desk of staff serves the intake, service and API tests."""
import pytest

from core.extensions import db
from tests.broadcast.conftest import (  # noqa: F401
    approved,
    book,
    clock,
    emulator,
    gateway,
    live_app,
    twilio_worker,
    worker,
)


@pytest.fixture
def people(make_staff):
    """Two business staff of one branch and one of another, three researchers (r1 and r2 on duty), the chief
    analyst, compliance and an admin."""
    staff = {
        "owner": make_staff("business_staff", email="owner@example.com", branch="上海浦东营业部", staff_code="S01"),
        "colleague": make_staff("business_staff", email="colleague@example.com", branch="上海浦东营业部",
                                staff_code="S02"),
        "far": make_staff("business_staff", email="far@example.com", branch="北京朝阳营业部", staff_code="S03"),
        "r1": make_staff("researcher", email="r1@example.com"),
        "r2": make_staff("researcher", email="r2@example.com"),
        "r3": make_staff("researcher", email="r3@example.com"),
        "chief": make_staff("chief_analyst", email="chief@example.com"),
        "approver": make_staff("approver", email="approver@example.com"),
        "admin": make_staff("admin", email="admin@example.com"),
    }
    staff["r1"].on_duty = staff["r2"].on_duty = True  # r3 is off duty
    db.session.commit()
    return staff
