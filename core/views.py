"""The start page and the audit log."""
from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, render_template, request
from flask_login import login_required

from core.audit import AuditEntry
from core.extensions import db
from core.roles import require

bp = Blueprint("core", __name__)


@bp.get("/")
@login_required
def home():
    return render_template("core/home.html")


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
