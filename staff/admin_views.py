"""Admins manage staff accounts: create, edit (roles, qualification number), deactivate, force a new
password, and confirm or cancel the approver and admin roles another admin asked for."""
from __future__ import annotations

import sqlalchemy as sa
from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from core import clock
from core.extensions import db
from core.http import on_refusal
from core.roles import ROLE_LABELS, require
from staff import grants, service, test_mobile
from staff.blueprint import bp
from staff.forms import StaffEditForm, StaffForm
from staff.models import RoleGrant, Staff


def _waiting(asked) -> None:
    if asked:
        flash(_("%(roles)s: held once another admin confirms.", roles=", ".join(str(ROLE_LABELS[r]) for r in asked)),
              "info")


@bp.route("/staff", methods=["GET", "POST"])
@require("staff.manage")
def staff_list():
    form = StaffForm()
    on_refusal(render=lambda _exc: _staff_page(form))
    if form.validate_on_submit():
        staff = service.create_staff(db.session, email=form.email.data, name=form.name.data,
                                     password=form.password.data, roles=form.roles.data,
                                     branch=form.branch.data or None, staff_code=form.staff_code.data or None,
                                     phone=form.phone.data or None, qualification=form.qualification_no.data,
                                     actor=current_user)
        asked = [g.role for g in grants.pending(db.session, staff.id)]
        db.session.commit()
        flash(_("Account for %(name)s created.", name=staff.name), "success")
        _waiting(asked)
        return redirect(url_for("staff.staff_list"))
    return _staff_page(form)


def _staff_page(form: StaffForm):
    people = db.session.scalars(sa.select(Staff).order_by(Staff.active.desc(), Staff.branch, Staff.name)).all()
    return render_template("staff/list.html", people=people, form=form, pending=grants.pending(db.session))


@bp.route("/staff/<int:staff_id>", methods=["GET", "POST"])
@require("staff.manage")
def staff_edit(staff_id: int):
    staff = db.get_or_404(Staff, staff_id)
    waiting = grants.pending(db.session, staff.id)
    form = StaffEditForm(obj=staff) if request.method == "GET" else StaffEditForm()
    if request.method == "GET":
        form.roles.data = sorted({r.value for r in staff.role_set} | {g.role.value for g in waiting})
    on_refusal(render=lambda _exc: render_template("staff/edit.html", person=staff, form=form, waiting=waiting))
    if form.validate_on_submit():
        asked = service.update_staff(db.session, staff, actor=current_user, name=form.name.data, roles=form.roles.data,
                                     branch=form.branch.data, staff_code=form.staff_code.data, phone=form.phone.data,
                                     qualification=form.qualification_no.data)
        db.session.commit()
        flash(_("%(name)s's account is saved.", name=staff.name), "success")
        _waiting(asked)
        return redirect(url_for("staff.staff_edit", staff_id=staff.id))
    return render_template("staff/edit.html", person=staff, form=form, waiting=waiting)


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


@bp.post("/staff/<int:staff_id>/test-mobile")
@require("staff.manage")
def staff_test_mobile(staff_id: int):
    """The staff member's own mobile for test sends: save the number (unverified), or verify it, or withdraw
    the verification; each on the state the page showed."""
    staff = db.get_or_404(Staff, staff_id)
    page = url_for("staff.staff_edit", staff_id=staff.id) + "#test-mobile"
    on_refusal(back=page)
    action, seen = request.form.get("action", "save"), request.form.get("seen")
    if action == "save":
        changed = test_mobile.set_mobile(db.session, staff, request.form.get("test_mobile"), current_user, seen=seen)
        done = _("Test mobile saved. An admin other than %(name)s verifies it before test sends go to it.",
                 name=staff.name) if staff.test_mobile else _("Test mobile removed.")
    else:
        changed = test_mobile.set_verified(db.session, staff, action == "verify", current_user, clock.now(),
                                           seen=seen)
        done = _("Test mobile verified.") if action == "verify" else _("Verification withdrawn.")
    db.session.commit()
    flash(done if changed else _("Nothing changed."), "success" if changed else "info")
    return redirect(page)


@bp.post("/staff/<int:staff_id>/reset-password")
@require("staff.manage")
def staff_reset(staff_id: int):
    staff = db.get_or_404(Staff, staff_id)
    on_refusal(back=url_for("staff.staff_edit", staff_id=staff.id))
    service.force_password_reset(db.session, staff, actor=current_user)
    db.session.commit()
    flash(_("%(name)s is signed out everywhere and must choose a new password at the next sign-in.",
            name=staff.name), "success")
    return redirect(url_for("staff.staff_edit", staff_id=staff.id))


@bp.post("/staff/grants/<int:grant_id>/confirm")
@require("staff.manage")
def grant_confirm(grant_id: int):
    grant = db.get_or_404(RoleGrant, grant_id)
    on_refusal(back=url_for("staff.staff_list"))
    grants.confirm(db.session, grant, current_user, clock.now())
    db.session.commit()
    flash(_("%(name)s now holds the role %(role)s.", name=grant.staff.name, role=ROLE_LABELS[grant.role]), "success")
    return redirect(url_for("staff.staff_list"))


@bp.post("/staff/grants/<int:grant_id>/cancel")
@require("staff.manage")
def grant_cancel(grant_id: int):
    grant = db.get_or_404(RoleGrant, grant_id)
    on_refusal(back=url_for("staff.staff_list"))
    grants.cancel(db.session, grant, current_user, clock.now())
    db.session.commit()
    flash(_("The role %(role)s for %(name)s is cancelled.", name=grant.staff.name, role=ROLE_LABELS[grant.role]),
          "success")
    return redirect(url_for("staff.staff_list"))
