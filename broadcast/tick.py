"""Broadcasts' periodic job, registered with messaging and run every second by the leading worker: start
the broadcasts that are due, expire and finish.

The schedule itself is the broadcasts' `send_at`, so a restart loses nothing, and a broadcast that should
have started while no worker ran is judged when one comes back: sent if it is still valid and outside quiet
hours, otherwise marked missed for a person to decide.

Every state move here is conditional (`UPDATE ... WHERE state = 'scheduled'`, checked by its row count), so
even two overlapping runs, which leadership already prevents, could not start a broadcast twice.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from broadcast import sending
from broadcast.models import Broadcast, BroadcastState
from broadcast.settings import Settings
from core import audit
from core.calendar import Calendar, calendar_for, parse_recurrence


@dataclass(frozen=True)
class TickConfig:
    settings: Settings
    calendar: Calendar
    late_grace: timedelta

    @classmethod
    def from_config(cls, config) -> TickConfig:
        return cls(Settings.from_config(config), calendar_for(config),
                   timedelta(seconds=int(config.get("LATE_GRACE_SECONDS", 120))))


def too_late(send_at: datetime, now: datetime, cfg: TickConfig) -> str | None:
    """Why a start this late needs a person to decide, or None. A little late is fine; late into quiet
    hours, or on another day than planned (no worker ran overnight), is not."""
    if now - send_at <= cfg.late_grace:
        return None
    if cfg.calendar.in_quiet_hours(now):
        return "due during quiet hours"
    zone = ZoneInfo(cfg.settings.timezone)
    if send_at.astimezone(zone).date() != now.astimezone(zone).date():
        return "not sent on the day it was planned for"
    return None


def _take(session, b: Broadcast, **values) -> bool:
    """Move `b` on from `scheduled` at the send time and version it was read with (the text the snapshot will
    take), only if nobody changed it meanwhile: the
    row count of one conditional UPDATE says who won. On PostgreSQL a concurrent mover waits for the row
    and then finds it no longer matches. The move bumps the version, so a person's pause or cancel decided
    on the scheduled broadcast is refused as stale rather than landing on a send already started."""
    result = session.execute(sa.update(Broadcast)
                             .where(Broadcast.id == b.id, Broadcast.state == BroadcastState.scheduled,
                                    Broadcast.send_at == b.send_at, Broadcast.version == b.version)
                             .values(version=Broadcast.version + 1, **values)
                             .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        session.rollback()
        return False
    return True


def start_due(session, now: datetime, cfg: TickConfig) -> list[int]:
    """Start every scheduled broadcast whose time has come; returns the ids started. Commits each."""
    due = session.execute(sa.select(Broadcast.id, Broadcast.send_at).where(
        Broadcast.state == BroadcastState.scheduled, Broadcast.send_at <= now).order_by(Broadcast.send_at)).all()
    started = []
    for broadcast_id, send_at in due:
        b = session.get(Broadcast, broadcast_id, populate_existing=True)
        if b is None or b.state != BroadcastState.scheduled or b.send_at != send_at:
            continue  # changed since it was listed (cancelled, rescheduled, started)
        if start_one(session, b, now, cfg):
            started.append(b.id)
    return started


def start_one(session, b: Broadcast, now: datetime, cfg: TickConfig) -> bool:
    """Start `b` (read while scheduled and due), or mark it missed, or send one occurrence of a recurring
    one. False when another run moved it first. Commits."""
    if b.recurrence:
        return _occur(session, b, now, cfg)
    expired = b.valid_until is not None and b.valid_until <= now
    late = too_late(b.send_at, now, cfg)
    if expired or late:
        reason = "expired before it could start" if expired else late
        if not _take(session, b, state=BroadcastState.missed, state_reason=reason, updated_at=now):
            return False
        audit.record(session, "broadcast.missed", actor_label="worker", obj_type="broadcast", obj_id=b.id,
                     detail={"send_at": b.send_at.isoformat(), "reason": reason})
        session.commit()
        return False
    if not _take(session, b, state=BroadcastState.sending, started_at=now, updated_at=now):
        return False
    count = sending.snapshot(session, b, cfg.settings, now)
    audit.record(session, "broadcast.start", actor_label="worker", obj_type="broadcast", obj_id=b.id,
                 detail={"recipients": count, "late_seconds": int((now - b.send_at).total_seconds())})
    session.commit()
    return True


def _occur(session, parent: Broadcast, now: datetime, cfg: TickConfig) -> bool:
    """One occurrence of a recurring commentary: sent as a child broadcast, unless the worker comes back
    so late that the occurrence falls in quiet hours (then it is recorded as missed); then the next one."""
    from broadcast.scheduling import occurrence

    following = cfg.calendar.next_occurrence(now, parse_recurrence(parent.recurrence)).astimezone(now.tzinfo)
    send_at = parent.send_at
    if not _take(session, parent, send_at=following, updated_at=now):
        return False
    late = too_late(send_at, now, cfg)
    if late:
        audit.record(session, "broadcast.missed", actor_label="worker", obj_type="broadcast", obj_id=parent.id,
                     detail={"send_at": send_at.isoformat(), "reason": late})
        session.commit()
        return False
    child = occurrence(session, parent, now)
    count = sending.snapshot(session, child, cfg.settings, now)
    audit.record(session, "broadcast.start", actor_label="worker", obj_type="broadcast", obj_id=child.id,
                 detail={"recipients": count, "recurrence_of": parent.id})
    session.commit()
    return True


def job(session, now: datetime, config) -> None:
    """Broadcasts' periodic job, registered with messaging (messaging.hooks): start what is due, expire what
    a suggestion can no longer say, finish what has nothing left to hand over. Reads the settings as they are
    now. Commits."""
    start_due(session, now, TickConfig.from_config(config))
    sending.sweep(session, now)
    session.commit()
