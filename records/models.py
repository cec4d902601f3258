"""The hash chain over the records (seals) and the queue of records waiting for one."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from core import clock
from core.extensions import db
from core.timeutil import UTCDateTime


class Seal(db.Model):
    """One link of the chain: the SHA-256 of one record's canonical content (records.canonical) and of the
    seal before it. `seq` and `prev_hash` are unique, so two sealers that read the same last seal cannot
    both extend it: the second one's insert fails and it starts again from the new end (no fork). One
    record, one seal: (record_type, record_id) is unique too."""

    __tablename__ = "seals"
    __table_args__ = (sa.UniqueConstraint("record_type", "record_id", name="uq_seals_record"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(unique=True)
    record_type: Mapped[str] = mapped_column(sa.String(10))  # records.canonical.RECORD_TYPES
    record_id: Mapped[int]
    # the record's own time (a message's created_at, an entry's at): what an export by period selects on
    record_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    form: Mapped[int] = mapped_column(default=1)  # records.canonical.FORM when sealed
    content_hash: Mapped[str] = mapped_column(sa.String(64))
    prev_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    sealed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)


class SealQueue(db.Model):
    """A record written and not sealed yet. Rows are added by database triggers on insert into
    outbound_messages and audit_log (migration 0013), in the inserting transaction, so a record committed
    late (a smaller id after a larger one was sealed, on PostgreSQL) is queued exactly when it becomes
    visible; the sealing job takes rows from here and deletes them with the seal. Losing a row here loses
    no evidence: `flask audit verify` reports every record without a seal."""

    __tablename__ = "seal_queue"

    id: Mapped[int] = mapped_column(primary_key=True)
    record_type: Mapped[str] = mapped_column(sa.String(10))
    record_id: Mapped[int]
