"""Every change to a broadcast is conditional on the version its actor saw.

`Broadcast.version` is the mapper's `version_id_col`: each flush of a changed broadcast is one
`UPDATE broadcasts SET ..., version = :read + 1 WHERE id = :id AND version = :read`, and SQLAlchemy checks its
row count (StaleDataError when it is 0), on SQLite and PostgreSQL alike. A person's action names the version
they saw (`seen`); it is compared with the version this request read, so the UPDATE's `:read` is the version
the person saw, and a change by anyone in between (an edit racing an approval, the worker starting a send
someone pauses) makes the later one fail as a whole: nothing written, nothing audited. The worker's own moves
are plain conditional UPDATEs that bump the version themselves (broadcast/tick.py, broadcast/sending.py).

Pure parsing here plus two helpers that take a session; no Flask.
"""
from __future__ import annotations

from datetime import datetime, timezone

import sqlalchemy as sa
from sqlalchemy.orm.exc import StaleDataError

from broadcast.errors import BroadcastError
from core.errors import N_

VERSION_MAX = 999_999_999


class StaleVersion(BroadcastError):
    """Someone changed the broadcast since the actor read it: reload and look again (409)."""

    def __init__(self, seen: int | None = None, current: int | None = None):
        if seen is not None and current is not None:
            super().__init__(N_("This broadcast was changed since you opened it (you saw version %(seen)s, it "
                                "is now version %(current)s). Reload it, read it again and then decide."),
                             status=409, code="stale_version", seen=seen, current=current)
        else:
            super().__init__(N_("This broadcast was changed at the same moment by someone else. Reload it, "
                                "read it again and then decide."), status=409, code="stale_version")
        self.seen, self.current = seen, current


def expect(b, seen: int | None) -> None:
    """Refuse unless the actor saw the version read now (None: an in-process caller that read `b` itself, or
    an API client that named none; the flush is still conditional on the version read)."""
    if seen is not None and seen != b.version:
        raise StaleVersion(seen, b.version)


def save(session) -> None:
    """Flush the changes: each changed broadcast's UPDATE names the version read and is checked by its row
    count; a lost race is a StaleVersion (the caller's transaction is then rolled back by the one handler)."""
    try:
        session.flush()
    except StaleDataError:
        raise StaleVersion() from None


def parse(value, field: str = "version") -> int | None:
    """A version as JSON, a form or a header sends it (3, "3", '"3"', 'W/"3"'); None when absent (or "*");
    refused (400) when it is not a positive number."""
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str):
        text = value.strip()
        if text in ("", "*"):
            return None
        text = text.removeprefix("W/").strip('"')
        number = int(text) if text.isascii() and text.isdigit() and len(text) <= 9 else 0
    else:
        number = 0
    if not 1 <= number <= VERSION_MAX:
        raise BroadcastError(N_("%(name)s must be the broadcast's version, a number such as 3"), field,
                             name=field)
    return number


def one_seen(*named: tuple[str, object]) -> int | None:
    """The one version the request names in any of its places (body `version`, `seen_version`, If-Match);
    places that disagree are refused (400)."""
    found = {name: parse(value, name) for name, value in named if value not in (None, "")}
    found = {name: v for name, v in found.items() if v is not None}
    if len(set(found.values())) > 1:
        raise BroadcastError(N_("%(names)s name different versions; send one"), next(iter(found)),
                             names=", ".join(found))
    return next(iter(found.values()), None)


def _instant(value: str | None) -> datetime | None:
    try:
        moment = datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def submission_detail(b) -> dict:
    """What the audit entry of a submission records so that a `seen_submitted_at` can be told apart later."""
    return {"version": b.version, "submitted_at": b.submitted_at.astimezone(timezone.utc).isoformat()}


def version_of_submission(session, b, seen_submitted_at: str) -> int:
    """The version an approver saw, named by the submission time they read (the API's older way).

    A submission time names a version only when exactly one submission of this broadcast had it: a stopped
    test clock, or two submissions in one clock tick, give an edited text the same time as the text the
    approver read, and then the time proves nothing. The submissions are read from the audit log, which
    records each one's time and version (entries from before the versions existed record neither and count
    as possibly the same time).
    """
    from core.audit import AuditEntry

    seen = _instant(seen_submitted_at)
    if seen is None or b.submitted_at is None or seen != b.submitted_at:
        raise BroadcastError(N_("the broadcast was changed and submitted again since you opened it; read it "
                                "again"), "seen_submitted_at", status=409, code="changed_since_read")
    details = session.scalars(sa.select(AuditEntry.detail).where(
        AuditEntry.object_type == "broadcast", AuditEntry.object_id == str(b.id),
        AuditEntry.action == "broadcast.submit")).all()
    same = [d or {} for d in details if not (d or {}).get("submitted_at") or _instant(d["submitted_at"]) == seen]
    if len(same) != 1:
        raise BroadcastError(N_("it was submitted more than once at this same time, so the time does not say "
                                "which text you read; reload it and decide naming its version (seen_version)"),
                             "seen_submitted_at", status=409, code="ambiguous_submission")
    return int(same[0].get("version") or b.version)
