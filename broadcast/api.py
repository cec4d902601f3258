"""JSON API of broadcasts: drafts, preview, submission and approval. Bearer tokens only.

Requests are checked against broadcast/schemas.py at the door; a refusal (ServiceError) is answered by the
one handler in core.http, which rolls back. Each endpoint calls one service function and commits. The
service gets the JSON as sent (the schema only vouches for its shape), as the compose page's form data does.

Every answer with a broadcast carries its `version` (and the same as an ETag). Every action takes the version
the caller saw (`version` or `seen_version` in the body, or If-Match) and is refused as stale (409) when the
broadcast changed since; approve and reject require it (or the older `seen_submitted_at`). For the other
actions a caller that names none (a script written before versions) acts on the version this request read,
still in one conditional UPDATE, so no change is ever written over another unseen.
"""
from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, current_app, g, jsonify, request
from sqlalchemy.orm.exc import StaleDataError

from broadcast import scheduling, service, texts, versions
from broadcast.models import Broadcast
from broadcast.report import report as broadcast_report
from broadcast.schemas import BroadcastEdit, BroadcastNew, Decision, Schedule, Seen
from broadcast.serialise import broadcast_json
from broadcast.settings import Settings
from core import clock, schemas
from core.calendar import calendar_for
from core.extensions import csrf, db
from core.roles import api_require

bp = Blueprint("broadcast_api", __name__, url_prefix="/api/v1/broadcasts")
csrf.exempt(bp)


def _settings() -> Settings:
    return Settings.from_config(current_app.config)


def _get(broadcast_id: int) -> Broadcast:
    b = db.session.get(Broadcast, broadcast_id)
    if b is None:
        raise service.NoBroadcast(broadcast_id)
    return b


def _answer(b: Broadcast, problems: list | None = None, status: int = 200):
    response = jsonify(broadcast_json(b, problems, viewer=g.api_user))
    response.status_code = status
    response.headers["ETag"] = f'"{b.version}"'
    return response


def _with_problems(b: Broadcast, status: int = 200):
    return _answer(b, service.compliance_problems(b, _settings()), status)


@bp.errorhandler(StaleDataError)
def stale(_exc):
    """A lost race found by a flush the service did not make itself (an autoflush): the same 409."""
    return current_app.handle_user_exception(versions.StaleVersion())


def _seen(**named) -> int | None:
    """The version the caller saw, from the body's fields `named` and the If-Match header (one, if several)."""
    return versions.one_seen(*named.items(), ("If-Match", request.headers.get("If-Match")))


def _seen_only() -> int | None:
    s = schemas.body(Seen, optional=True)
    return _seen(version=s.version, seen_version=s.seen_version)


@bp.post("")
@api_require("broadcasts.draft")
def create():
    b = service.create_draft(db.session, schemas.raw_body(BroadcastNew), g.api_user, _settings())
    db.session.commit()
    return _with_problems(b, 201)


@bp.get("/<int:broadcast_id>")
@api_require("broadcasts.view")
def get(broadcast_id: int):
    return _with_problems(_get(broadcast_id))


@bp.patch("/<int:broadcast_id>")
@api_require("broadcasts.draft")
def update(broadcast_id: int):
    b, data = _get(broadcast_id), dict(schemas.raw_body(BroadcastEdit))
    seen = _seen(version=data.pop("version", None), seen_version=data.pop("seen_version", None))
    service.update_draft(db.session, b, data, g.api_user, _settings(), seen_version=seen)
    db.session.commit()
    return _with_problems(b)


@bp.get("/<int:broadcast_id>/preview")
@api_require("broadcasts.view")
def preview(broadcast_id: int):
    return jsonify(texts.preview(db.session, _get(broadcast_id), _settings(), viewer=g.api_user))


def _act(broadcast_id: int, action: Callable[[Broadcast], object]):
    """Run one service action on the broadcast; success commits and answers with the broadcast."""
    b = _get(broadcast_id)
    action(b)
    db.session.commit()
    return _answer(b)


@bp.post("/<int:broadcast_id>/submit")
@api_require("broadcasts.submit")
def submit(broadcast_id: int):
    seen = _seen_only()
    return _act(broadcast_id, lambda b: service.submit(db.session, b, g.api_user, _settings(), seen_version=seen))


def _decide(broadcast_id: int, decide: Callable):
    d = schemas.body(Decision, optional=True)
    seen = _seen(seen_version=d.seen_version, version=d.version)
    return _act(broadcast_id, lambda b: decide(db.session, b, g.api_user, d.comment, seen=d.seen_submitted_at,
                                               seen_version=seen, require_seen=True))


@bp.post("/<int:broadcast_id>/approve")
@api_require("broadcasts.approve")
def approve(broadcast_id: int):
    return _decide(broadcast_id, service.approve)


@bp.post("/<int:broadcast_id>/reject")
@api_require("broadcasts.approve")
def reject(broadcast_id: int):
    return _decide(broadcast_id, service.reject)


@bp.post("/<int:broadcast_id>/schedule")
@api_require("broadcasts.schedule")
def schedule(broadcast_id: int):
    s, settings, config = schemas.body(Schedule, optional=True), _settings(), current_app.config
    seen = _seen(version=s.version, seen_version=s.seen_version)
    return _act(broadcast_id, lambda b: scheduling.schedule(
        db.session, b, g.api_user, service.parse_time(s.send_at, settings.timezone, "send_at"), settings,
        clock.now(), calendar_for(config), recurrence=s.recurrence, confirm_duplicate=s.confirm_duplicate,
        seen_version=seen))


@bp.post("/<int:broadcast_id>/pause")
@api_require("broadcasts.schedule")
def pause(broadcast_id: int):
    seen = _seen_only()
    return _act(broadcast_id, lambda b: scheduling.pause(db.session, b, g.api_user, seen_version=seen))


@bp.post("/<int:broadcast_id>/resume")
@api_require("broadcasts.schedule")
def resume(broadcast_id: int):
    seen = _seen_only()
    return _act(broadcast_id, lambda b: scheduling.resume(db.session, b, g.api_user, seen_version=seen))


@bp.post("/<int:broadcast_id>/cancel")
@api_require("broadcasts.schedule")
def cancel(broadcast_id: int):
    seen = _seen_only()
    return _act(broadcast_id, lambda b: scheduling.cancel(db.session, b, g.api_user, clock.now(),
                                                          seen_version=seen))


@bp.get("/<int:broadcast_id>/report")
@api_require("broadcasts.report")
def report(broadcast_id: int):
    return jsonify(broadcast_report(db.session, _get(broadcast_id)))
