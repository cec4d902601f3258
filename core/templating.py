"""Jinja filters and globals shared by every template."""
from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal

from flask import current_app
from flask_babel import get_locale, gettext
from flask_login import current_user

from core.roles import ROLE_LABELS, can, can_view_clients
from core.timeutil import to_local


def localtime(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    if value is None:
        return ""
    return to_local(value, current_app.config["TIMEZONE"]).strftime(fmt)


def money(value: Decimal | None) -> str:
    if value is None:
        return ""
    return f"{value:,.2f}"


def problem_text(template: str, args: dict[str, str] | None) -> str:
    """A stored core.errors.Problem (template and arguments) in the reader's language."""
    args = dict(args or {})
    if "field" in args:
        labels = current_app.jinja_env.globals.get("FIELD_LABELS", {})
        args["field"] = str(labels.get(args["field"], args["field"]))
    return gettext(template, **args)


def as_json(value) -> str:
    """A record's details as a reader reads them: JSON with Chinese as itself (not \\u escapes)."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def init_app(app) -> None:
    app.jinja_env.filters.update(localtime=localtime, money=money, as_json=as_json)

    @app.context_processor
    def globals_():
        return {
            "problem_text": problem_text,
            "can": lambda permission: can(current_user, permission),
            "can_view_clients": lambda: can_view_clients(current_user),
            "ROLE_LABELS": ROLE_LABELS,
            "current_locale": str(get_locale() or "zh"),
            "company_name": app.config["COMPANY_NAME"],
        }


def register_labels(app, **labels: dict) -> None:
    """A domain's words for the templates (its package's labels.py calls this at start). A name several domains
    give (AUDIT_LABELS, OBJECT_LABELS) is merged, so core holds only what is shared."""
    for name, mapping in labels.items():
        app.jinja_env.globals[name] = {**app.jinja_env.globals.get(name, {}), **mapping}
