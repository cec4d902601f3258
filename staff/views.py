"""Sign-in (password, then the second factor or its enrolment, then a new password when an admin asked for
one), sign-out and the language switch. The account and staff-management pages are in account_views.py and
admin_views.py, on the same blueprint.

A browser is signed in only while its server-side session (staff/sessions.py) is live and complete: the loader
below refuses any other, so a step skipped or a session ended anywhere means signed out on the next request.
"""
from __future__ import annotations

from flask import current_app, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from core import audit, clock
from core.extensions import db, limiter, login_manager
from core.http import on_refusal, same_site
from core.roles import token_loader
from staff import account_views, admin_views, second_factor, service, sessions, tokens, totp  # noqa: F401
from staff.blueprint import bp
from staff.forms import CodeForm, LoginForm, NewPasswordForm
from staff.models import Staff, StaffSession

__all__ = ["bp"]

NEXT_KEY = "next_after_login"
ENROL_KEY = "enrol_secret"


def next_step(staff: Staff, row: StaffSession) -> str | None:
    """The sign-in step `row` still owes (an endpoint), or None when the session is complete."""
    setting = current_app.config.get("REQUIRE_SECOND_FACTOR", True)
    if totp.required(staff.role_set, staff.totp_secret is not None, setting) and row.second_factor_at is None:
        return "staff.second_factor" if staff.totp_secret else "staff.enrol"
    if staff.must_change_password:
        return "staff.new_password"
    return None


@login_manager.user_loader
def load_user(user_id: str) -> Staff | None:
    row = sessions.find(db.session, session.get(sessions.SESSION_KEY))
    if row is None or str(row.staff_id) != user_id:
        return None
    staff = row.staff
    if not staff.active or next_step(staff, row) is not None:
        return None
    sessions.note_seen(row)
    g.staff_session = row
    return staff


# the API's caller, by bearer token, for core.roles.api_require; its last use is written after the request
token_loader(tokens.user_from_request)
bp.after_app_request(tokens.record_use)
bp.after_app_request(sessions.record_seen)


def _safe_next(target: str | None) -> str:
    """Only same-site paths are followed after sign-in (no open redirect)."""
    return same_site(target) or url_for("core.home")


def _pending() -> StaffSession | None:
    """The session of a sign-in under way in this browser (the password was right a moment ago)."""
    row = sessions.find(db.session, session.get(sessions.SESSION_KEY))
    if row is None or not row.staff.active or not sessions.is_fresh(row, clock.now()):
        return None
    return row


# Sign-in attempts (Flask-Limiter): per client address (LOGIN_LIMIT) and per account, the email asked for
# (LOGIN_ACCOUNT_LIMIT), so that spreading the guesses over many addresses does not help. Only failed
# attempts count (a success redirects), so that a whole office signing in behind one address in the morning
# is never refused. A refusal answers 429 and is audited with the address and the email, never the password.
# The second factor's steps count in the same limits, for the account of the sign-in under way.

def _address_limit() -> str:
    return current_app.config["LOGIN_LIMIT"]


def _account_limit() -> str:
    return current_app.config.get("LOGIN_ACCOUNT_LIMIT") or current_app.config["LOGIN_LIMIT"]


def _asked_email() -> str:
    email = request.form.get("email")
    if email is None and request.endpoint != "staff.login":
        row = _pending()
        email = row.staff.email if row is not None else ""
    return (email or "").strip().lower()[:200]


def _account_key() -> str:
    return "account:" + _asked_email()


def _failed(response) -> bool:
    """Counts a failed attempt; a success (a redirect, or the page of new recovery codes) and a refusal for too
    many attempts do not count."""
    return response.status_code not in (302, 429) and not g.get("sign_in_step_passed", False)


def _refused(by: str):
    def record(limit) -> None:
        audit.record(db.session, "auth.login_limited", actor_label=_asked_email() or None, ip=request.remote_addr,
                     detail={"by": by, "limit": str(limit.limit), "step": request.endpoint})
        db.session.commit()
        current_app.logger.warning("sign-in refused after too many failed attempts (per %s, %s)", by, limit.limit)

    return record


# one count for every step of signing in (shared limits): a wrong password and a wrong code are one failure each
_by_account = limiter.shared_limit(_account_limit, "sign-in-account", key_func=_account_key, methods=["POST"],
                                   deduct_when=_failed, on_breach=_refused("account"))
_by_address = limiter.shared_limit(_address_limit, "sign-in-address", methods=["POST"], deduct_when=_failed,
                                   on_breach=_refused("address"))


def _limited(view):
    return _by_address(_by_account(view))


def _continue(row: StaffSession):
    """On to the step the sign-in still owes, or, when none, signed in and on to where the user was going."""
    step = next_step(row.staff, row)
    if step is not None:
        return redirect(url_for(step))
    login_user(row.staff)
    if row.staff.locale:
        session["lang"] = row.staff.locale
    return redirect(_safe_next(session.pop(NEXT_KEY, None)))


@bp.route("/login", methods=["GET", "POST"])
@_limited
def login():
    if current_user.is_authenticated:
        return redirect(url_for("core.home"))
    form = LoginForm()
    if form.validate_on_submit():
        staff = service.authenticate(db.session, form.email.data, form.password.data, ip=request.remote_addr)
        raw = sessions.start(db.session, staff, clock.now()) if staff is not None else None
        db.session.commit()
        if staff is not None:
            # a new cookie for a new session: nothing of what this browser carried before signing in stays
            lang, target = session.get("lang"), same_site(request.args.get("next"))
            session.clear()
            if lang:
                session["lang"] = lang
            session[sessions.SESSION_KEY] = raw
            if target:
                session[NEXT_KEY] = target
            return _continue(sessions.find(db.session, raw))
        flash(_("Wrong email or password."), "error")
    return render_template("staff/login.html", form=form)


def _step(endpoint: str):
    """The pending session if its next step is `endpoint`; else (None, where to go instead)."""
    row = _pending()
    if row is None:
        return None, redirect(url_for("staff.login"))
    if next_step(row.staff, row) != endpoint:
        return None, _continue(row)
    return row, None


@bp.route("/login/code", methods=["GET", "POST"], endpoint="second_factor")
@_limited
def second_factor_step():
    row, elsewhere = _step("staff.second_factor")
    if row is None:
        return elsewhere
    form = CodeForm()
    if form.validate_on_submit():
        now = clock.now()
        used = second_factor.check(db.session, row.staff, form.code.data, now, ip=request.remote_addr)
        if used is not None:
            sessions.mark_second_factor(db.session, row, now)
        db.session.commit()
        if used == "recovery":
            flash(_("You signed in with a recovery code; %(n)s are left. New ones are on your account page.",
                    n=second_factor.recovery_codes_left(db.session, row.staff)), "warning")
        if used is not None:
            return _continue(row)
        flash(_("That code is not right."), "error")
    return render_template("staff/second_factor.html", form=form)


@bp.route("/login/enrol", methods=["GET", "POST"])
@_limited
def enrol():
    row, elsewhere = _step("staff.enrol")
    if row is None:
        return elsewhere
    secret = session.get(ENROL_KEY) or totp.new_secret()
    session[ENROL_KEY] = secret
    form = CodeForm()
    if form.validate_on_submit():
        codes = second_factor.enrol(db.session, row.staff, secret, form.code.data, clock.now(), ip=request.remote_addr)
        if codes is not None:
            sessions.mark_second_factor(db.session, row, clock.now())
        db.session.commit()
        if codes is not None:
            session.pop(ENROL_KEY, None)
            g.sign_in_step_passed = True
            onward = _continue(row)
            return render_template("staff/recovery_codes.html", codes=codes, onward=onward.location)
        flash(_("That code is not right; type the code your authenticator app shows now."), "error")
    uri = totp.provisioning_uri(secret, row.staff.email, current_app.config.get("COMPANY_NAME") or "futures-sms")
    return render_template("staff/enrol.html", form=form, secret=secret, qr=totp.qr_data_uri(uri))


@bp.route("/login/new-password", methods=["GET", "POST"])
def new_password():
    row, elsewhere = _step("staff.new_password")
    if row is None:
        return elsewhere
    form = NewPasswordForm()
    on_refusal(render=lambda _exc: render_template("staff/new_password.html", form=form))
    if form.validate_on_submit():
        service.set_new_password(db.session, row.staff, form.new.data, keep=row)
        db.session.commit()
        flash(_("Your password is changed."), "success")
        return _continue(row)
    return render_template("staff/new_password.html", form=form)


@bp.post("/logout")
@login_required
def logout():
    row = g.get("staff_session")
    if row is not None:
        sessions.revoke(db.session, row, clock.now())
        audit.record(db.session, "auth.logout", actor=current_user, obj_type="staff", obj_id=current_user.id,
                     ip=request.remote_addr)
        db.session.commit()
    logout_user()
    session.pop(sessions.SESSION_KEY, None)
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
