"""Sealing records into the chain after they are written, and walking the chain to verify it.

Sending never waits for the chain: a message or audit entry is written as before, and a database trigger
queues it (records.models.SealQueue) in the same transaction. The sealing job, run by the leading worker
like the other periodic jobs, takes the queue in order and appends one seal per record. Two sealers at
once (a second worker, `flask audit seal` by hand) cannot fork the chain: seals' `seq` and `prev_hash`
are unique, so the later insert fails, its transaction is rolled back and it starts again from the new end.
"""
from __future__ import annotations

import logging
import random
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from broadcast.models import Broadcast
from core.audit import AuditEntry
from messaging.models import OutboundMessage
from records import canonical
from records.canonical import AUDIT, GENESIS, MESSAGE
from records.models import Seal, SealQueue

log = logging.getLogger(__name__)

BATCH = 500  # records sealed per transaction
RETRIES = 10


class Conflict(Exception):
    """Another sealer took the same queue rows first; start again from the chain's new end."""


def _records(session, kind: str, ids: list[int]) -> dict[int, object]:
    if not ids:
        return {}
    model = OutboundMessage if kind == MESSAGE else AuditEntry
    found: dict[int, object] = {}
    for start in range(0, len(ids), 900):  # SQLite's limit on bound parameters
        chunk = ids[start:start + 900]
        found.update((r.id, r) for r in session.scalars(sa.select(model).where(model.id.in_(chunk))))
    return found


def _approvals(session, messages) -> dict[int, dict]:
    ids = sorted({m.broadcast_id for m in messages if m.broadcast_id is not None})
    approvals = {}
    for start in range(0, len(ids), 900):
        for b in session.scalars(sa.select(Broadcast).where(Broadcast.id.in_(ids[start:start + 900]))):
            approvals[b.id] = canonical.approval_fields(b)
    return approvals


def fields_of(kind: str, record, approvals: dict[int, dict]) -> dict:
    if kind == MESSAGE:
        return canonical.message_fields(record, approvals.get(record.broadcast_id) if record.broadcast_id else None)
    return canonical.audit_fields(record)


def record_time(kind: str, record) -> datetime:
    return record.created_at if kind == MESSAGE else record.at


def head(session) -> Seal | None:
    """The last seal of the chain (None before the first)."""
    return session.scalar(sa.select(Seal).order_by(Seal.seq.desc()).limit(1))


def _seal_batch(session, now: datetime, limit: int) -> int:
    queued = list(session.scalars(sa.select(SealQueue).order_by(SealQueue.id).limit(limit)))
    if not queued:
        return 0
    by_kind = {kind: _records(session, kind, [q.record_id for q in queued if q.record_type == kind])
               for kind in canonical.RECORD_TYPES}
    approvals = _approvals(session, by_kind[MESSAGE].values())
    sealed = {(kind, rid) for kind, rid in session.execute(sa.select(Seal.record_type, Seal.record_id).where(
        Seal.record_id.in_(sorted({q.record_id for q in queued}))))}
    last = head(session)
    seq, previous = (last.seq, last.hash) if last else (0, GENESIS)
    rows = []
    for q in queued:
        record = by_kind.get(q.record_type, {}).get(q.record_id)
        if record is None or (q.record_type, q.record_id) in sealed:
            if record is None:  # removed before it was sealed: verify's unsealed report cannot see it either
                log.error("record %s %s was queued for sealing and is gone", q.record_type, q.record_id)
            continue
        seq += 1
        content = canonical.content_hash(fields_of(q.record_type, record, approvals))
        digest = canonical.chain_hash(seq, q.record_type, q.record_id, content, previous)
        rows.append({"seq": seq, "record_type": q.record_type, "record_id": q.record_id,
                     "record_at": record_time(q.record_type, record), "form": canonical.FORM,
                     "content_hash": content, "prev_hash": previous, "hash": digest, "sealed_at": now})
        sealed.add((q.record_type, q.record_id))
        previous = digest
    if rows:  # the table, not ORM objects: a plain executemany
        session.execute(sa.insert(Seal.__table__), rows)
    # the queue rows are ours only if nobody took them meanwhile (checked by row count)
    taken = session.execute(sa.delete(SealQueue).where(SealQueue.id.in_([q.id for q in queued]))).rowcount
    if taken != len(queued):
        raise Conflict()
    return len(rows)


def seal_pending(session, now: datetime, limit: int = BATCH, batches: int | None = 1) -> int:
    """Seal what the queue holds, oldest first, `limit` records per transaction, committing each; up to
    `batches` transactions (None: until the queue is empty). Returns how many records were sealed."""
    total, done = 0, 0
    while batches is None or done < batches:
        for attempt in range(RETRIES):
            try:
                made = _seal_batch(session, now, limit)
                session.commit()
                break
            except (IntegrityError, OperationalError, Conflict) as exc:
                # another sealer extended the chain first (unique seq/prev_hash), or SQLite's writer lock:
                # nothing of ours was written; let the other one go on, then start again from the new end
                session.rollback()
                if attempt == RETRIES - 1:
                    raise
                log.info("sealing met another sealer (%s); starting again from the new end", type(exc).__name__)
                time.sleep(random.uniform(0.01, 0.05) * (attempt + 1))
        done += 1
        total += made
        if made == 0 and not session.scalar(sa.select(sa.func.count()).select_from(SealQueue)):
            break
    return total


def job(session, now: datetime, config) -> None:
    """The periodic job (messaging.hooks): one batch a tick keeps each transaction short."""
    seal_pending(session, now, batches=4)


def seal_unqueued(session, now: datetime) -> int:
    """Queue every record that has neither a seal nor a queue row (written before sealing existed, or
    whose queue row was lost), then seal everything; for `flask audit seal`. Commits."""
    for kind, model in ((MESSAGE, OutboundMessage), (AUDIT, AuditEntry)):
        ids = session.scalars(_unsealed_ids(kind, model).order_by(model.id)).all()
        session.execute(sa.insert(SealQueue), [{"record_type": kind, "record_id": i} for i in ids]) if ids else None
    session.commit()
    return seal_pending(session, now, batches=None)


def _unsealed_ids(kind: str, model) -> sa.Select:
    return sa.select(model.id).where(
        ~sa.exists().where(Seal.record_type == kind, Seal.record_id == model.id),
        ~sa.exists().where(SealQueue.record_type == kind, SealQueue.record_id == model.id))


# ---- verifying -------------------------------------------------------------------------------------------

@dataclass
class Finding:
    """One thing wrong with the chain: `what` is changed | removed | seal_changed | seal_missing."""

    what: str
    seq: int
    record_type: str | None = None
    record_id: int | None = None

    def __str__(self) -> str:
        about = f"{self.record_type} {self.record_id}" if self.record_type else "the chain"
        return {
            "changed": f"seal {self.seq}: {about} was changed after it was sealed",
            "removed": f"seal {self.seq}: {about} was removed",
            "seal_changed": f"seal {self.seq} (sealing {about}) was changed: its hash or its link to the one before "
                            "does not hold",
            "seal_missing": f"seal {self.seq} is missing: the chain jumps over it",
            "anchor": f"seal {self.seq} is not the one written down: the chain was rewritten from there or before",
            "cut": f"seal {self.seq} was written down but is gone: the end of the chain was cut off",
        }[self.what]


@dataclass
class Report:
    checked: int = 0
    findings: list[Finding] = field(default_factory=list)
    head_seq: int = 0
    head_hash: str = GENESIS
    unsealed: dict[str, list[int]] = field(default_factory=dict)

    @property
    def intact(self) -> bool:
        return not self.findings


def _seals(session, size: int = 2000) -> Iterator[list[Seal]]:
    after = 0
    while True:
        batch = list(session.scalars(sa.select(Seal).where(Seal.seq > after).order_by(Seal.seq).limit(size)))
        if not batch:
            return
        yield batch
        after = batch[-1].seq


def verify(session, now: datetime, unsealed_after: timedelta | None = timedelta(minutes=10),
           max_findings: int = 20, anchors: dict[int, str] | None = None) -> Report:
    """Walk the chain from its first seal: each seal's hash must be what its place, its record's hash and
    the seal before it give, and each record's canonical content must still hash to what was sealed.
    Names every record changed or removed (up to `max_findings`, first first); with `unsealed_after`, also
    the records older than that which have no seal yet.

    `anchors` are heads written down earlier elsewhere ({seq: hash}, from an earlier verify or an export's
    manifest): whoever can write to the database can change a record and compute every later seal again,
    which only a hash kept outside the database tells; and a chain cut off at its end is told by a head
    that is gone."""
    with Session(session.get_bind()) as own:  # its own session: walking the chain leaves the caller's objects be
        return _verify(own, now, unsealed_after, max_findings, anchors or {})


def _verify(session, now: datetime, unsealed_after: timedelta | None, max_findings: int,
            anchors: dict[int, str]) -> Report:
    report = Report()
    previous, expected_seq = GENESIS, 1
    for batch in _seals(session):
        by_kind = {kind: _records(session, kind, [s.record_id for s in batch if s.record_type == kind])
                   for kind in canonical.RECORD_TYPES}
        approvals = _approvals(session, by_kind[MESSAGE].values())
        for s in batch:
            report.checked += 1
            found = _check(s, previous, expected_seq, by_kind, approvals)
            if s.seq in anchors and anchors[s.seq] != s.hash:
                found.append(Finding("anchor", s.seq, s.record_type, s.record_id))
            report.findings.extend(found[:max_findings - len(report.findings)])
            previous, expected_seq = s.hash, s.seq + 1
            report.head_seq, report.head_hash = s.seq, s.hash
        session.expunge_all()  # a long chain is walked in constant memory
    report.findings.extend(Finding("cut", seq) for seq in sorted(anchors) if seq > report.head_seq)
    del report.findings[max_findings:]
    if unsealed_after is not None:
        cutoff = now - unsealed_after
        for kind, model, when in ((MESSAGE, OutboundMessage, OutboundMessage.created_at),
                                  (AUDIT, AuditEntry, AuditEntry.at)):
            ids = session.scalars(sa.select(model.id).where(
                when < cutoff, ~sa.exists().where(Seal.record_type == kind, Seal.record_id == model.id))
                .order_by(model.id).limit(100)).all()
            if ids:
                report.unsealed[kind] = list(ids)
    return report


def _check(s: Seal, previous: str, expected_seq: int, by_kind, approvals) -> list[Finding]:
    found = []
    if s.seq != expected_seq:
        found.append(Finding("seal_missing", expected_seq))
    if s.prev_hash != previous or s.hash != canonical.chain_hash(s.seq, s.record_type, s.record_id, s.content_hash,
                                                                 s.prev_hash):
        found.append(Finding("seal_changed", s.seq, s.record_type, s.record_id))
    record = by_kind.get(s.record_type, {}).get(s.record_id)
    if record is None:
        found.append(Finding("removed", s.seq, s.record_type, s.record_id))
    elif canonical.content_hash(fields_of(s.record_type, record, approvals)) != s.content_hash:
        found.append(Finding("changed", s.seq, s.record_type, s.record_id))
    return found
