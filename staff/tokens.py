"""Bearer API tokens: made once, shown once, stored as a hash."""
from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

import sqlalchemy as sa
from flask import request

from core import audit
from core.extensions import db
from core.timeutil import utcnow
from staff.models import ApiToken, Staff

TOKEN_PREFIX = "fsms_"


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
    """The active staff member whose unrevoked token is in `Authorization: Bearer ...`, else None."""
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
    # at most one write a minute per token, so that reading the API does not queue behind imports
    if row.last_used_at is None or now - row.last_used_at > timedelta(minutes=1):
        row.last_used_at = now
        db.session.commit()
    return row.staff
