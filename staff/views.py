"""Sign-in, sign-out and the language switch."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from core.extensions import db, login_manager
from staff import service
from staff.forms import LoginForm
from staff.models import Staff

bp = Blueprint("staff", __name__)


@login_manager.user_loader
def load_user(user_id: str) -> Staff | None:
    return db.session.get(Staff, int(user_id))


def _safe_next(target: str | None) -> str:
    """Only same-site paths are followed after sign-in (no open redirect)."""
    if target and target.startswith("/") and not target.startswith("//") and not urlsplit(target).netloc:
        return target
    return url_for("core.home")


@bp.route("/login", methods=["GET", "POST"])
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
