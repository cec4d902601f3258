"""The start page and the audit log."""
from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, current_app, render_template, request
from flask_babel import gettext as _
from flask_login import current_user, login_required

from core import clock
from core.audit import AuditEntry
from core.audit_display import actor_text, detail_items, detail_text
from core.calendar import uncovered_years
from core.downloads import download
from core.extensions import db
from core.roles import can, require

bp = Blueprint("core", __name__)
EXPORT_LIMIT = 50_000  # more than this: `flask audit export` (records/)


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


def _audit_query() -> tuple[sa.Select, str | None]:
    """The entries the audit page lists, newest first, of one action when the filter names one."""
    action = request.args.get("action") or None
    query = sa.select(AuditEntry).order_by(AuditEntry.id.desc())
    if action:
        query = query.where(AuditEntry.action == action)
    return query, action


@bp.get("/audit")
@require("audit.view")
def audit_log():
    try:
        page = max(1, int(request.args.get("page", "1")))
    except ValueError:
        page = 1
    query, action = _audit_query()
    entries = db.paginate(query, page=page, per_page=100, error_out=False)
    timezone = current_app.config["TIMEZONE"]
    return render_template("core/audit.html", entries=entries, action=action, actor_text=actor_text,
                           details=lambda e: detail_items(e.detail, timezone))


@bp.get("/audit.<fmt>")
@require("audit.view")
def audit_export(fmt: str):
    """The listed entries (the filter's, newest first, at most EXPORT_LIMIT) as CSV or XLSX, as the page shows
    them: the reader's language, times in TIMEZONE."""
    query, action = _audit_query()
    timezone = current_app.config["TIMEZONE"]
    labels, objects = (current_app.jinja_env.globals.get(name, {}) for name in ("AUDIT_LABELS", "OBJECT_LABELS"))
    rows = ([e.at, actor_text(e), str(labels.get(e.action, e.action)),
             f"{objects.get(e.object_type, e.object_type or '')} {e.object_id or ''}".strip(),
             detail_text(e.detail, timezone), e.ip or ""]
            for e in db.session.scalars(query.limit(EXPORT_LIMIT)))
    header = [_("Time"), _("Who"), _("Action"), _("Object"), _("Detail"), _("IP address")]
    return download(fmt, f"audit-log-{action}" if action else "audit-log", header, rows, title=_("Audit log"))
