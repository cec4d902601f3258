"""The inspection export: one ZIP of the messages, approvals and audit entries of a period, as CSV, with a
manifest of each file's SHA-256 and the chain's seals at the period's ends.

CSV is UTF-8 with a byte-order mark, so Excel opens Chinese text as text. A cell that begins with = + - @
(or a tab or carriage return) gets a leading ' so that a spreadsheet shows it instead of running it as a
formula (the manifest says so); every other cell is exactly as stored.
"""
from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from broadcast.models import Broadcast
from clients.models import Client
from core.audit import AuditEntry
from core.exports import neutralise
from messaging.models import OutboundMessage
from records import chain
from records.canonical import AUDIT, MESSAGE
from records.models import Seal
from staff.models import Staff

APPROVAL_ACTIONS = ("broadcast.approve", "broadcast.reject")
PAGE = 2000


@dataclass(frozen=True)
class Period:
    """[start, end) in UTC: from the first day's midnight to the midnight after the last day, in TIMEZONE."""

    first: date
    last: date
    timezone: str

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first, time(), ZoneInfo(self.timezone))

    @property
    def end(self) -> datetime:
        return datetime.combine(self.last + timedelta(days=1), time(), ZoneInfo(self.timezone))


def cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, (dict, list)):
        value = json.dumps(value, ensure_ascii=False, sort_keys=True)
    return neutralise(str(getattr(value, "value", value)))  # the one rule every export of the app follows


class _Hashing(io.RawIOBase):
    """Passes bytes on to `out`, counting them into a SHA-256 on the way."""

    def __init__(self, out):
        self.out, self.sha, self.size = out, hashlib.sha256(), 0

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self.sha.update(data)
        self.size += len(data)
        self.out.write(data)
        return len(data)


def _write_csv(archive: zipfile.ZipFile, name: str, header: list[str], rows: Iterable[list]) -> dict:
    with archive.open(name, "w") as raw:
        hashing = _Hashing(raw)
        text = io.TextIOWrapper(io.BufferedWriter(hashing), encoding="utf-8-sig", newline="")
        writer = csv.writer(text)
        writer.writerow(header)
        count = 0
        for row in rows:
            writer.writerow([cell(v) for v in row])
            count += 1
        text.flush()
        text.detach().flush()
    return {"name": name, "sha256": hashing.sha.hexdigest(), "bytes": hashing.size, "rows": count}


def _paged(session, query: sa.Select, key) -> Iterator[sa.Row]:
    """Rows of `query` in pages by `key` (an id column), so a month of 1,000,000 messages streams."""
    after = 0
    while True:
        rows = session.execute(query.where(key > after).order_by(key).limit(PAGE)).all()
        if not rows:
            return
        yield from rows
        after = rows[-1][0]


def _local(value: datetime | None, zone: ZoneInfo) -> datetime | None:
    return value.astimezone(zone) if value else None


def _messages(session, period: Period) -> tuple[list[str], Iterator[list]]:
    zone = ZoneInfo(period.timezone)
    approver, sender = aliased(Staff), aliased(Staff)
    m = OutboundMessage
    query = (sa.select(m.id, m.created_at, m.purpose, Client.account_no, m.to, m.body, m.segments, m.broadcast_id,
                       Broadcast.title, approver.name, Broadcast.decided_at, m.followup_id, sender.name, m.state,
                       m.handed_over_at, m.error_code, Seal.seq, Seal.hash)
             .outerjoin(Client, Client.id == m.client_id)  # a test send goes to a staff member, no client
             .outerjoin(Broadcast, Broadcast.id == m.broadcast_id)
             .outerjoin(approver, approver.id == Broadcast.decided_by_id)
             .outerjoin(sender, sender.id == m.sent_by_id)
             .outerjoin(Seal, sa.and_(Seal.record_type == MESSAGE, Seal.record_id == m.id))
             .where(m.created_at >= period.start, m.created_at < period.end))
    header = ["id", "created_at", "purpose", "account_no", "to", "body", "segments", "broadcast_id",
              "broadcast_title", "approved_by", "approved_at", "followup_id", "sent_by", "state", "handed_over_at",
              "error_code", "seal_seq", "seal_hash"]

    def rows():
        for r in _paged(session, query, m.id):
            r = list(r)
            for i in (1, 10, 14):
                r[i] = _local(r[i], zone)
            yield r
    return header, rows()


def _approvals(session, period: Period) -> tuple[list[str], Iterator[list]]:
    zone = ZoneInfo(period.timezone)
    author = aliased(Staff)
    query = (sa.select(AuditEntry.id, AuditEntry.at, AuditEntry.action, AuditEntry.actor_label, Broadcast.id,
                       Broadcast.kind, Broadcast.title, author.name, author.qualification_no, AuditEntry.detail,
                       Broadcast.state, Seal.seq, Seal.hash)
             .outerjoin(Broadcast, sa.and_(AuditEntry.object_type == "broadcast",
                                           AuditEntry.object_id == sa.cast(Broadcast.id, sa.String)))
             .outerjoin(author, author.id == Broadcast.author_id)
             .outerjoin(Seal, sa.and_(Seal.record_type == AUDIT, Seal.record_id == AuditEntry.id))
             .where(AuditEntry.action.in_(APPROVAL_ACTIONS), AuditEntry.at >= period.start,
                    AuditEntry.at < period.end))
    header = ["audit_id", "at", "decision", "approver", "broadcast_id", "kind", "title", "analyst",
              "analyst_qualification_no", "detail", "broadcast_state_now", "seal_seq", "seal_hash"]

    def rows():
        for r in _paged(session, query, AuditEntry.id):
            r = list(r)
            r[1] = _local(r[1], zone)
            r[2] = "approved" if r[2] == "broadcast.approve" else "rejected"
            yield r
    return header, rows()


def _audit(session, period: Period) -> tuple[list[str], Iterator[list]]:
    zone = ZoneInfo(period.timezone)
    e = AuditEntry
    query = (sa.select(e.id, e.at, e.actor_id, e.actor_label, e.action, e.object_type, e.object_id, e.detail, e.ip,
                       Seal.seq, Seal.hash)
             .outerjoin(Seal, sa.and_(Seal.record_type == AUDIT, Seal.record_id == e.id))
             .where(e.at >= period.start, e.at < period.end))
    header = ["id", "at", "actor_id", "actor", "action", "object_type", "object_id", "detail", "ip", "seal_seq",
              "seal_hash"]

    def rows():
        for r in _paged(session, query, e.id):
            r = list(r)
            r[1] = _local(r[1], zone)
            yield r
    return header, rows()


def _seal(s: Seal | None) -> dict | None:
    if s is None:
        return None
    return {"seq": s.seq, "record": f"{s.record_type} {s.record_id}", "hash": s.hash, "prev_hash": s.prev_hash,
            "sealed_at": s.sealed_at.isoformat()}


def write(session, out, period: Period, now: datetime) -> dict:
    """Write the ZIP to `out` (a path or a binary file) and return its manifest."""
    in_period = sa.select(Seal).where(Seal.record_at >= period.start, Seal.record_at < period.end)
    report = chain.verify(session, now, unsealed_after=None)
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        files = [_write_csv(archive, name, *part(session, period)) for name, part in
                 (("messages.csv", _messages), ("approvals.csv", _approvals), ("audit_log.csv", _audit))]
        manifest = {
            "period": {"from": period.first.isoformat(), "to": period.last.isoformat(), "timezone": period.timezone,
                       "start": period.start.isoformat(), "end": period.end.isoformat()},
            "generated_at": now.isoformat(),
            "files": files,
            "encoding": "CSV, UTF-8 with BOM; a cell beginning with = + - @ has a ' put before it",
            "chain": {
                "first_seal_in_period": _seal(session.scalar(in_period.order_by(Seal.seq).limit(1))),
                "last_seal_in_period": _seal(session.scalar(in_period.order_by(Seal.seq.desc()).limit(1))),
                "head": {"seq": report.head_seq, "hash": report.head_hash},
                "intact": report.intact,
                "findings": [str(f) for f in report.findings],
            },
        }
        archive.writestr("manifest.json", json.dumps(manifest, ensure_ascii=False, indent=2))
    return manifest
