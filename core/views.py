"""The start page and the audit log."""
from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, current_app, render_template, request
from flask_login import current_user, login_required

from core import clock
from core.audit import AuditEntry
from core.calendar import uncovered_years
from core.extensions import db
from core.roles import can, require

bp = Blueprint("core", __name__)


@bp.get("/")
@login_required
def home():
    uncovered = []
    if can(current_user, "settings.warnings"):  # admins are told when the holiday calendar runs out
        today = clock.local_today(current_app.config["TIMEZONE"])
        uncovered = uncovered_years([today.year, today.year + 1])
    return render_template("core/home.html", uncovered_years=uncovered)


@bp.get("/favicon.ico")
def favicon():
    """For what asks for /favicon.ico without reading the page's <link rel="icon"> (a client's note page, a JSON
    answer opened in a browser): the same icon, so no request ends in a 404."""
    return current_app.send_static_file("favicon.png")


@bp.get("/audit")
@require("audit.view")
def audit_log():
    try:
        page = max(1, int(request.args.get("page", "1")))
    except ValueError:
        page = 1
    action = request.args.get("action") or None
    query = sa.select(AuditEntry).order_by(AuditEntry.id.desc())
    if action:
        query = query.where(AuditEntry.action == action)
    entries = db.paginate(query, page=page, per_page=100, error_out=False)
    return render_template("core/audit.html", entries=entries, action=action)
