"""Bearer API tokens: made once, shown once, stored as a hash; they expire (API_TOKEN_DAYS after they were
made) and can be revoked by their holder or an admin."""
from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app, g, request

from core import audit, clock
from core.errors import N_
from core.extensions import db
from staff.errors import StaffError
from staff.models import ApiToken, Staff
from staff.usage import record_last_use

TOKEN_PREFIX = "fsms_"
USE_RECORDED_EVERY = timedelta(minutes=1)
DEFAULT_DAYS = 90



def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def max_days() -> int:
    return int(current_app.config.get("API_TOKEN_DAYS", DEFAULT_DAYS))


def issue_token(session, staff: Staff, days: int | None = None, label: str | None = None) -> str:
    """Create a token for `staff`, good for `days` (at most, and by default, API_TOKEN_DAYS), and return it in
    clear; only its hash is kept. Made from the CLI, by whoever operates the server."""
    limit = max_days()
    days = limit if days is None else days
    if not 1 <= days <= limit:
        raise StaffError(N_("a token lasts from 1 to %(days)s days (API_TOKEN_DAYS)"), "days", days=limit)
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    now = clock.now()
    row = ApiToken(staff_id=staff.id, token_hash=hash_token(token), prefix=token[:12], created_at=now,
                   expires_at=now + timedelta(days=days), label=(label or "").strip()[:100] or None)
    session.add(row)
    session.flush()
    audit.record(session, "token.create", actor_label="cli", obj_type="staff", obj_id=staff.id,
                 detail={"token_id": row.id, "prefix": row.prefix, "expires_at": row.expires_at.isoformat()})
    return token


def list_tokens(session, staff: Staff | None = None, *, include_ended: bool = False) -> list[ApiToken]:
    """Tokens of `staff` (everyone's when None), newest first; only usable ones unless `include_ended`."""
    query = sa.select(ApiToken).order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
    if staff is not None:
        query = query.where(ApiToken.staff_id == staff.id)
    if not include_ended:
        query = query.where(ApiToken.revoked.is_(False), ApiToken.expires_at > clock.now())
    return list(session.scalars(query))


def revoke_token(session, token: ApiToken, actor: Staff | None) -> None:
    """Ends a token at once (its holder's or an admin's decision, or the operator's from the CLI)."""
    done = session.execute(sa.update(ApiToken).where(ApiToken.id == token.id, ApiToken.revoked.is_(False))
                           .values(revoked=True).execution_options(synchronize_session=False)).rowcount
    session.expire(token)
    if done != 1:
        raise StaffError(N_("this token was already revoked"), code="token_revoked")
    audit.record(session, "token.revoke", actor=actor, actor_label=None if actor else "cli", obj_type="staff",
                 obj_id=token.staff_id, detail={"token_id": token.id, "prefix": token.prefix})
    session.flush()


def user_from_request() -> Staff | None:
    """The active staff member whose unrevoked, unexpired token is in `Authorization: Bearer ...`, else None.
    Only reads: the token's last use is written after the request (`record_use`)."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    now = clock.now()
    row = db.session.scalar(
        sa.select(ApiToken).where(ApiToken.token_hash == hash_token(token.strip()), ApiToken.revoked.is_(False),
                                  ApiToken.expires_at > now)
    )
    if row is None or not row.staff.active:
        return None
    if row.last_used_at is None or now - row.last_used_at > USE_RECORDED_EVERY:
        g.token_used = (row.id, now)
    return row.staff


def record_use(response):
    """After a request made with a token: its last use, at most once a minute (staff/usage.py)."""
    used = g.pop("token_used", None)
    if used is not None:
        record_last_use(ApiToken.__table__.c.last_used_at, *used, USE_RECORDED_EVERY, "API token")
    return response
