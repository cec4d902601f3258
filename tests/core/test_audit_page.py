"""The audit log speaks the reader's language: every action any code writes has a label, and details show
Chinese as itself."""
from __future__ import annotations

import re
from pathlib import Path

from core import audit
from core.extensions import db

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("core", "staff", "clients", "sms", "messaging", "broadcast", "followups", "records")


def _actions_written() -> set[str]:
    found = set()
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            text = path.read_text(encoding="utf-8")
            for action in re.findall(r"audit\.record\(\s*[\w.]+,\s*([^,]+),", text):  # the action argument
                found |= set(re.findall(r"\"([a-z_]+\.[a-z_]+)\"", action))
    return found


def test_every_action_written_to_the_audit_log_has_a_label(app):
    actions = _actions_written()
    assert {"auth.login", "auth.second_factor", "records.export", "client.mobile_shown"} <= actions
    labels = app.jinja_env.globals["AUDIT_LABELS"]
    assert sorted(actions - set(labels)) == []


def test_details_show_chinese_as_itself(client, auth, make_staff):
    make_staff("admin", email="admin@example.com")
    audit.record(db.session, "broadcast.create", actor_label="test", detail={"title": "螺纹钢早评"})
    db.session.commit()
    auth.login("admin@example.com")
    page = client.get("/audit").get_data(as_text=True)
    assert "螺纹钢早评" in page and "\\u87ba" not in page
