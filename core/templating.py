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


# arguments of a message that are codes, and the labels (registered by the domains) that name them for a reader:
# "标题为必填项", not "title 为必填项"; "（当前状态：草稿）", not "(this one is draft)"
CODED_ARGUMENTS = {"field": "FIELD_LABELS", "state": "STATE_LABELS"}


def problem_text(template: str, args: dict[str, str] | None) -> str:
    """A stored core.errors.Problem (template and arguments) in the reader's language."""
    args = dict(args or {})
    for name, labels_name in CODED_ARGUMENTS.items():
        if name in args:
            labels = current_app.jinja_env.globals.get(labels_name, {})
            args[name] = str(labels.get(args[name], args[name]))
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
