"""Bearer API tokens: made once, shown once, stored as a hash."""
from __future__ import annotations

import hashlib
import logging
import secrets
from datetime import timedelta

import sqlalchemy as sa
from flask import g, request

from core import audit, clock
from core.extensions import db
from staff.models import ApiToken, Staff

TOKEN_PREFIX = "fsms_"
USE_RECORDED_EVERY = timedelta(minutes=1)

log = logging.getLogger(__name__)


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
    now = clock.now()
    if row.last_used_at is None or now - row.last_used_at > USE_RECORDED_EVERY:
        g.token_used = (row.id, now)
    return row.staff


def record_use(response):
    """After a request made with a token: its last use, on a connection and in a transaction of its own, so
    that it never carries along what the request left uncommitted, and a failure here (a lock timeout, a
    failover) is logged, never turned into an error for a request whose work is done.

    At most one write a minute per token (the UPDATE is conditional, so concurrent requests write once), so
    that reading the API does not queue behind imports.
    """
    used = g.pop("token_used", None)
    if used is None:
        return response
    token_id, now = used
    table = ApiToken.__table__
    try:
        with db.engine.begin() as conn:
            conn.execute(table.update().where(
                table.c.id == token_id,
                sa.or_(table.c.last_used_at.is_(None), table.c.last_used_at < now - USE_RECORDED_EVERY))
                .values(last_used_at=now))
    except sa.exc.SQLAlchemyError as exc:
        log.warning("could not record the use of API token %s: %s", token_id, exc.__class__.__name__)
    return response
