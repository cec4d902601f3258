"""The JSON shape of a broadcast, for the API (broadcast/schemas.py declares it); problems in the caller's
language."""
from __future__ import annotations

from typing import Any

from broadcast.models import Broadcast
from core.templating import problem_text


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def broadcast_json(b: Broadcast, problems: list | None = None) -> dict[str, Any]:
    suggestion = None
    if b.is_suggestion:
        suggestion = {"contract": b.contract, "direction": b.direction.value if b.direction else None,
                      "entry": b.entry, "stop": b.stop, "targets": list(b.targets or []),
                      "position_pct": float(b.position_pct) if b.position_pct is not None else None,
                      "valid_until": _iso(b.valid_until), "risk_statement": b.risk_statement}
    out: dict[str, Any] = {
        "id": b.id, "kind": b.kind.value, "state": b.state.value, "title": b.title, "body": b.body,
        "note_markdown": b.note_markdown, "language": b.language, "audience": b.audience,
        "risk_level": b.risk_level.value,
        "suggestion": suggestion,
        "author": b.author.email if b.author else None,
        "created_at": _iso(b.created_at), "updated_at": _iso(b.updated_at), "submitted_at": _iso(b.submitted_at),
        "decided_by": b.decided_by.email if b.decided_by else None, "decided_at": _iso(b.decided_at),
        "decision_comment": b.decision_comment, "send_at": _iso(b.send_at), "started_at": _iso(b.started_at),
        "finished_at": _iso(b.finished_at), "recurrence": b.recurrence, "parent_id": b.parent_id,
        "version": b.version,
    }
    if problems is not None:
        out["problems"] = [{"field": p.field, "error": problem_text(p.template, p.args_)} for p in problems]
    return out
