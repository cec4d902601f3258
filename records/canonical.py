"""What a seal covers: a record's canonical content, and how seals chain. Plain functions, no Flask.

The canonical content of a record is the JSON of the fields that never change once it is written, with
sorted keys, no spaces, times as UTC ISO-8601 with microseconds, and non-ASCII text as itself (UTF-8). An
outbound message's state, attempts, provider id, errors and note counters move on after it is written and
are not covered; its text, recipient, time, purpose and source (the broadcast and its approval, or the
follow-up and who answered) are. `FORM` names this serialisation: a seal records the form it was made
with, so that a later form can cover more without breaking older seals.
"""
from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from enum import Enum
from typing import Any

FORM = 1
GENESIS = "0" * 64  # the previous hash of the first seal
MESSAGE, AUDIT = "message", "audit"
RECORD_TYPES = (MESSAGE, AUDIT)


def _value(value: Any) -> Any:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("a naive time in a record")
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dict):
        return {str(k): _value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_value(v) for v in value]
    return value


def canonical(fields: dict[str, Any]) -> bytes:
    """`fields` as the one byte string a seal hashes: equal fields give equal bytes on every backend."""
    return json.dumps(_value(fields), sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def content_hash(fields: dict[str, Any]) -> str:
    return hashlib.sha256(canonical(fields)).hexdigest()


def chain_hash(seq: int, record_type: str, record_id: int, content: str, previous: str) -> str:
    """The seal's own hash: its place in the chain, what it seals and the seal before it."""
    return hashlib.sha256(f"{FORM}|{seq}|{record_type}|{record_id}|{content}|{previous}".encode()).hexdigest()


def message_fields(m: Any, approval: dict[str, Any] | None) -> dict[str, Any]:
    """What a message to a client is, once written: the text, the recipient, when, why, and on whose
    authority (`approval`: the broadcast's, see approval_fields; None for an answer, whose author is
    `sent_by_id`)."""
    return {"type": MESSAGE, "id": m.id, "created_at": m.created_at, "purpose": m.purpose, "client_id": m.client_id,
            "to": m.to, "body": m.body, "broadcast_id": m.broadcast_id, "followup_id": m.followup_id,
            "sent_by_id": m.sent_by_id, "approval": approval}


def approval_fields(b: Any) -> dict[str, Any]:
    """A broadcast's approval as its messages carry it: who approved, when, and which submission they read
    (the submission time is the mark an approver's decision names, broadcast.service.submission_mark)."""
    return {"broadcast_id": b.id, "approved_by_id": b.decided_by_id, "approved_at": b.decided_at,
            "submitted_at": b.submitted_at, "author_id": b.author_id, "parent_id": b.parent_id}


def audit_fields(e: Any) -> dict[str, Any]:
    return {"type": AUDIT, "id": e.id, "at": e.at, "actor_id": e.actor_id, "actor_label": e.actor_label,
            "action": e.action, "object_type": e.object_type, "object_id": e.object_id, "detail": e.detail,
            "ip": e.ip}
