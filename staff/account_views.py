"""Each user's own account: password, second factor's recovery codes, sessions, and API tokens (admins see and
revoke everyone's tokens)."""
from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from core import clock
from core.extensions import db
from core.http import on_refusal
from core.roles import can
from staff import second_factor, service, sessions, tokens
from staff.blueprint import bp
from staff.forms import CodeForm, PasswordForm
from staff.models import ApiToken


def _account_page(form: PasswordForm | None = None, code_form: CodeForm | None = None):
    return render_template(
        "staff/account.html", form=form or PasswordForm(), code_form=code_form or CodeForm(),
        codes_left=second_factor.recovery_codes_left(db.session, current_user) if current_user.totp_secret else None,
        live=sessions.live(db.session, current_user.id), this=g.get("staff_session"))


@bp.get("/account")
@login_required
def account():
    return _account_page()


@bp.post("/account/password")
@login_required
def change_password():
    form = PasswordForm()
    on_refusal(render=lambda _exc: _account_page(form))
    if not form.validate_on_submit():
        return _account_page(form)
    service.change_password(db.session, current_user, form.current.data, form.new.data, keep=g.get("staff_session"))
    db.session.commit()
    flash(_("Your password is changed; you are signed out everywhere else."), "success")
    return redirect(url_for("staff.account"))


@bp.post("/account/recovery-codes")
@login_required
def recovery_codes():
    """New recovery codes (the old ones stop working), for someone enrolled, against a current code."""
    if not current_user.totp_secret:
        abort(403)
    form = CodeForm()
    if form.validate_on_submit() and second_factor.check(db.session, current_user, form.code.data, clock.now(),
                                                         ip=request.remote_addr) == "totp":
        codes = second_factor.new_recovery_codes(db.session, current_user)
        db.session.commit()
        return render_template("staff/recovery_codes.html", codes=codes, onward=url_for("staff.account"))
    db.session.commit()  # the failed code's audit entry
    flash(_("That code is not right."), "error")
    return redirect(url_for("staff.account"))


@bp.get("/tokens")
@login_required
def token_list():
    everyone = can(current_user, "staff.manage")
    rows = tokens.list_tokens(db.session, None if everyone else current_user,
                              include_ended=request.args.get("all") == "1")
    return render_template("staff/tokens.html", tokens=rows, everyone=everyone, now=clock.now())


@bp.post("/tokens/<int:token_id>/revoke")
@login_required
def revoke_token(token_id: int):
    token = db.get_or_404(ApiToken, token_id)
    if token.staff_id != current_user.id and not can(current_user, "staff.manage"):
        abort(403)
    on_refusal(back=url_for("staff.token_list"))
    tokens.revoke_token(db.session, token, current_user)
    db.session.commit()
    flash(_("Token %(prefix)s… revoked.", prefix=token.prefix), "success")
    return redirect(url_for("staff.token_list"))
