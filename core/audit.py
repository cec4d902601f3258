"""The audit log: who did what to which object, and when. Rows are only ever added: each is sealed into the
records' hash chain after it is written (records/), and the database refuses to delete one (migration 0013).
What is sealed is every column below, so an entry is never edited after it is written either."""
from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core import clock
from core.extensions import db
from core.timeutil import UTCDateTime


class AuditEntry(db.Model):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now, index=True)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("staff.id"), index=True)
    # the name given at a failed sign-in, or "cli" for commands run without a user
    actor_label: Mapped[str | None] = mapped_column(sa.String(200))
    action: Mapped[str] = mapped_column(sa.String(60), index=True)
    object_type: Mapped[str | None] = mapped_column(sa.String(40))
    object_id: Mapped[str | None] = mapped_column(sa.String(80))
    detail: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    ip: Mapped[str | None] = mapped_column(sa.String(64))

    actor = relationship("Staff")


def record(session, action: str, *, actor=None, actor_label: str | None = None, obj_type: str | None = None,
           obj_id: Any = None, detail: dict | None = None, ip: str | None = None) -> AuditEntry:
    """Add an audit entry to `session` (the caller's transaction decides whether it lands)."""
    entry = AuditEntry(
        actor_id=getattr(actor, "id", None),
        actor_label=actor_label or getattr(actor, "email", None),
        action=action,
        object_type=obj_type,
        object_id=None if obj_id is None else str(obj_id),
        detail=detail,
        ip=ip,
    )
    session.add(entry)
    return entry
