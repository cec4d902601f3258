"""The hash chain over messages and audit entries: sealed after writing, verified, tampering named."""
from __future__ import annotations

import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa

from broadcast.models import Broadcast
from core import audit
from core.audit import AuditEntry
from core.extensions import db
from messaging.models import OutboundMessage
from records import canonical, chain
from records.models import Seal, SealQueue
from tests.broadcast.helpers import ON_POSTGRES, start_now
from tests.conftest import RECORDS_KEPT


def _sent(app, approved, clock, worker):
    """The approved broadcast started and handed over: five messages, their audit entries."""
    start_now(app, approved, clock, worker)
    assert worker.send_batch() == 5
    return db.session.scalars(sa.select(OutboundMessage).order_by(OutboundMessage.id)).all()


def _seal_all(clock):
    return chain.seal_pending(db.session, clock(), batches=None)


def _sql(statement: str, **params) -> None:
    with db.engine.begin() as conn:
        conn.execute(sa.text(statement), params)


def _as_owner(statement: str, **params) -> None:
    """What whoever owns the database can do: lift the keep triggers, run `statement`, put them back."""
    db.session.commit()  # the DDL waits for every transaction that read these tables
    with db.engine.begin() as conn:
        RECORDS_KEPT.drop_keep_triggers(conn)
        conn.execute(sa.text(statement), params)
        RECORDS_KEPT.create_keep_triggers(conn)


def test_every_message_and_audit_entry_joins_one_chain(app, approved, clock, worker):
    messages = _sent(app, approved, clock, worker)
    worker.tick()  # the leader's periodic jobs include the sealing job
    _seal_all(clock)
    entries = db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry))
    seals = db.session.scalars(sa.select(Seal).order_by(Seal.seq)).all()
    assert [s.seq for s in seals] == list(range(1, len(messages) + entries + 1))
    assert {(s.record_type, s.record_id) for s in seals} >= {("message", m.id) for m in messages}
    assert seals[0].prev_hash == canonical.GENESIS
    assert all(s.prev_hash == p.hash for p, s in zip(seals, seals[1:], strict=False))
    assert not db.session.scalar(sa.select(sa.func.count()).select_from(SealQueue))
    report = chain.verify(db.session, clock())
    assert report.intact and report.checked == len(seals) and not report.unsealed


def test_a_message_seal_covers_its_text_recipient_time_and_approval(app, approved, clock, worker):
    m = _sent(app, approved, clock, worker)[0]
    b = db.session.get(Broadcast, m.broadcast_id)
    fields = canonical.message_fields(m, canonical.approval_fields(b))
    assert fields["body"] == m.body and fields["to"] == m.to and fields["created_at"] == m.created_at
    assert fields["approval"]["approved_by_id"] == b.decided_by_id and fields["approval"]["approved_at"] == b.decided_at
    assert fields["approval"]["submitted_at"] == b.submitted_at  # the submission the approver read
    assert "state" not in fields and "provider_sid" not in fields  # these move on after writing


def test_delivery_callbacks_and_note_opens_leave_the_chain_intact(app, approved, clock, worker):
    _sent(app, approved, clock, worker)
    _seal_all(clock)
    db.session.execute(sa.update(OutboundMessage).values(state="delivered", note_opens=3, error_code="x"))
    db.session.commit()
    assert chain.verify(db.session, clock()).intact


def test_verify_names_a_sent_message_whose_text_was_changed_with_sql(app, approved, clock, worker, runner):
    messages = _sent(app, approved, clock, worker)
    _seal_all(clock)
    assert runner.invoke(args=["audit", "verify"]).exit_code == 0
    _sql("UPDATE outbound_messages SET body = :body WHERE id = :id", body="【示例期货】保证盈利", id=messages[2].id)
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    assert f"message {messages[2].id} was changed after it was sealed" in result.output.splitlines()[0]


def test_verify_names_a_changed_approval(app, approved, clock, worker, runner):
    _sent(app, approved, clock, worker)
    _seal_all(clock)
    _sql("UPDATE broadcasts SET decided_by_id = author_id")
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1 and "message" in result.output and "was changed" in result.output


def test_the_database_refuses_to_delete_an_audit_entry_and_verify_names_one_deleted_anyway(app, approved, clock,
                                                                                               worker, runner):
    _sent(app, approved, clock, worker)
    _seal_all(clock)
    victim = db.session.scalar(sa.select(AuditEntry.id).where(AuditEntry.action == "broadcast.approve"))
    db.session.commit()
    with pytest.raises(sa.exc.DBAPIError, match="never deleted"):
        _sql("DELETE FROM audit_log WHERE id = :id", id=victim)
    # whoever owns the database can drop the triggers; the chain still tells
    _as_owner("DELETE FROM audit_log WHERE id = :id", id=victim)
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    assert f"audit {victim} was removed" in result.output.splitlines()[0]


def test_verify_names_a_changed_or_missing_seal(app, approved, clock, worker, runner):
    _sent(app, approved, clock, worker)
    _seal_all(clock)
    _sql("UPDATE seals SET content_hash = :h WHERE seq = 3", h="0" * 64)
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1 and result.output.startswith("BROKEN: the first problem is at seal 3")
    _sql("UPDATE seals SET content_hash = :h, hash = :h2 WHERE seq = 3", h="0" * 64, h2="1" * 64)
    _as_owner("DELETE FROM seals WHERE seq = 5")
    report = chain.verify(db.session, clock())
    assert [(f.what, f.seq) for f in report.findings][:4] == [("seal_changed", 3), ("changed", 3),
                                                             ("seal_changed", 4), ("seal_missing", 5)]


def test_a_chain_computed_again_after_a_change_is_told_by_a_head_written_down_before(app, approved, clock, worker,
                                                                                      runner):
    """Whoever can write to the database can change an audit entry and compute every later seal again: the
    chain then holds by itself, and only the head written down earlier (an earlier verify's last line, an
    export's manifest) tells. A head that is gone tells a chain cut off at its end."""
    _sent(app, approved, clock, worker)
    _seal_all(clock)
    before = runner.invoke(args=["audit", "verify"])
    head = before.output.split("--head ")[1].split(")")[0]
    approval = db.session.scalars(sa.select(Seal).where(Seal.record_type == "audit").order_by(Seal.seq)).first()
    _sql("UPDATE audit_log SET detail = :d WHERE id = :id", d='{"comment": "改过的"}', id=approval.record_id)
    db.session.expire_all()
    seals = db.session.scalars(sa.select(Seal).where(Seal.seq >= approval.seq).order_by(Seal.seq)).all()
    previous = approval.prev_hash
    for seal in seals:  # the forger's work: every seal from the changed one on, computed again
        content = seal.content_hash
        if seal.seq == approval.seq:
            content = canonical.content_hash(canonical.audit_fields(db.session.get(AuditEntry, seal.record_id)))
        digest = canonical.chain_hash(seal.seq, seal.record_type, seal.record_id, content, previous)
        _sql("UPDATE seals SET content_hash = :c, prev_hash = :p, hash = :h WHERE seq = :s", c=content, p=previous,
             h=digest, s=seal.seq)
        previous = digest
    assert runner.invoke(args=["audit", "verify"]).exit_code == 0  # the chain alone cannot tell
    result = runner.invoke(args=["audit", "verify", "--head", head])
    assert result.exit_code == 1 and "is not the one written down" in result.output
    assert runner.invoke(args=["audit", "verify", "--head", "12:nothex"]).exit_code == 2
    last = int(head.split(":")[0])
    cut = runner.invoke(args=["audit", "verify", "--head", f"{last + 5}:{'a' * 64}"])
    assert cut.exit_code == 1 and f"seal {last + 5} was written down but is gone" in cut.output


def test_verify_reports_records_left_unsealed(app, clock, runner):
    audit.record(db.session, "test.unsealed", actor_label="test")
    db.session.commit()
    entry = db.session.scalar(sa.select(AuditEntry.id))
    assert runner.invoke(args=["audit", "verify"]).exit_code == 0  # written just now: waiting is fine
    clock.advance(minutes=11)
    result = runner.invoke(args=["audit", "verify", "--unsealed-after", "10"])
    assert result.exit_code == 3 and f"unsealed for more than 10 minutes: audit {entry}" in result.output
    result = runner.invoke(args=["audit", "seal"])
    assert result.exit_code == 0 and "sealed 1" in result.output
    assert runner.invoke(args=["audit", "verify"]).exit_code == 0


def test_records_written_before_the_queue_are_sealed_by_the_catch_up(app, clock, runner):
    audit.record(db.session, "test.before", actor_label="test")
    db.session.commit()
    _sql("DELETE FROM seal_queue")  # as if written before migration 0013, or its queue row were lost
    clock.advance(minutes=30)
    assert runner.invoke(args=["audit", "verify"]).exit_code == 3
    assert runner.invoke(args=["audit", "seal"]).exit_code == 0
    assert runner.invoke(args=["audit", "verify"]).exit_code == 0


def test_two_sealers_at_once_never_fork_the_chain(app, clock):
    with db.engine.begin() as conn:
        conn.execute(sa.insert(AuditEntry.__table__),
                     [{"action": "test.many", "actor_label": "test", "at": clock(), "detail": {"n": i}}
                      for i in range(1200)])
    errors = []
    start = threading.Barrier(3)

    def seal():
        with app.app_context():
            try:
                start.wait()
                chain.seal_pending(db.session, clock(), limit=100, batches=None)
            except Exception as exc:  # noqa: BLE001 - reported below
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=seal) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    seals = db.session.execute(sa.select(Seal.seq, Seal.record_id)).all()
    assert sorted(s for s, _ in seals) == list(range(1, 1201))
    assert len({r for _, r in seals}) == 1200
    assert chain.verify(db.session, clock()).intact


@pytest.mark.skipif(not ON_POSTGRES, reason="only PostgreSQL commits ids out of order")
def test_a_record_committed_after_a_later_one_was_sealed_is_sealed_too(app, clock):
    late = db.engine.connect()
    tx = late.begin()
    late.execute(sa.insert(AuditEntry.__table__).values(action="test.late", actor_label="test", at=clock()))
    audit.record(db.session, "test.early", actor_label="test")
    db.session.commit()
    _seal_all(clock)  # seals test.early, whose id is larger
    tx.commit()
    late.close()
    _seal_all(clock)
    actions = [a for a, in db.session.execute(sa.select(AuditEntry.action).join(
        Seal, sa.and_(Seal.record_type == "audit", Seal.record_id == AuditEntry.id)).order_by(Seal.seq))]
    assert actions == ["test.early", "test.late"]
    assert chain.verify(db.session, clock() + timedelta(hours=1)).intact
