"""The JSON shape of a broadcast, for the API (broadcast/schemas.py declares it); problems in the caller's
language."""
from __future__ import annotations

from typing import Any

from broadcast.models import Broadcast
from clients.privacy import may_see_book
from core.templating import problem_text


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def audience_json(audience: dict | None, viewer) -> dict[str, Any]:
    """The stored audience as `viewer` may see it: the listed accounts (include, exclude) only for those who
    may see the client book; everyone gets how many are listed."""
    out = {"tiers": [], "branches": [], "staff_codes": [], "include": [], "exclude": [], "include_dormant": False,
           **(audience or {})}
    out["include_count"], out["exclude_count"] = len(out["include"]), len(out["exclude"])
    if viewer is None or not may_see_book(viewer):
        out["include"], out["exclude"] = [], []
    return out


def broadcast_json(b: Broadcast, problems: list | None = None, viewer=None) -> dict[str, Any]:
    """The broadcast for the API; the audience's listed accounts only for a `viewer` who may see the book."""
    suggestion = None
    if b.is_suggestion:
        suggestion = {"contract": b.contract, "direction": b.direction.value if b.direction else None,
                      "entry": b.entry, "stop": b.stop, "targets": list(b.targets or []),
                      "position_pct": float(b.position_pct) if b.position_pct is not None else None,
                      "valid_until": _iso(b.valid_until), "risk_statement": b.risk_statement}
    out: dict[str, Any] = {
        "id": b.id, "kind": b.kind.value, "state": b.state.value, "title": b.title, "body": b.body,
        "note_markdown": b.note_markdown, "language": b.language, "audience": audience_json(b.audience, viewer),
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
