"""Retention: nothing that is a record is deleted before RETENTION_YEARS (default 20).

Records are the messages to clients, the audit entries, the seals of the chain and the broadcasts that
were sent. The application refuses to delete them through the ORM, whichever way it is asked: a deleted
object at flush (`before_flush`) and a bulk `DELETE` run through a session (`do_orm_execute`), which cannot
tell the age of the rows it would hit and is refused whole. The database refuses too (migration 0013's
triggers), for anything that bypasses the ORM.
"""
from __future__ import annotations

from datetime import datetime

from flask import current_app, has_app_context
from sqlalchemy import event
from sqlalchemy.orm import Session

from broadcast.models import Broadcast
from core import clock
from core.audit import AuditEntry
from core.errors import N_, ServiceError
from core.timeutil import years_after
from messaging.models import OutboundMessage
from records.models import Seal

DEFAULT_YEARS = 20
RECORD_TABLES = frozenset({"outbound_messages", "audit_log", "seals", "broadcasts"})


class KeptRecord(ServiceError):
    domain = "records"
    status = 409

    def __init__(self, table: str, years: int):
        super().__init__(N_("records are kept for %(years)s years: %(table)s rows cannot be deleted"),
                         code="retention", table=table, years=years)


def record_time(obj) -> datetime | None:
    """When `obj` became a record, or None when it is none (a broadcast that never started sending)."""
    if isinstance(obj, OutboundMessage):
        return obj.created_at
    if isinstance(obj, AuditEntry):
        return obj.at
    if isinstance(obj, Seal):
        return obj.sealed_at
    if isinstance(obj, Broadcast):
        return obj.started_at
    return None


def may_delete(written: datetime | None, now: datetime, years: int) -> bool:
    """A record may go once it is `years` old (by the calendar); something that is no record, any time."""
    return written is None or now >= years_after(written, years)


def _years() -> int:
    return int(current_app.config.get("RETENTION_YEARS", DEFAULT_YEARS)) if has_app_context() else DEFAULT_YEARS


def _before_flush(session, _context, _instances) -> None:
    if not session.deleted:
        return
    now, years = clock.now(), _years()
    for obj in session.deleted:
        if not may_delete(record_time(obj), now, years):
            raise KeptRecord(obj.__table__.name, years)


def _do_orm_execute(state) -> None:
    if not state.is_delete:
        return
    table = getattr(state.statement, "table", None)
    name = getattr(table, "name", None)
    if name in RECORD_TABLES:
        raise KeptRecord(name, _years())


_installed = False


def install() -> None:
    """Listen on every ORM session of the process (once)."""
    global _installed
    if _installed:
        return
    event.listen(Session, "before_flush", _before_flush)
    event.listen(Session, "do_orm_execute", _do_orm_execute)
    _installed = True

