"""Server-side sign-in sessions. The signed Flask cookie carries a random id (`SESSION_KEY`); the row keeps its
SHA-256. Flask-Login's user loader (staff/views.py) accepts a request only while the row is live: not revoked,
the account active, the second factor given when one is asked, no new password owed. Ending a session is an
UPDATE of its row, so a cookie copied before logout, a password change, a reset or deactivation is refused on
the next request, whatever its signature says.

Functions flush; callers commit.
"""
from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import g

from core import clock
from staff.models import Staff, StaffSession
from staff.usage import record_last_use

SESSION_KEY = "sid"
# a sign-in that stops after the password (before the code, the enrolment or the new password) lapses
PENDING_FOR = timedelta(minutes=10)
SEEN_RECORDED_EVERY = timedelta(minutes=1)



def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def start(session, staff: Staff, now: datetime) -> str:
    """A new session for `staff` (the password was right); returns the id for the cookie."""
    raw = secrets.token_urlsafe(32)
    session.add(StaffSession(staff_id=staff.id, token_hash=_hash(raw), created_at=now, last_seen_at=now))
    session.flush()
    return raw


def find(session, raw: str | None) -> StaffSession | None:
    """The unrevoked session whose id the cookie carries, else None."""
    if not raw or not isinstance(raw, str):
        return None
    return session.scalar(sa.select(StaffSession).where(StaffSession.token_hash == _hash(raw),
                                                         StaffSession.revoked_at.is_(None)))


def is_fresh(row: StaffSession, now: datetime) -> bool:
    """A session still waiting for a step of sign-in must finish it within PENDING_FOR."""
    return now - row.created_at <= PENDING_FOR


def mark_second_factor(session, row: StaffSession, now: datetime) -> None:
    row.second_factor_at = now
    session.flush()


def revoke(session, row: StaffSession, now: datetime) -> bool:
    """Ends one session; False if it had already ended."""
    done = session.execute(sa.update(StaffSession).where(StaffSession.id == row.id, StaffSession.revoked_at.is_(None))
                           .values(revoked_at=now).execution_options(synchronize_session=False)).rowcount
    session.expire(row)
    return done == 1


def revoke_all(session, staff_id: int, now: datetime, keep: StaffSession | None = None) -> int:
    """Ends every session of a staff member (but `keep`, the one that asked); returns how many ended."""
    query = sa.update(StaffSession).where(StaffSession.staff_id == staff_id, StaffSession.revoked_at.is_(None))
    if keep is not None:
        query = query.where(StaffSession.id != keep.id)
    ended = session.execute(query.values(revoked_at=now).execution_options(synchronize_session=False)).rowcount
    session.flush()
    return ended


def note_seen(row: StaffSession) -> None:
    """Remembers to write the session's last use after the request (at most once a minute)."""
    now = clock.now()
    if now - row.last_seen_at > SEEN_RECORDED_EVERY:
        g.session_seen = (row.id, now)


def record_seen(response):
    """After a request of a signed-in browser: its session's last use (staff/usage.py)."""
    seen = g.pop("session_seen", None)
    if seen is not None:
        record_last_use(StaffSession.__table__.c.last_seen_at, *seen, SEEN_RECORDED_EVERY, "session")
    return response


def live(session, staff_id: int) -> list[StaffSession]:
    return list(session.scalars(sa.select(StaffSession).where(StaffSession.staff_id == staff_id,
                                                              StaffSession.revoked_at.is_(None))
                                .order_by(StaffSession.last_seen_at.desc())))
