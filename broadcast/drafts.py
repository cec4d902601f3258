"""Reusing and discarding drafts: any broadcast cloned into a new draft (last week's text again), a draft
that never went to approval deleted. Functions flush; callers commit.

What was ever submitted stays on record (compliance may be asked what it read, and the audit log names it),
so only a draft with no submission in its history, and no message of any kind, can be deleted.
"""
from __future__ import annotations

from copy import deepcopy

import sqlalchemy as sa

from broadcast import versions
from broadcast.errors import BroadcastError
from broadcast.models import Broadcast, BroadcastState
from core import audit
from core.audit import AuditEntry
from core.errors import N_
from messaging.models import InboundMessage, OutboundMessage

# what a clone copies: the text, the note, the suggestion's fields, the audience and the risk level
CLONED = ("kind", "title", "body", "note_markdown", "language", "contract", "direction", "entry", "stop",
          "targets", "position_pct", "valid_until", "risk_statement", "risk_level")


def clone(session, source: Broadcast, actor, *, seen_version: int | None = None) -> Broadcast:
    """A new draft of `actor`'s with the content of `source` (as the actor saw it: `seen_version`), which is
    left as it is. The clone starts over: no submission, approval, schedule or send of its own."""
    versions.expect(source, seen_version)
    # deep copies: the JSON columns (audience, targets) of the two must never be one list
    draft = Broadcast(author_id=actor.id, state=BroadcastState.draft, audience=deepcopy(source.audience or {}),
                      **{name: deepcopy(getattr(source, name)) for name in CLONED})
    session.add(draft)
    session.flush()
    audit.record(session, "broadcast.clone", actor=actor, obj_type="broadcast", obj_id=draft.id,
                 detail={"source": source.id, "source_version": source.version, "title": draft.title})
    return draft


def ever_submitted(session, b: Broadcast) -> bool:
    """Whether `b` was ever submitted (its audit history says so, whatever its state is now)."""
    return b.state != BroadcastState.draft or b.submitted_at is not None or bool(session.scalar(
        sa.select(sa.func.count()).select_from(AuditEntry).where(
            AuditEntry.object_type == "broadcast", AuditEntry.object_id == str(b.id),
            AuditEntry.action == "broadcast.submit")))


def may_delete(session, b: Broadcast) -> bool:
    return not ever_submitted(session, b)


def delete_draft(session, b: Broadcast, actor, *, seen_version: int | None = None) -> None:
    """Delete a draft that never went to approval, conditional on the version the actor saw: a draft changed
    (or submitted) meanwhile is refused as stale. Anything submitted, or with a message, stays on record."""
    versions.expect(b, seen_version)
    if ever_submitted(session, b):
        raise BroadcastError(N_("a broadcast that was ever submitted for approval stays on record and cannot be "
                                "deleted; cancel or leave it instead"), None, status=409, code="on_record")
    linked = session.scalar(sa.select(sa.func.count()).select_from(OutboundMessage)
                            .where(OutboundMessage.broadcast_id == b.id)) or session.scalar(
        sa.select(sa.func.count()).select_from(InboundMessage).where(InboundMessage.broadcast_id == b.id))
    children = session.scalar(sa.select(sa.func.count()).select_from(Broadcast).where(Broadcast.parent_id == b.id))
    if linked or children:
        raise BroadcastError(N_("messages or other broadcasts refer to this draft, so it stays on record"), None,
                             status=409, code="on_record")
    broadcast_id, detail = b.id, {"title": b.title, "kind": b.kind.value, "version": b.version}
    # the ORM's DELETE names the version read (`WHERE id = :id AND version = :read`, checked by its row count),
    # and the records layer (records/retention.py) lets it through only for a broadcast that never started
    session.delete(b)
    versions.save(session)
    audit.record(session, "broadcast.delete", actor=actor, obj_type="broadcast", obj_id=broadcast_id, detail=detail)
