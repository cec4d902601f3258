"""Sign-in, sign-out and the language switch."""
from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from core import audit
from core.extensions import db, limiter, login_manager
from core.http import on_refusal, same_site
from core.roles import require, token_loader
from staff import service, tokens
from staff.forms import LoginForm, StaffForm
from staff.models import Staff

bp = Blueprint("staff", __name__)


@login_manager.user_loader
def load_user(user_id: str) -> Staff | None:
    return db.session.get(Staff, int(user_id))


# the API's caller, by bearer token, for core.roles.api_require; its last use is written after the request
token_loader(tokens.user_from_request)
bp.after_app_request(tokens.record_use)


def _safe_next(target: str | None) -> str:
    """Only same-site paths are followed after sign-in (no open redirect)."""
    return same_site(target) or url_for("core.home")


# Sign-in attempts (Flask-Limiter): per client address (LOGIN_LIMIT) and per account, the email asked for
# (LOGIN_ACCOUNT_LIMIT), so that spreading the guesses over many addresses does not help. Only failed
# attempts count (a success redirects), so that a whole office signing in behind one address in the morning
# is never refused. A refusal answers 429 and is audited with the address and the email, never the password.

def _address_limit() -> str:
    return current_app.config["LOGIN_LIMIT"]


def _account_limit() -> str:
    return current_app.config.get("LOGIN_ACCOUNT_LIMIT") or current_app.config["LOGIN_LIMIT"]


def _asked_email() -> str:
    return (request.form.get("email") or "").strip().lower()[:200]


def _account_key() -> str:
    return "account:" + _asked_email()


def _failed(response) -> bool:
    """Counts a failed sign-in; a success (a redirect) and a refusal for too many attempts do not count."""
    return response.status_code not in (302, 429)


def _refused(by: str):
    def record(limit) -> None:
        audit.record(db.session, "auth.login_limited", actor_label=_asked_email() or None, ip=request.remote_addr,
                     detail={"by": by, "limit": str(limit.limit)})
        db.session.commit()
        current_app.logger.warning("sign-in refused after too many failed attempts (per %s, %s)", by, limit.limit)

    return record


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_address_limit, methods=["POST"], deduct_when=_failed, on_breach=_refused("address"))
@limiter.limit(_account_limit, key_func=_account_key, methods=["POST"], deduct_when=_failed,
               on_breach=_refused("account"))
def login():
    if current_user.is_authenticated:
        return redirect(url_for("core.home"))
    form = LoginForm()
    if form.validate_on_submit():
        staff = service.authenticate(db.session, form.email.data, form.password.data, ip=request.remote_addr)
        db.session.commit()
        if staff is not None:
            login_user(staff)
            if staff.locale:
                session["lang"] = staff.locale
            return redirect(_safe_next(request.args.get("next")))
        flash(_("Wrong email or password."), "error")
    return render_template("staff/login.html", form=form)


@bp.post("/logout")
@login_required
def logout():
    logout_user()
    flash(_("You are signed out."), "info")
    return redirect(url_for("staff.login"))


@bp.post("/language/<lang>")
def set_language(lang: str):
    if lang not in current_app.config["LANGUAGES"]:
        return redirect(url_for("core.home"))
    session["lang"] = lang
    if current_user.is_authenticated:
        current_user.locale = lang
        db.session.commit()
    return redirect(_safe_next(request.form.get("next")))


@bp.route("/staff", methods=["GET", "POST"])
@require("staff.manage")
def staff_list():
    form = StaffForm()
    on_refusal(render=lambda _exc: _staff_page(form))
    if form.validate_on_submit():
        staff = service.create_staff(db.session, email=form.email.data, name=form.name.data,
                                     password=form.password.data, roles=form.roles.data,
                                     branch=form.branch.data or None, staff_code=form.staff_code.data or None,
                                     phone=form.phone.data or None, actor=current_user)
        db.session.commit()
        flash(_("Account for %(name)s created.", name=staff.name), "success")
        return redirect(url_for("staff.staff_list"))
    return _staff_page(form)


def _staff_page(form: StaffForm):
    people = db.session.scalars(sa.select(Staff).order_by(Staff.active.desc(), Staff.branch, Staff.name)).all()
    return render_template("staff/list.html", people=people, form=form)


@bp.post("/staff/<int:staff_id>/active")
@require("staff.manage")
def staff_active(staff_id: int):
    staff = db.get_or_404(Staff, staff_id)
    on_refusal(back=url_for("staff.staff_list"))
    service.set_active(db.session, staff, request.form.get("active") == "1", actor=current_user)
    db.session.commit()
    flash(_("%(name)s can sign in.", name=staff.name) if staff.active
          else _("%(name)s can no longer sign in.", name=staff.name), "success")
    return redirect(url_for("staff.staff_list"))
