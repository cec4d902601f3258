"""The inspection export (a ZIP whose manifest's hashes match its files) and retention (records are not
deleted, by the application or by SQL)."""
from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from broadcast.models import Broadcast
from core import audit
from core.audit import AuditEntry
from core.config import ConfigError, check
from core.extensions import db
from messaging.models import OutboundMessage
from records import chain
from records.models import Seal
from records.retention import KeptRecord, may_delete
from tests.broadcast.helpers import start_now


def test_export_writes_csv_of_the_period_with_a_manifest_whose_hashes_match(app, clock, approved, worker, runner,
                                                                            tmp_path):
    """(The clock is stopped at T0 before the broadcast is approved, so that everything happens in November.)"""
    from clients.models import Client

    db.session.scalar(sa.select(Client).where(Client.account_no == "1")).name = "=cmd|' /C calc'!A0"
    outside = audit.record(db.session, "test.outside", actor_label="test")
    outside.at = datetime(2026, 10, 31, 15, 59, tzinfo=UTC)  # 23:59 on 31 October in Shanghai
    db.session.commit()
    start_now(app, approved, clock, worker)
    worker.send_batch()
    chain.seal_pending(db.session, clock(), batches=None)
    out = tmp_path / "inspection.zip"
    result = runner.invoke(args=["audit", "export", "--from", "2026-11-01", "--to", "2026-11-30", "--out", str(out)])
    assert result.exit_code == 0, result.output
    with zipfile.ZipFile(out) as archive:
        manifest = json.loads(archive.read("manifest.json"))
        for f in manifest["files"]:
            data = archive.read(f["name"])
            assert hashlib.sha256(data).hexdigest() == f["sha256"] and len(data) == f["bytes"]
            assert data.startswith("\ufeff".encode())  # Excel reads the Chinese as UTF-8
        tables = {f["name"]: list(csv.DictReader(io.StringIO(archive.read(f["name"]).decode("utf-8-sig"))))
                  for f in manifest["files"]}
    messages = tables["messages.csv"]
    assert len(messages) == 5 and all(m["body"].startswith("【") and m["seal_hash"] for m in messages)
    assert messages[0]["approved_by"] and messages[0]["created_at"].startswith("2026-11-25T10:00")
    [approval] = tables["approvals.csv"]
    assert approval["decision"] == "approved" and approval["broadcast_id"] == str(approved.id)
    assert approval["analyst_qualification_no"] == approved.chief.qualification_no
    actions = [e["action"] for e in tables["audit_log.csv"]]
    assert "broadcast.approve" in actions and "test.outside" not in actions
    assert manifest["chain"]["intact"] and manifest["chain"]["head"]["hash"] == chain.head(db.session).hash
    first, last = manifest["chain"]["first_seal_in_period"], manifest["chain"]["last_seal_in_period"]
    assert first["seq"] <= last["seq"] and len(last["hash"]) == 64
    assert db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "records.export")) is not None


def test_export_keeps_a_test_send_which_has_no_client(app, clock, runner, tmp_path):
    """Every message that left is on record, the author's test sends to their own mobile too."""
    from messaging.models import MessagePurpose, MessageState, OutboundMessage

    db.session.add(OutboundMessage(client_id=None, to="+8613900001111", body="【示例期货】【测试】早评", segments=1,
                                   state=MessageState.delivered, attempts=1, purpose=MessagePurpose.test,
                                   created_at=clock(), updated_at=clock()))
    db.session.commit()
    out = tmp_path / "inspection.zip"
    result = runner.invoke(args=["audit", "export", "--from", "2026-11-01", "--to", "2026-11-30", "--out", str(out)])
    assert result.exit_code == 0, result.output
    with zipfile.ZipFile(out) as archive:
        [message] = list(csv.DictReader(io.StringIO(archive.read("messages.csv").decode("utf-8-sig"))))
    assert message["purpose"] == "test" and message["account_no"] == "" and "【测试】" in message["body"]


def test_export_cells_that_look_like_formulas_are_defused():
    from records.export import cell

    assert cell("=HYPERLINK(1)") == "'=HYPERLINK(1)" and cell("@SUM") == "'@SUM" and cell("+1+cmd") == "'+1+cmd"
    assert cell("【示例期货】早评") == "【示例期货】早评" and cell(None) == ""
    # numbers and E.164 mobiles stay data, as in every other export (core/exports.py)
    assert cell("-3.5") == "-3.5" and cell("+8613800000000") == "+8613800000000" and cell("-1+1") == "'-1+1"


def test_export_refuses_a_period_backwards(runner):
    result = runner.invoke(args=["audit", "export", "--from", "2026-11-30", "--to", "2026-11-01"])
    assert result.exit_code != 0 and "before --from" in result.output


def test_the_application_refuses_to_delete_records(app, approved, clock, worker):
    start_now(app, approved, clock, worker)
    chain.seal_pending(db.session, clock(), batches=None)
    for model in (OutboundMessage, AuditEntry, Seal):
        db.session.delete(db.session.scalars(sa.select(model)).first())
        with pytest.raises(KeptRecord) as refused:
            db.session.flush()
        assert refused.value.code == "records.retention" and refused.value.status == 409
        db.session.rollback()
        with pytest.raises(KeptRecord):
            db.session.execute(sa.delete(model))
        db.session.rollback()
    db.session.delete(db.session.get(Broadcast, approved.id))  # it was sent
    with pytest.raises(KeptRecord):
        db.session.flush()
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboundMessage)) == 5


def test_the_database_refuses_to_delete_records_and_a_sent_broadcast(app, approved, clock, worker):
    start_now(app, approved, clock, worker)
    chain.seal_pending(db.session, clock(), batches=None)
    db.session.commit()
    for table in ("outbound_messages", "audit_log", "seals", "broadcasts"):
        with pytest.raises(sa.exc.DBAPIError, match="never deleted"), db.engine.begin() as conn:
            conn.execute(sa.text(f"DELETE FROM {table}"))
    if db.engine.dialect.name == "postgresql":
        with pytest.raises(sa.exc.DBAPIError, match="never deleted"), db.engine.begin() as conn:
            conn.execute(sa.text("TRUNCATE outbound_messages CASCADE"))
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboundMessage)) == 5


def test_a_draft_that_was_never_sent_may_still_be_deleted(app, make_staff):
    from broadcast import service
    from broadcast.settings import Settings

    chief = make_staff("chief_analyst")
    b = service.create_draft(db.session, {"kind": "daily_comment", "title": "草稿", "body": "{name}",
                                          "audience": {"tiers": ["gold"]}}, chief, Settings.from_config(app.config))
    db.session.commit()
    db.session.delete(b)
    db.session.commit()
    assert db.session.get(Broadcast, b.id) is None


@pytest.mark.parametrize("written, now, allowed", [
    (datetime(2006, 11, 25, tzinfo=UTC), datetime(2026, 11, 24, 23, 59, tzinfo=UTC), False),
    (datetime(2006, 11, 25, tzinfo=UTC), datetime(2026, 11, 25, tzinfo=UTC), True),
    (datetime(2004, 2, 29, tzinfo=UTC), datetime(2024, 2, 28, 23, 59, tzinfo=UTC), False),
    (datetime(2004, 2, 29, tzinfo=UTC), datetime(2024, 2, 29, tzinfo=UTC), True),
    (None, datetime(2026, 11, 25, tzinfo=UTC), True),  # a broadcast never sent is no record
])
def test_retention_is_twenty_years_by_the_calendar(written, now, allowed):
    assert may_delete(written, now, 20) is allowed


@pytest.mark.parametrize("value", ["4", "101", "twenty", "1.5"])
def test_retention_years_is_checked_at_start(value):
    with pytest.raises(ConfigError, match="RETENTION_YEARS"):
        check({"RETENTION_YEARS": value})


def test_retention_years_defaults_to_twenty(app):
    assert app.config["RETENTION_YEARS"] == 20
