"""Scheduling and controlling a send: when, how often, pause, resume, cancel. Functions flush; callers commit."""
from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from broadcast import audience as audiences
from broadcast import versions
from broadcast.models import Broadcast, BroadcastKind, BroadcastState
from broadcast.service import BroadcastError, NotCompliant, compliance_problems
from broadcast.settings import Settings
from clients.models import Client
from core import audit
from core.calendar import Calendar, CalendarError, parse_recurrence
from core.errors import N_


def _local(moment: datetime, settings: Settings) -> datetime:
    return moment.astimezone(ZoneInfo(settings.timezone))


def next_allowed(calendar: Calendar, moment: datetime) -> datetime:
    """The first moment from `moment` on that is outside quiet hours (`moment` itself when it is): the end of
    the quiet hours it falls in, today's or tomorrow's by the local clock. Aware, in `moment`'s zone."""
    if not calendar.in_quiet_hours(moment) or calendar.quiet is None:
        return moment
    local = calendar.local(moment)
    end = datetime.combine(local.date(), calendar.quiet[1], tzinfo=calendar.timezone)
    if end <= local:
        end = datetime.combine(local.date() + timedelta(days=1), calendar.quiet[1], tzinfo=calendar.timezone)
    return end.astimezone(moment.tzinfo)


WHEN = ("now", "at", "daily")


def schedule_choices(kept: Mapping[str, str], calendar: Calendar, now: datetime) -> dict[str, Any]:
    """What the schedule form shows: the choice and times the person sent last (`kept`, after a refusal),
    else "now"; in quiet hours "now" is not offered, and the earliest allowed time is (one click), also as
    the default of "send at"."""
    quiet = calendar.in_quiet_hours(now)
    earliest = next_allowed(calendar, now) if quiet else None
    earliest_value = calendar.local(earliest).strftime("%Y-%m-%dT%H:%M") if earliest else ""
    when = kept.get("when") if kept.get("when") in WHEN else "now"
    if quiet and when == "now":
        when = "at"
    return {"when": when, "send_at": (kept.get("send_at") or earliest_value)[:16],
            "daily_at": (kept.get("daily_at") or "08:30")[:5], "quiet_now": quiet, "earliest": earliest,
            "earliest_value": earliest_value}


def overlapping_recent(session, b: Broadcast, moment: datetime) -> tuple[Broadcast, int] | None:
    """Another broadcast with the same text, going within 24 hours of `moment` to some of the same clients:
    that one and how many clients both reach; None when there is none."""
    window = timedelta(hours=24)
    others = session.scalars(sa.select(Broadcast).where(
        Broadcast.id != b.id, Broadcast.body == b.body,
        Broadcast.state.in_([BroadcastState.scheduled, BroadcastState.sending, BroadcastState.paused,
                             BroadcastState.completed]),
        sa.func.coalesce(Broadcast.started_at, Broadcast.send_at).between(moment - window, moment + window)))
    mine = audiences.recipients_query(audiences.parse(b.audience)).with_only_columns(Client.id)
    for other in others:
        theirs = audiences.recipients_query(audiences.parse(other.audience)).with_only_columns(Client.id)
        both = session.scalar(sa.select(sa.func.count()).select_from(Client).where(
            Client.id.in_(mine), Client.id.in_(theirs)))
        if both:
            return other, both
    return None


def schedule(session, b: Broadcast, actor, send_at: datetime | None, settings: Settings, now: datetime,
             calendar: Calendar, *, recurrence: str | None = None, confirm_duplicate: bool = False,
             seen_version: int | None = None) -> Broadcast:
    """Schedule an approved broadcast for `send_at` (None: now), or on a recurrence (a regular commentary,
    every trading day at a time). Refused in quiet hours, in the past, or after a suggestion's valid-until;
    the same text to an overlapping audience within 24 hours needs `confirm_duplicate`; and refused with
    the problems when the approved text no longer passes compliance (a rule changed since the approval)."""
    versions.expect(b, seen_version)
    actor_id = actor.id  # read before the broadcast changes: loading the actor must not flush it half-changed
    if b.state not in (BroadcastState.approved, BroadcastState.missed):
        raise BroadcastError(N_("only an approved broadcast can be scheduled (this one is %(state)s)"), None,
                             status=409, code="not_approved", state=b.state.value)
    try:
        at = parse_recurrence(recurrence)
        if at is not None:
            if b.kind == BroadcastKind.trade_suggestion:
                raise BroadcastError(N_("a trade suggestion is sent once; only commentaries recur"), "recurrence")
            send_at = calendar.next_occurrence(max(now, send_at or now) - timedelta(seconds=1), at
                                               ).astimezone(now.tzinfo)
    except CalendarError as exc:
        raise BroadcastError(exc.template, "recurrence", **exc.args_) from None
    moment = send_at or now
    if moment < now - timedelta(minutes=1):
        raise BroadcastError(N_("the send time is in the past"), "send_at", code="in_the_past")
    if calendar.in_quiet_hours(moment):
        raise BroadcastError(N_("%(time)s is within quiet hours (%(quiet)s); the earliest is %(next)s"), "send_at",
                             code="quiet_hours", time=_local(moment, settings).strftime("%Y-%m-%d %H:%M"),
                             quiet=calendar.quiet_text,
                             next=_local(next_allowed(calendar, moment), settings).strftime("%Y-%m-%d %H:%M"))
    if b.valid_until is not None and b.valid_until <= moment:
        raise BroadcastError(N_("the suggestion would have expired by then"), "send_at", code="expired")
    problems = compliance_problems(b, settings, now, session=session)
    if problems:
        raise NotCompliant(problems, N_("Not scheduled: %(problems)s"))
    if not confirm_duplicate:
        duplicate = overlapping_recent(session, b, moment)
        if duplicate is not None:
            other, both = duplicate
            raise BroadcastError(N_("the same text goes to %(n)s of the same clients within 24 hours (broadcast "
                                    "%(id)s); confirm to send it again"), "confirm_duplicate", status=409,
                                 code="duplicate", n=both, id=other.id)
    b.state = BroadcastState.scheduled
    b.send_at = moment
    b.recurrence = recurrence.strip() if recurrence else None
    b.scheduled_by_id = actor_id
    b.state_reason = None
    versions.save(session)
    audit.record(session, "broadcast.schedule", actor=actor, obj_type="broadcast", obj_id=b.id,
                 detail={"send_at": moment.isoformat(), "recurrence": b.recurrence,
                         "confirmed_duplicate": confirm_duplicate or None})
    return b


def occurrence(session, parent: Broadcast, now: datetime) -> Broadcast:
    """A child broadcast for one occurrence of a recurring parent, approved under the parent's approval."""
    child = Broadcast(kind=parent.kind, title=parent.title, body=parent.body, note_markdown=parent.note_markdown,
                      language=parent.language, audience=dict(parent.audience), author_id=parent.author_id,
                      risk_level=parent.risk_level, state=BroadcastState.sending, parent_id=parent.id, decided_by_id=parent.decided_by_id,
                      decided_at=parent.decided_at, submitted_at=parent.submitted_at, send_at=parent.send_at,
                      scheduled_by_id=parent.scheduled_by_id, started_at=now)
    session.add(child)
    session.flush()
    return child


def pause(session, b: Broadcast, actor, *, seen_version: int | None = None) -> Broadcast:
    """Hold it where it is. Conditional on the version seen, so it never lands on a state the worker moved it
    out of meanwhile (started, finished): the person reloads and sees what happened."""
    versions.expect(b, seen_version)
    if b.state not in (BroadcastState.scheduled, BroadcastState.sending):
        raise BroadcastError(N_("only a scheduled or sending broadcast can be paused (this one is %(state)s)"),
                             None, status=409, code="not_running", state=b.state.value)
    b.state_reason = b.state.value  # resumed into the state it was paused from
    b.state = BroadcastState.paused
    versions.save(session)
    audit.record(session, "broadcast.pause", actor=actor, obj_type="broadcast", obj_id=b.id)
    return b


def resume(session, b: Broadcast, actor, *, seen_version: int | None = None) -> Broadcast:
    """Back to where it was. Nobody gets a second copy: messages already handed over keep their rows."""
    versions.expect(b, seen_version)
    if b.state != BroadcastState.paused:
        raise BroadcastError(N_("only a paused broadcast can be resumed (this one is %(state)s)"), None,
                             status=409, code="not_paused", state=b.state.value)
    b.state = BroadcastState.sending if b.state_reason == "sending" else BroadcastState.scheduled
    b.state_reason = None
    versions.save(session)
    audit.record(session, "broadcast.resume", actor=actor, obj_type="broadcast", obj_id=b.id)
    return b


def cancel(session, b: Broadcast, actor, now: datetime, *, seen_version: int | None = None) -> int:
    """Stop it for good; what was not yet handed over is not sent. Returns how many messages were cancelled.
    The broadcast's own move comes first and is conditional: a lost race cancels no message."""
    from broadcast.sending import cancel_pending

    versions.expect(b, seen_version)
    if b.state not in (BroadcastState.approved, BroadcastState.scheduled, BroadcastState.sending,
                       BroadcastState.paused):
        raise BroadcastError(N_("a broadcast that is %(state)s cannot be cancelled"), None, status=409,
                             code="not_cancellable", state=b.state.value)
    b.state = BroadcastState.cancelled
    b.finished_at = now
    versions.save(session)
    count = cancel_pending(session, b, now)
    session.flush()
    audit.record(session, "broadcast.cancel", actor=actor, obj_type="broadcast", obj_id=b.id,
                 detail={"messages_cancelled": count})
    return count
