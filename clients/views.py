"""Pages of the client book, imports and tier reviews. Thin: validate, call the service, flash, redirect."""
from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import contains_eager

from clients import imports, privacy, reviews, service
from clients.forms import ConfirmForm, ConsentForm, ImportForm, ReviewForm
from clients.models import Client, ImportKind, ImportRun, ReviewState, TierAssignment, TierReview
from clients.tiers import Tier
from core import clock
from core.extensions import db
from core.http import on_refusal
from core.roles import can, require
from staff.models import Staff

bp = Blueprint("clients", __name__)


def _page_arg() -> int:
    try:
        return max(1, int(request.args.get("page", "1")))
    except ValueError:
        return 1


@bp.get("/clients")
@require("clients.view_all", "clients.view_own")
def client_list():
    f = service.ClientFilter(tier=request.args.get("tier") or None, branch=request.args.get("branch") or None,
                             staff_code=request.args.get("staff_code") or None, q=request.args.get("q") or None)
    if f.problems():
        f = service.ClientFilter(branch=f.branch, staff_code=f.staff_code, q=f.q)
        flash(_("Unknown tier; showing all tiers."), "error")
    query = service.filtered_clients(current_user, f)
    page = db.paginate(query, page=_page_arg(), per_page=current_app.config["CLIENTS_PER_PAGE"], error_out=False)
    sees_all = can(current_user, "clients.view_all")
    staff = db.session.scalars(sa.select(Staff).where(Staff.staff_code.is_not(None)).order_by(Staff.staff_code)) \
        if sees_all else []
    return render_template("clients/list.html", page=page, f=f, tiers=list(Tier), sees_all=sees_all,
                           branches=service.branches(db.session) if sees_all else [], staff=list(staff),
                           mobiles={c.id: privacy.mobile_for(current_user, c) for c in page.items})


def _detail_page(client, shown: str | None = None):
    """The client's page; `shown`: the number just revealed by the "show" action (never cached)."""
    masked = client.mobile is not None and not privacy.may_see_mobile(current_user, client) and shown is None
    page = render_template("clients/detail.html", client=client, mobile=shown or privacy.mobile_for(current_user, client),
                           may_reveal=masked and privacy.may_reveal_mobile(current_user, client),
                           figures=service.figures_of(db.session, client),
                           history=service.tier_history(db.session, client),
                           consent_form=ConsentForm() if can(current_user, "clients.consent") else None)
    return page, 200, {"Cache-Control": "no-store"} if shown else {}


@bp.get("/clients/<account_no>")
@require("clients.view_all", "clients.view_own")
def client_detail(account_no: str):
    return _detail_page(service.visible_client(db.session, current_user, account_no))


@bp.post("/clients/<account_no>/mobile")
@require("clients.view_all", "clients.view_own")
def client_mobile(account_no: str):
    """Show one masked number (audited): the client's page again with the number whole, not cached."""
    client = service.visible_client(db.session, current_user, account_no)
    on_refusal(back=url_for("clients.client_detail", account_no=account_no))
    shown = service.reveal_mobile(db.session, current_user, client, via="client page")
    db.session.commit()
    return _detail_page(client, shown)


@bp.post("/clients/<account_no>/consent")
@require("clients.consent")
def client_consent(account_no: str):
    client = service.visible_client(db.session, current_user, account_no)
    detail = url_for("clients.client_detail", account_no=account_no)
    on_refusal(back=detail)
    form = ConsentForm()
    if not form.validate_on_submit():
        flash(_("Say how the client asked (e.g. by phone, in writing)."), "error")
        return redirect(detail)
    opted_out = request.form.get("opted_out") == "1"
    service.record_consent(db.session, client, opted_out, form.how.data, actor=current_user)
    db.session.commit()
    flash(_("Opt-out recorded: no broadcast will reach this client.") if opted_out
          else _("Opt-in recorded: this client receives broadcasts again."), "success")
    return redirect(detail)


@bp.route("/imports", methods=["GET", "POST"])
@require("clients.import")
def import_page():
    clients_form, monthly_form = ImportForm(prefix="clients"), ImportForm(prefix="monthly")
    # an unreadable file: the page says why and stays, as after a form error
    on_refusal(render=lambda _exc: _import_page(clients_form, monthly_form))
    for form, kind, func in ((clients_form, "clients", imports.import_clients),
                             (monthly_form, "monthly", imports.import_monthly)):
        if request.method == "POST" and request.form.get("kind") == kind and form.validate_on_submit():
            upload = form.file.data
            run = func(db.session, upload.read(), upload.filename or "upload", actor=current_user)
            db.session.commit()
            flash(_("Imported: %(created)s created, %(updated)s updated, %(unchanged)s unchanged, "
                    "%(rejected)s rejected.", created=run.created, updated=run.updated,
                    unchanged=run.unchanged, rejected=len(run.rejected)),
                  "info" if run.rejected else "success")
            return redirect(url_for("clients.import_result", run_id=run.id))
    return _import_page(clients_form, monthly_form)


def _import_page(clients_form: ImportForm, monthly_form: ImportForm):
    recent = db.session.scalars(sa.select(ImportRun).order_by(ImportRun.id.desc()).limit(20)).all()
    return render_template("clients/import.html", clients_form=clients_form, monthly_form=monthly_form,
                           recent=recent)


@bp.get("/imports/<int:run_id>")
@require("clients.import")
def import_result(run_id: int):
    run = db.get_or_404(ImportRun, run_id)
    return render_template("clients/import_result.html", run=run, kinds=ImportKind)


@bp.route("/tier-reviews", methods=["GET", "POST"])
@require("tiers.view")
def review_list():
    form = ReviewForm()
    on_refusal(render=lambda _exc: _reviews_page(form))
    if request.method == "POST":
        if not can(current_user, "tiers.review"):
            abort(403)
        if form.validate_on_submit():
            review = reviews.create_review(db.session, form.quarter.data, actor=current_user,
                                           today=clock.local_today(current_app.config["TIMEZONE"]))
            db.session.commit()
            flash(_("Draft review of %(quarter)s made. Check the changes, then publish.",
                    quarter=review.quarter), "success")
            return redirect(url_for("clients.review_detail", review_id=review.id))
    return _reviews_page(form)


def _reviews_page(form: ReviewForm):
    items = db.session.scalars(sa.select(TierReview).order_by(TierReview.id.desc())).all()
    return render_template("clients/reviews.html", form=form, reviews=items, current=reviews.current_review(db.session),
                           may_review=can(current_user, "tiers.review"))


CHANGE_FILTERS = ("up", "down", "new", "same")


@bp.get("/tier-reviews/<int:review_id>")
@require("tiers.view")
def review_detail(review_id: int):
    review = db.get_or_404(TierReview, review_id)
    change = request.args.get("change", "changed")
    query = (sa.select(TierAssignment).join(Client, Client.id == TierAssignment.client_id)
             .options(contains_eager(TierAssignment.client))
             .where(TierAssignment.review_id == review.id))
    if change in CHANGE_FILTERS:
        query = query.where(TierAssignment.change == change)
    else:
        change = "changed"
        query = query.where(TierAssignment.change != "same")
    rows = db.paginate(query.order_by(Client.account_no), page=_page_arg(), per_page=100, error_out=False)
    return render_template("clients/review.html", review=review, rows=rows, change=change,
                           summary=reviews.review_summary(db.session, review.id), tiers=list(Tier),
                           form=ConfirmForm(), may_publish=can(current_user, "tiers.publish")
                           and review.state == ReviewState.draft, blocker=reviews.publish_blocker(db.session, review))


@bp.post("/tier-reviews/<int:review_id>/publish")
@require("tiers.publish")
def review_publish(review_id: int):
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    on_refusal(back=url_for("clients.review_detail", review_id=review_id))
    review = reviews.publish_review(db.session, review_id, actor=current_user)
    db.session.commit()
    flash(_("Review of %(quarter)s published: these are now the clients' tiers.", quarter=review.quarter),
          "success")
    return redirect(url_for("clients.review_detail", review_id=review.id))
