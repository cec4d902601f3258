"""The sending fixtures of tests/broadcast (clock, scripted gateway, worker) serve follow-up replies too, and
one desk of staff serves the intake, service and API tests."""
import pytest

from core.extensions import db
from followups.models import Queue
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
from tests.followups.helpers import RESEARCH_TEXT, item_of, make_desk, reply_from


@pytest.fixture
def desk(app, make_staff, make_client):
    """The desk of tests/followups/helpers.py: staff, and clients by name."""
    return make_desk(make_staff, make_client)


@pytest.fixture
def research_item(app, desk):
    """Wang's question about a stop loss, routed to research (in turn to a researcher on duty)."""
    _, clients = desk
    assert reply_from(app, clients["wang"].mobile, RESEARCH_TEXT).status_code == 200
    item = item_of(clients["wang"])
    assert item.queue == Queue.research
    return item


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
