"""JSON API of follow-ups: the queues, one item's conversation, and what people do with items. Bearer tokens
only. Each endpoint reads its input, calls one service function, commits and answers with the item.

Who may see and handle an item is decided by `followups.service` (visible, may_handle): an item the token's
owner may not see is 403, never an empty answer. Requests are checked against followups/schemas.py at the
door; a refusal (ServiceError) is answered by the one handler in core.http, which rolls back.
"""
from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, current_app, g, jsonify
from pydantic import BaseModel

from core import clock, schemas
from core.extensions import csrf, db
from core.roles import FOLLOWUP_VIEW, api_require
from followups import queries, service
from followups.schemas import MAX_PER_PAGE, Assign, CategoryChange, FollowUpQuery, Note, Reply, Reroute
from followups.serialise import items_json, one_item_json
from followups.settings import FollowUpSettings

bp = Blueprint("followups_api", __name__, url_prefix="/api/v1/followups")
csrf.exempt(bp)  # token-authenticated: a browser's cookies are never accepted here


def _settings() -> FollowUpSettings:
    return FollowUpSettings.from_config(current_app.config)


def _act(item_id: int, action: Callable[..., object], body: type[BaseModel] | None = None, status: int = 200):
    """Run `action` on a visible item, with the JSON body checked against `body` (read once the item is known
    to be the person's); success commits and answers with the item."""
    item = service.visible_item(db.session, g.api_user, item_id)
    if body is None:
        action(item)
    else:
        action(item, schemas.body(body))
    db.session.commit()
    return jsonify(one_item_json(db.session, item, g.api_user)), status


@bp.get("")
@api_require(*FOLLOWUP_VIEW)
def list_items():
    q = schemas.query(FollowUpQuery)
    f = queries.ItemFilter(queue=q.queue, status=q.status, assignee=q.assignee, category=q.category)
    result = db.paginate(queries.items_query(g.api_user, f), page=q.page, per_page=min(q.per_page, MAX_PER_PAGE),
                         error_out=False)
    return jsonify({"items": items_json(db.session, list(result.items), g.api_user), "total": result.total,
                    "page": q.page,
                    "pages": result.pages})


@bp.get("/<int:item_id>")
@api_require(*FOLLOWUP_VIEW)
def get_item(item_id: int):
    return jsonify(one_item_json(db.session, service.visible_item(db.session, g.api_user, item_id), g.api_user))


@bp.post("/<int:item_id>/mobile")
@api_require(*FOLLOWUP_VIEW)
def show_number(item_id: int):
    """The sender's whole number (audited), for someone who sees it masked and may see the client; never cached."""
    item = service.visible_item(db.session, g.api_user, item_id)
    number = service.reveal_number(db.session, g.api_user, item)
    db.session.commit()
    response = jsonify({"id": item.id, "from": number})
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/<int:item_id>/claim")
@api_require(*FOLLOWUP_VIEW)
def claim(item_id: int):
    return _act(item_id, lambda item: service.claim(db.session, g.api_user, item, clock.now()))


@bp.post("/<int:item_id>/assign")
@api_require(*FOLLOWUP_VIEW)
def assign(item_id: int):
    return _act(item_id, lambda item, a: service.assign(db.session, g.api_user, item, a.user, clock.now()), Assign)


@bp.post("/<int:item_id>/reroute")
@api_require(*FOLLOWUP_VIEW)
def reroute(item_id: int):
    return _act(item_id, lambda item, r: service.reroute(db.session, g.api_user, item, r.queue, r.reason, clock.now()),
                Reroute)


@bp.post("/<int:item_id>/notes")
@api_require(*FOLLOWUP_VIEW)
def add_note(item_id: int):
    return _act(item_id, lambda item, n: service.add_note(db.session, g.api_user, item, n.body, clock.now()), Note,
                status=201)


@bp.post("/<int:item_id>/reply")
@api_require("followups.reply")
def reply(item_id: int):
    return _act(item_id, lambda item, r: service.reply(db.session, g.api_user, item, r.body, _settings(), clock.now()),
                Reply, status=201)


@bp.post("/<int:item_id>/resolve")
@api_require(*FOLLOWUP_VIEW)
def resolve(item_id: int):
    return _act(item_id, lambda item: service.resolve(db.session, g.api_user, item, clock.now()))


@bp.post("/<int:item_id>/reopen")
@api_require(*FOLLOWUP_VIEW)
def reopen(item_id: int):
    return _act(item_id, lambda item: service.reopen(db.session, g.api_user, item, _settings(), clock.now()))


@bp.patch("/<int:item_id>/category")
@api_require(*FOLLOWUP_VIEW)
def set_category(item_id: int):
    return _act(item_id, lambda item, c: service.correct_category(db.session, g.api_user, item, c.category,
                                                                  clock.now()), CategoryChange)

