"""JSON API of follow-ups: the queues, one item's conversation, and what people do with items. Bearer tokens
only. Each endpoint reads its input, calls one service function, commits and answers with the item.

Who may see and handle an item is decided by `followups.service` (visible, may_handle): an item the token's
owner may not see is 403, never an empty answer.
"""
from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, abort, current_app, g, jsonify, request
from flask_babel import gettext as _

from core.extensions import csrf, db
from core.http import api_error
from core.roles import FOLLOWUP_VIEW, api_require
from core.templating import problem_text
from core.timeutil import utcnow
from followups import queries, service
from followups.models import FollowUp
from followups.serialise import items_json, one_item_json
from followups.settings import FollowUpSettings

bp = Blueprint("followups_api", __name__, url_prefix="/api/v1/followups")
csrf.exempt(bp)  # token-authenticated: a browser's cookies are never accepted here

MAX_PER_PAGE = 200


def _settings() -> FollowUpSettings:
    return FollowUpSettings.from_config(current_app.config)


def _forbidden():
    return api_error(_("this follow-up is not yours to see or handle"), 403)


def _fail(exc: service.FollowUpError, field: str | None = None):
    db.session.rollback()
    return api_error(problem_text(exc.template, exc.args_), 400, field)


def _item(item_id: int) -> FollowUp:
    """The item if the token's owner may see it; a JSON 403 or 404 otherwise."""
    try:
        item = service.get_item(db.session, g.api_user, item_id)
    except service.Forbidden:
        abort(_forbidden())
    if item is None:
        abort(api_error(_("there is no follow-up %(id)s", id=item_id), 404))
    return item


def _body() -> dict:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        abort(api_error(_("send a JSON object"), 400))
    return data


def _text(data: dict, key: str) -> str:
    """A text field of the request; a missing one is empty (the service says what is wanted)."""
    value = data.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        abort(api_error(_("%(name)s must be text", name=key), 400, key))
    return value


def _act(item_id: int, action: Callable[..., object], *fields: str, status: int = 200):
    """Run `action` on a visible item, with the text `fields` of the JSON body (read once the item is known to
    be the person's): a refusal is 400 (403 when the item is not theirs to handle); success commits and
    answers with the item."""
    item = _item(item_id)
    values: list[str] = []
    if fields:
        data = _body()
        values = [_text(data, key) for key in fields]
    try:
        action(item, *values)
    except service.FollowUpError as exc:
        return _fail(exc, fields[0] if len(fields) == 1 else None)
    except service.Forbidden:
        db.session.rollback()
        return _forbidden()
    db.session.commit()
    return jsonify(one_item_json(db.session, item)), status


@bp.get("")
@api_require(*FOLLOWUP_VIEW)
def list_items():
    try:
        page = int(request.args.get("page", "1"))
        per_page = min(int(request.args.get("per_page", "50")), MAX_PER_PAGE)
    except ValueError:
        return api_error(_("page and per_page must be whole numbers"), 400, "page")
    if page < 1 or per_page < 1:
        return api_error(_("page and per_page start at 1"), 400, "page")
    try:
        f = queries.ItemFilter.from_args(request.args)
    except service.FollowUpError as exc:
        return _fail(exc)
    result = db.paginate(queries.items_query(g.api_user, f), page=page, per_page=per_page, error_out=False)
    return jsonify({"items": items_json(db.session, list(result.items)), "total": result.total, "page": page,
                    "pages": result.pages})


@bp.get("/<int:item_id>")
@api_require(*FOLLOWUP_VIEW)
def get_item(item_id: int):
    return jsonify(one_item_json(db.session, _item(item_id)))


@bp.post("/<int:item_id>/claim")
@api_require(*FOLLOWUP_VIEW)
def claim(item_id: int):
    return _act(item_id, lambda item: service.claim(db.session, g.api_user, item, utcnow()))


@bp.post("/<int:item_id>/assign")
@api_require(*FOLLOWUP_VIEW)
def assign(item_id: int):
    return _act(item_id, lambda item, email: service.assign(db.session, g.api_user, item, email, utcnow()), "user")


@bp.post("/<int:item_id>/reroute")
@api_require(*FOLLOWUP_VIEW)
def reroute(item_id: int):
    return _act(item_id, lambda item, queue, reason: service.reroute(db.session, g.api_user, item, queue, reason,
                                                                     utcnow()), "queue", "reason")


@bp.post("/<int:item_id>/notes")
@api_require(*FOLLOWUP_VIEW)
def add_note(item_id: int):
    return _act(item_id, lambda item, body: service.add_note(db.session, g.api_user, item, body, utcnow()), "body",
                status=201)


@bp.post("/<int:item_id>/reply")
@api_require("followups.reply")
def reply(item_id: int):
    return _act(item_id, lambda item, body: service.reply(db.session, g.api_user, item, body, _settings(), utcnow()),
                "body", status=201)


@bp.post("/<int:item_id>/resolve")
@api_require(*FOLLOWUP_VIEW)
def resolve(item_id: int):
    return _act(item_id, lambda item: service.resolve(db.session, g.api_user, item, utcnow()))


@bp.post("/<int:item_id>/reopen")
@api_require(*FOLLOWUP_VIEW)
def reopen(item_id: int):
    return _act(item_id, lambda item: service.reopen(db.session, g.api_user, item, _settings(), utcnow()))


@bp.patch("/<int:item_id>/category")
@api_require(*FOLLOWUP_VIEW)
def set_category(item_id: int):
    return _act(item_id, lambda item, category: service.correct_category(db.session, g.api_user, item, category,
                                                                         utcnow()), "category")
