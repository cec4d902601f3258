"""JSON API of broadcasts: drafts, preview, submission and approval. Bearer tokens only."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, g, jsonify, request

from broadcast import scheduling, service, texts
from broadcast.models import Broadcast
from broadcast.report import report as broadcast_report
from broadcast.serialise import broadcast_json
from broadcast.settings import Settings
from core.extensions import csrf, db
from core.http import api_error
from core.roles import api_require
from core.timeutil import utcnow

bp = Blueprint("broadcast_api", __name__, url_prefix="/api/v1/broadcasts")
csrf.exempt(bp)


def _settings() -> Settings:
    return Settings.from_config(current_app.config)


def _get(broadcast_id: int) -> Broadcast:
    b = db.session.get(Broadcast, broadcast_id)
    if b is None:
        abort(api_error(f"no broadcast {broadcast_id}", 404))
    return b


def _body() -> dict:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        abort(api_error("send a JSON object", 400))
    return data


def _fail(exc: service.BroadcastError):
    db.session.rollback()
    return api_error(str(exc), exc.status, exc.field)


@bp.post("")
@api_require("broadcasts.draft")
def create():
    try:
        b = service.create_draft(db.session, _body(), g.api_user, _settings())
    except service.BroadcastError as exc:
        return _fail(exc)
    db.session.commit()
    return jsonify(broadcast_json(b, service.compliance_problems(b, _settings()))), 201


@bp.get("/<int:broadcast_id>")
@api_require("broadcasts.view")
def get(broadcast_id: int):
    b = _get(broadcast_id)
    return jsonify(broadcast_json(b, service.compliance_problems(b, _settings())))


@bp.patch("/<int:broadcast_id>")
@api_require("broadcasts.draft")
def update(broadcast_id: int):
    b = _get(broadcast_id)
    try:
        service.update_draft(db.session, b, _body(), g.api_user, _settings())
    except service.BroadcastError as exc:
        return _fail(exc)
    db.session.commit()
    return jsonify(broadcast_json(b, service.compliance_problems(b, _settings())))


@bp.get("/<int:broadcast_id>/preview")
@api_require("broadcasts.view")
def preview(broadcast_id: int):
    return jsonify(texts.preview(db.session, _get(broadcast_id), _settings()))


@bp.post("/<int:broadcast_id>/submit")
@api_require("broadcasts.submit")
def submit(broadcast_id: int):
    b = _get(broadcast_id)
    try:
        service.submit(db.session, b, g.api_user, _settings())
    except service.BroadcastError as exc:
        return _fail(exc)
    except service.NotCompliant as exc:
        db.session.rollback()
        first = exc.problems[0]
        return jsonify({"error": str(first), "field": first.field,
                        "problems": [{"field": p.field, "error": str(p)} for p in exc.problems]}), 400
    db.session.commit()
    return jsonify(broadcast_json(b))


def _control(broadcast_id: int, action):
    """Run `action` on the broadcast; its BroadcastError becomes a JSON error, success commits."""
    b = _get(broadcast_id)
    try:
        action(b)
    except service.BroadcastError as exc:
        return _fail(exc)
    db.session.commit()
    return jsonify(broadcast_json(b))


def _decide(broadcast_id: int, approve: bool):
    data = request.get_json(silent=True) or {}
    comment = data.get("comment") if isinstance(data, dict) else None
    seen = data.get("seen_submitted_at") if isinstance(data, dict) else None
    if comment is not None and not isinstance(comment, str):
        return api_error("comment must be text", 400, "comment")
    if seen is not None and not isinstance(seen, str):
        return api_error("seen_submitted_at must be the submitted_at you read", 400, "seen_submitted_at")
    decide = service.approve if approve else service.reject
    return _control(broadcast_id, lambda b: decide(db.session, b, g.api_user, comment, seen=seen))


@bp.post("/<int:broadcast_id>/approve")
@api_require("broadcasts.approve")
def approve(broadcast_id: int):
    return _decide(broadcast_id, True)


@bp.post("/<int:broadcast_id>/reject")
@api_require("broadcasts.approve")
def reject(broadcast_id: int):
    return _decide(broadcast_id, False)



@bp.post("/<int:broadcast_id>/schedule")
@api_require("broadcasts.schedule")
def schedule(broadcast_id: int):
    b = _get(broadcast_id)
    data = request.get_json(silent=True)
    data = data if isinstance(data, dict) else {}
    recurrence = data.get("recurrence")
    if recurrence is not None and not isinstance(recurrence, str):
        return api_error('recurrence is text such as "trading_days@08:30"', 400, "recurrence")
    settings = _settings()
    try:
        send_at = service.parse_time(data.get("send_at"), settings.timezone, "send_at")
        scheduling.schedule(db.session, b, g.api_user, send_at, settings, utcnow(), current_app.config.get("QUIET_HOURS"),
                         recurrence=recurrence, holidays=current_app.config.get("HOLIDAYS"),
                         confirm_duplicate=data.get("confirm_duplicate") is True)
    except service.BroadcastError as exc:
        return _fail(exc)
    db.session.commit()
    return jsonify(broadcast_json(b))


@bp.post("/<int:broadcast_id>/pause")
@api_require("broadcasts.schedule")
def pause(broadcast_id: int):
    return _control(broadcast_id, lambda b: scheduling.pause(db.session, b, g.api_user))


@bp.post("/<int:broadcast_id>/resume")
@api_require("broadcasts.schedule")
def resume(broadcast_id: int):
    return _control(broadcast_id, lambda b: scheduling.resume(db.session, b, g.api_user))


@bp.post("/<int:broadcast_id>/cancel")
@api_require("broadcasts.schedule")
def cancel(broadcast_id: int):
    return _control(broadcast_id, lambda b: scheduling.cancel(db.session, b, g.api_user, utcnow()))


@bp.get("/<int:broadcast_id>/report")
@api_require("broadcasts.report")
def report(broadcast_id: int):
    return jsonify(broadcast_report(db.session, _get(broadcast_id)))
