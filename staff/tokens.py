"""Bearer API tokens: made once, shown once, stored as a hash."""
from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

import sqlalchemy as sa
from flask import g, request

from core import audit
from core.extensions import db
from core.timeutil import utcnow
from staff.models import ApiToken, Staff

TOKEN_PREFIX = "fsms_"
USE_RECORDED_EVERY = timedelta(minutes=1)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(session, staff: Staff) -> str:
    """Create a token for `staff` and return it in clear; only its hash is kept."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(staff_id=staff.id, token_hash=hash_token(token), prefix=token[:12])
    session.add(row)
    session.flush()
    audit.record(session, "token.create", actor_label="cli", obj_type="staff", obj_id=staff.id,
                 detail={"token_id": row.id, "prefix": row.prefix})
    return token


def user_from_request() -> Staff | None:
    """The active staff member whose unrevoked token is in `Authorization: Bearer ...`, else None. Only reads:
    the token's last use is written after the request (`record_use`)."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    row = db.session.scalar(
        sa.select(ApiToken).where(ApiToken.token_hash == hash_token(token.strip()), ApiToken.revoked.is_(False))
    )
    if row is None or not row.staff.active:
        return None
    now = utcnow()
    if row.last_used_at is None or now - row.last_used_at > USE_RECORDED_EVERY:
        g.token_used = (row.id, now)
    return row.staff


def record_use(response):
    """After a request made with a token: its last use, in a transaction of its own.

    At most one write a minute per token (the UPDATE is conditional, so concurrent requests write once), so
    that reading the API does not queue behind imports. Whatever the request left uncommitted is rolled back
    first, as the end of the request would: this commit never carries it along.
    """
    used = g.pop("token_used", None)
    if used is None:
        return response
    token_id, now = used
    db.session.rollback()
    db.session.execute(
        sa.update(ApiToken)
        .where(ApiToken.id == token_id,
               sa.or_(ApiToken.last_used_at.is_(None), ApiToken.last_used_at < now - USE_RECORDED_EVERY))
        .values(last_used_at=now)
        .execution_options(synchronize_session=False))
    db.session.commit()
    return response
