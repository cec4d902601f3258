"""JSON API of the client book: /api/v1/clients, imports and tier reviews. Bearer tokens only (no cookies).

Requests are checked against clients/schemas.py at the door; a refusal (ServiceError) is answered by the one
handler in core.http, which rolls back. Each endpoint reads its input, calls one service function, commits.
"""
from __future__ import annotations

from flask import Blueprint, current_app, g, jsonify, request

from clients import imports, reviews, service
from clients.models import Client, TierAssignment, TierReview
from clients.schemas import MAX_PER_PAGE, ClientQuery, Consent, PageQuery, ReviewRequest
from core import clock, schemas
from core.errors import N_
from core.extensions import csrf, db
from core.roles import api_require
from core.schemas import InvalidRequest
from core.templating import problem_text

bp = Blueprint("clients_api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)  # token-authenticated: a browser's cookies are never accepted here

CHANGES_PER_PAGE = 500


def _import_json(run) -> dict:
    return {"id": run.id, "created": run.created, "updated": run.updated, "unchanged": run.unchanged,
            "rejected": [{"line": r["line"], "account_no": r["account_no"],
                          "reason": problem_text(r["msg"], r["args"]) if r.get("msg") else r["reason"]}
                         for r in run.rejected]}


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
    args = schemas.query(ClientQuery)
    f = service.ClientFilter(tier=args.tier, branch=args.branch, staff_code=args.staff_code, q=args.q)
    result = db.paginate(service.filtered_clients(g.api_user, f), page=args.page,
                         per_page=min(args.per_page, MAX_PER_PAGE), error_out=False)
    return jsonify({"items": [service.client_json(c, g.api_user) for c in result.items], "total": result.total,
                    "page": args.page, "pages": result.pages})


@bp.get("/clients/<account_no>")
@api_require("clients.view_all", "clients.view_own")
def get_client(account_no: str):
    return jsonify(service.client_json(service.visible_client(db.session, g.api_user, account_no), g.api_user))


@bp.post("/clients/<account_no>/mobile")
@api_require("clients.view_all", "clients.view_own")
def show_mobile(account_no: str):
    """One client's whole mobile number (audited), for someone who sees it masked; never cached."""
    client = service.visible_client(db.session, g.api_user, account_no)
    mobile = service.reveal_mobile(db.session, g.api_user, client, via="api")
    db.session.commit()
    response = jsonify({"account_no": client.account_no, "mobile": mobile})
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/clients/<account_no>/consent")
@api_require("clients.consent")
def set_consent(account_no: str):
    consent = schemas.body(Consent)
    client = service.visible_client(db.session, g.api_user, account_no)
    service.record_consent(db.session, client, consent.opted_out, consent.how, actor=g.api_user)
    db.session.commit()
    return jsonify(service.client_json(client, g.api_user))


def _upload() -> tuple[bytes, str]:
    upload = request.files.get("file")
    if upload is not None:
        return upload.read(), upload.filename or "upload"
    if request.mimetype in ("text/csv", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                            "application/octet-stream"):
        return request.get_data(), request.args.get("filename", "upload.csv")
    raise InvalidRequest(N_("send the file as multipart field 'file' or as a text/csv or xlsx body"), field="file")


def _import(kind: str, func):
    run = func(db.session, *_upload(), actor=g.api_user)
    db.session.commit()
    current_app.logger.info("import %s by %s: %s created, %s updated, %s rejected", kind, g.api_user.email,
                            run.created, run.updated, len(run.rejected))
    return jsonify(_import_json(run))


@bp.post("/clients/import")
@api_require("clients.import")
def import_clients():
    return _import("clients", imports.import_clients)


@bp.post("/clients/import-monthly")
@api_require("clients.import")
def import_monthly():
    return _import("monthly", imports.import_monthly)


@bp.post("/tier-reviews")
@api_require("tiers.review")
def create_review():
    quarter = schemas.body(ReviewRequest).quarter
    review = reviews.create_review(db.session, quarter, actor=g.api_user,
                                   today=clock.local_today(current_app.config["TIMEZONE"]))
    db.session.commit()
    return jsonify(_review_json(review, db.session)), 201


@bp.get("/tier-reviews/<int:review_id>")
@api_require("tiers.view")
def get_review(review_id: int):
    review = reviews.get_review(db.session, review_id)
    return jsonify(_review_json(review, db.session, schemas.query(PageQuery).page))


@bp.post("/tier-reviews/<int:review_id>/publish")
@api_require("tiers.publish")
def publish_review(review_id: int):
    review = reviews.publish_review(db.session, review_id, actor=g.api_user)
    db.session.commit()
    return jsonify(_review_json(review, db.session))
