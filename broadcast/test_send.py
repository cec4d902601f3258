"""A test send: the author sees a broadcast's SMS on their own handset before it is approved or sent.

The text is the broadcast's final text for the made-up sample client (texts.sample_client; a sample note link),
marked 【测试】 right after the company signature. It goes only to the sender's own mobile as an admin verified
it (Staff.test_mobile, never the phone shown to clients), at most DAILY_LIMIT a day per sender, counted from
the outbox by the local day of the configured time zone. It goes through the one outbox like any message
(messaging.dispatch claims it, the worker hands it to the gateway), but as purpose "test", with no client and
no broadcast on the row: a broadcast's report, recipients, progress, the duplicate check and the matching of
replies to broadcasts all read rows of a broadcast or of a client, so a test send counts in none of them.

The decisions are plain functions (`refusal`, `mark_test`, `local_day`); `test_send` is the operation (it
flushes; the caller commits).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from broadcast import versions
from broadcast.errors import BroadcastError
from broadcast.models import Broadcast, BroadcastState
from broadcast.service import may_edit
from broadcast.settings import Settings
from broadcast.texts import final_text, render_for, sample_client
from clients.models import Client
from core import audit
from core.errors import N_
from core.phones import mask_mobile
from messaging.models import MessagePurpose, MessageState, OutboundMessage
from sms.segments import measure
from staff.models import Staff

DAILY_LIMIT = 5
MARK = "【测试】"
# before it is sent: what an author may still want to see on a handset
TESTABLE = frozenset({BroadcastState.draft, BroadcastState.rejected, BroadcastState.submitted,
                      BroadcastState.approved})


def mark_test(text: str, company_name: str) -> str:
    """`text` with MARK right after the company signature 【company】 it starts with (at the start when it has
    none), so the handset shows at a glance that no client got it."""
    signature = f"【{company_name}】"
    if text.startswith(signature):
        return signature + MARK + text[len(signature):]
    return MARK + text


def marked_text(b: Broadcast, settings: Settings) -> str:
    """What a test send of `b` says: its final text for the made-up sample client, marked."""
    return mark_test(final_text(b, render_for(b, sample_client(b), settings), settings), settings.company_name)


def local_day(now: datetime, timezone: str) -> tuple[datetime, datetime]:
    """The local calendar day (in `timezone`) that `now` falls in, as [start, end) aware datetimes: the limit
    counts test sends by the department's day, not by UTC's (Asia/Shanghai's midnight is 16:00 UTC)."""
    zone = ZoneInfo(timezone)
    today = now.astimezone(zone).date()
    start = datetime.combine(today, time(0), tzinfo=zone)
    end = datetime.combine(today + timedelta(days=1), time(0), tzinfo=zone)
    return start, end


@dataclass(frozen=True)
class Standing:
    """What decides whether a staff member may test-send a broadcast now (see `refusal`)."""

    may_edit: bool  # the author, or the chief analyst (service.may_edit)
    state: BroadcastState
    mobile: str | None  # the staff member's own test mobile, E.164
    verified: bool  # an admin verified that mobile
    sent_today: int  # test sends of this staff member on the local day
    a_clients: bool = False  # that mobile is also a client's, on the client book


def allowed_to_try(s: Standing) -> bool:
    """Whether the test-send button belongs on the page at all: the author (or the chief analyst) of a
    broadcast not yet sent. Whether it then goes is `refusal`'s."""
    return s.may_edit and s.state in TESTABLE


def refusal(s: Standing, limit: int = DAILY_LIMIT) -> BroadcastError | None:
    """Why this test send may not go (the error to raise), or None when it may."""
    if not s.may_edit:
        return BroadcastError(N_("only the broadcast's author or the chief analyst can test-send it"), None,
                              status=403, code="not_author")
    if s.state not in TESTABLE:
        return BroadcastError(N_("only a draft or a broadcast not yet sent can be test-sent: test sends are for "
                                 "before it is sent"), None, status=409, code="not_testable")
    if not s.mobile or not s.verified:
        return BroadcastError(N_("test sends go only to your own mobile once an admin has verified it; ask an "
                                 "admin to enter and verify your mobile on your staff page"), None, status=409,
                              code="test_mobile_unverified")
    if s.a_clients:
        return BroadcastError(N_("your test mobile is also a client's number on the client book, and a text not "
                                 "yet approved never goes to a client; ask an admin to correct it"), None,
                              status=409, code="test_mobile_is_a_clients")
    if s.sent_today >= limit:
        return BroadcastError(N_("you have made %(limit)s test sends today, the most there may be in a day; the "
                                 "next is possible tomorrow"), None, status=429, code="test_limit",
                              limit=limit)
    return None


def sent_today(session, staff_id: int, now: datetime, timezone: str) -> int:
    """How many test sends `staff_id` made on the local day of `now`, counted from the outbox."""
    start, end = local_day(now, timezone)
    return session.scalar(sa.select(sa.func.count()).select_from(OutboundMessage).where(
        OutboundMessage.purpose == MessagePurpose.test, OutboundMessage.sent_by_id == staff_id,
        OutboundMessage.created_at >= start, OutboundMessage.created_at < end)) or 0


def standing(session, b: Broadcast, actor, now: datetime, timezone: str) -> Standing:
    a_clients = actor.test_mobile is not None and session.scalar(
        sa.select(sa.func.count()).select_from(Client).where(Client.mobile == actor.test_mobile)) > 0
    return Standing(may_edit=may_edit(actor, b), state=b.state, mobile=actor.test_mobile,
                    verified=actor.test_mobile_verified_at is not None,
                    sent_today=sent_today(session, actor.id, now, timezone), a_clients=a_clients)


def _hold_mobile(session, actor) -> bool:
    """Lock the sender's row while their verified mobile is still the one read (True), so that two test sends at
    once are counted one after the other and none goes to a number changed or unverified meanwhile. The UPDATE
    changes nothing; it takes the row's write lock (PostgreSQL) or the database's (SQLite) until commit."""
    result = session.execute(sa.update(Staff).where(
        Staff.id == actor.id, Staff.active.is_(True), Staff.test_mobile == actor.test_mobile,
        Staff.test_mobile_verified_at.is_not(None)).values(test_mobile=Staff.test_mobile)
        .execution_options(synchronize_session=False))
    return result.rowcount == 1


def send_test(session, b: Broadcast, actor, settings: Settings, now: datetime, *,
              seen_version: int | None = None, limit: int = DAILY_LIMIT) -> OutboundMessage:
    """Put one test SMS of `b`, as the sample client would get it and marked, into the outbox for `actor`'s
    own verified mobile; audited. Refused (nothing written) unless `actor` may edit `b`, `b` is not sent yet,
    the mobile is verified and fewer than `limit` were sent today; conditional on the version `actor` saw, so
    the handset shows the text that was on their page. Flushes; the caller commits."""
    versions.expect(b, seen_version)
    problem = refusal(standing(session, b, actor, now, settings.timezone), limit)
    if problem is not None:
        raise problem
    if not _hold_mobile(session, actor):
        raise BroadcastError(N_("your test mobile was changed meanwhile; reload the page"), None, status=409,
                             code="test_mobile_changed")
    # counted again under the lock: a test send committed meanwhile by another request counts
    problem = refusal(standing(session, b, actor, now, settings.timezone), limit)
    if problem is not None:
        raise problem
    text = marked_text(b, settings)
    message = OutboundMessage(broadcast_id=None, followup_id=None, client_id=None, purpose=MessagePurpose.test,
                              sent_by_id=actor.id, to=actor.test_mobile, body=text, segments=measure(text).segments,
                              state=MessageState.pending, attempts=0, created_at=now, updated_at=now)
    session.add(message)
    session.flush()
    audit.record(session, "broadcast.test_send", actor=actor, obj_type="broadcast", obj_id=b.id,
                 detail={"version": b.version, "message_id": message.id, "mobile": mask_mobile(actor.test_mobile),
                         "segments": message.segments})
    return message
