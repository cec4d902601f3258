"""JSON API of the client book: /api/v1/clients, imports and tier reviews. Bearer tokens only (no cookies)."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, g, jsonify, request

from clients import imports, reviews, service
from clients.models import Client, TierAssignment, TierReview
from clients.parsing import FileError
from core.extensions import csrf, db
from core.http import api_error
from core.roles import api_require
from core.timeutil import local_today

bp = Blueprint("clients_api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)  # token-authenticated: a browser's cookies are never accepted here


def _import_json(run) -> dict:
    return {"id": run.id, "created": run.created, "updated": run.updated, "unchanged": run.unchanged,
            "rejected": [{"line": r["line"], "account_no": r["account_no"], "reason": r["reason"]}
                         for r in run.rejected]}


CHANGES_PER_PAGE = 500


def _review_json(review: TierReview, session, page: int = 1) -> dict:
    """A review with its summary and one page of its changes (a first review of a large book changes every
    client); `changes_page`/`changes_pages` tell how to fetch the rest with ?page=."""
    query = (db.select(TierAssignment, Client.account_no).join(Client, Client.id == TierAssignment.client_id)
             .where(TierAssignment.review_id == review.id, TierAssignment.change != "same"))
    total = session.scalar(db.select(db.func.count()).select_from(query.subquery()))
    changes = session.execute(query.order_by(Client.account_no).limit(CHANGES_PER_PAGE)
                              .offset((page - 1) * CHANGES_PER_PAGE)).all()
    return {
        "id": review.id, "quarter": review.quarter, "state": review.state.value,
        "created_at": review.created_at.isoformat(),
        "published_at": review.published_at.isoformat() if review.published_at else None,
        "summary": reviews.review_summary(session, review.id),
        "changes_total": total, "changes_page": page, "changes_pages": max(1, -(-total // CHANGES_PER_PAGE)),
        "changes": [{"account_no": account_no, "from": a.previous_tier.value if a.previous_tier else None,
                     "to": a.tier.value, "change": a.change, "rule": a.reason,
                     "avg_equity": str(a.avg_equity), "avg_commission": str(a.avg_commission)}
                    for a, account_no in changes],
    }


@bp.get("/clients")
@api_require("clients.view_all", "clients.view_own")
def list_clients():
    try:
        page = int(request.args.get("page", "1"))
        per_page = min(int(request.args.get("per_page", "50")), 500)
    except ValueError:
        return api_error("page and per_page must be whole numbers", 400, "page")
    if page < 1 or per_page < 1:
        return api_error("page and per_page start at 1", 400, "page")
    f = service.ClientFilter(tier=request.args.get("tier") or None, branch=request.args.get("branch") or None,
                             staff_code=request.args.get("staff_code") or None, q=request.args.get("q") or None)
    for field, problem in f.problems().items():
        return api_error(problem, 400, field)
    try:
        query = service.filtered_clients(g.api_user, f)
    except service.Forbidden:
        return api_error("you see only your own clients; this filter asks for someone else's", 403,
                         "staff_code" if f.staff_code else "branch")
    result = db.paginate(query, page=page, per_page=per_page, error_out=False)
    return jsonify({"items": [service.client_json(c) for c in result.items], "total": result.total,
                    "page": page, "pages": result.pages})


def _visible_client(account_no: str) -> Client:
    """The client if the token's owner may see it; a JSON 403 or 404 otherwise."""
    try:
        client = service.client_for(db.session, g.api_user, account_no)
    except service.Forbidden:
        abort(api_error("this client belongs to another staff member", 403))
    if client is None:
        abort(api_error(f"no client with account number {account_no}", 404))
    return client


@bp.get("/clients/<account_no>")
@api_require("clients.view_all", "clients.view_own")
def get_client(account_no: str):
    client = _visible_client(account_no)
    return jsonify(service.client_json(client))


@bp.post("/clients/<account_no>/consent")
@api_require("clients.consent")
def set_consent(account_no: str):
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not isinstance(body.get("opted_out"), bool):
        return api_error('send {"opted_out": true or false, "how": "by phone"}', 400, "opted_out")
    client = _visible_client(account_no)
    try:
        service.record_consent(db.session, client, body["opted_out"], str(body.get("how") or ""), actor=g.api_user)
    except service.ConsentError as exc:
        db.session.rollback()
        return api_error(str(exc), 400, "how")
    db.session.commit()
    return jsonify(service.client_json(client))


def _upload() -> tuple[bytes, str] | None:
    upload = request.files.get("file")
    if upload is not None:
        return upload.read(), upload.filename or "upload"
    if request.mimetype in ("text/csv", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                            "application/octet-stream"):
        return request.get_data(), request.args.get("filename", "upload.csv")
    return None


def _import(kind):
    upload = _upload()
    if upload is None:
        return api_error("send the file as multipart field 'file' or as a text/csv or xlsx body", 400, "file")
    data, filename = upload
    func = imports.import_clients if kind == "clients" else imports.import_monthly
    try:
        run = func(db.session, data, filename, actor=g.api_user)
    except FileError as exc:
        db.session.rollback()
        return api_error(f"the file cannot be read: {exc}", 400, "file")
    db.session.commit()
    current_app.logger.info("import %s by %s: %s created, %s updated, %s rejected", kind, g.api_user.email,
                            run.created, run.updated, len(run.rejected))
    return jsonify(_import_json(run))


@bp.post("/clients/import")
@api_require("clients.import")
def import_clients():
    return _import("clients")


@bp.post("/clients/import-monthly")
@api_require("clients.import")
def import_monthly():
    return _import("monthly")


@bp.post("/tier-reviews")
@api_require("tiers.review")
def create_review():
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not isinstance(body.get("quarter"), str):
        return api_error('send {"quarter": "2026Q3"}', 400, "quarter")
    try:
        review = reviews.create_review(db.session, body["quarter"], actor=g.api_user,
                                        today=local_today(current_app.config["TIMEZONE"]))
    except reviews.ReviewError as exc:
        db.session.rollback()
        return api_error(str(exc), exc.status, exc.field)
    db.session.commit()
    return jsonify(_review_json(review, db.session)), 201


@bp.get("/tier-reviews/<int:review_id>")
@api_require("tiers.view")
def get_review(review_id: int):
    review = db.session.get(TierReview, review_id)
    if review is None:
        return api_error(f"no tier review {review_id}", 404)
    try:
        page = max(1, int(request.args.get("page", "1")))
    except ValueError:
        return api_error("page must be a whole number", 400, "page")
    return jsonify(_review_json(review, db.session, page))


@bp.post("/tier-reviews/<int:review_id>/publish")
@api_require("tiers.publish")
def publish_review(review_id: int):
    try:
        review = reviews.publish_review(db.session, review_id, actor=g.api_user)
    except reviews.ReviewError as exc:
        db.session.rollback()
        return api_error(str(exc), exc.status, exc.field)
    db.session.commit()
    return jsonify(_review_json(review, db.session))
