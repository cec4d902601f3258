"""Jinja filters and globals shared by every template."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from flask import current_app
from flask_babel import get_locale, gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from core.roles import ROLE_LABELS, can, can_view_clients
from core.timeutil import to_local

TIER_LABELS = {
    "diamond": _l("Diamond"),
    "platinum": _l("Platinum"),
    "gold": _l("Gold"),
    "quality": _l("Quality"),
    "effective": _l("Effective"),
    "dormant": _l("Dormant"),
    "ordinary": _l("Ordinary"),
}

RULE_LABELS = {
    "diamond.equity": _l("average equity ≥ 10,000,000"),
    "diamond.commission": _l("average commission ≥ 100,000"),
    "platinum.equity": _l("average equity ≥ 5,000,000"),
    "platinum.commission": _l("average commission ≥ 50,000"),
    "gold.equity": _l("average equity ≥ 1,000,000"),
    "gold.commission": _l("average commission ≥ 10,000"),
    "quality.equity": _l("average equity ≥ 500,000"),
    "effective.trade": _l("traded within the year"),
    "effective.equity": _l("average equity > 1,000"),
    "dormant": _l("opened over a year ago, no trade or position within the year, year-end equity ≤ 1,000"),
    "ordinary": _l("no other rule matched"),
}

KIND_LABELS = {
    "trade_suggestion": _l("Trade suggestion"),
    "daily_comment": _l("Daily comment"),
    "weekly_comment": _l("Weekly comment"),
    "monthly_report": _l("Monthly report"),
    "seminar_invite": _l("Seminar invitation"),
    "risk_notice": _l("Risk notice"),
}

STATE_LABELS = {
    "draft": _l("Draft"),
    "submitted": _l("Submitted"),
    "approved": _l("Approved"),
    "rejected": _l("Rejected"),
    "scheduled": _l("Scheduled"),
    "sending": _l("Sending"),
    "paused": _l("Paused"),
    "completed": _l("Completed"),
    "cancelled": _l("Cancelled"),
    "missed": _l("Missed"),
}

MESSAGE_STATE_LABELS = {
    "pending": _l("Waiting"),
    "handing_over": _l("Being handed over"),
    "queued": _l("Queued at the provider"),
    "sent": _l("Sent to the carrier"),
    "delivered": _l("Delivered"),
    "undelivered": _l("Undelivered"),
    "failed": _l("Failed"),
    "suppressed": _l("Suppressed"),
    "expired": _l("Expired"),
    "cancelled": _l("Cancelled"),
    "unknown": _l("Unknown (check by hand)"),
}

# import columns named in row errors, shown under the labels the pages use
FIELD_LABELS = {
    "opened_on": _l("Account opened"),
    "last_trade_on": _l("Last trade"),
    "last_position_on": _l("Last position"),
    "avg_equity": _l("Average equity"),
    "commission": _l("Commission"),
    "month_end_equity": _l("Month-end equity"),
}

AUDIT_LABELS = {
    "auth.login": _l("Signed in"),
    "auth.login_failed": _l("Sign-in failed"),
    "auth.login_limited": _l("Sign-in refused: too many failed attempts"),
    "staff.create": _l("Staff account created"),
    "staff.deactivate": _l("Staff account deactivated"),
    "staff.activate": _l("Staff account reactivated"),
    "token.create": _l("API token issued"),
    "import.clients": _l("Clients imported"),
    "import.monthly": _l("Monthly figures imported"),
    "tiers.review": _l("Tier review drafted"),
    "tiers.publish": _l("Tier review published"),
    "client.opt_out": _l("Opt-out recorded"),
    "client.opt_in": _l("Opt-in recorded"),
    "broadcast.create": _l("Broadcast drafted"),
    "broadcast.edit": _l("Broadcast edited"),
    "broadcast.submit": _l("Broadcast submitted"),
    "broadcast.approve": _l("Broadcast approved"),
    "broadcast.reject": _l("Broadcast rejected"),
    "broadcast.schedule": _l("Broadcast scheduled"),
    "broadcast.start": _l("Broadcast started"),
    "broadcast.pause": _l("Broadcast paused"),
    "broadcast.resume": _l("Broadcast resumed"),
    "broadcast.cancel": _l("Broadcast cancelled"),
    "broadcast.missed": _l("Broadcast missed"),
    "broadcast.complete": _l("Broadcast completed"),
}

OBJECT_LABELS = {
    "staff": _l("Staff"),
    "client": _l("Client"),
    "import": _l("Import"),
    "tier_review": _l("Tier review"),
    "broadcast": _l("Broadcast"),
}

CHANGE_LABELS = {"up": _l("Upgrade"), "down": _l("Downgrade"), "new": _l("New"), "same": _l("Unchanged"),
                 "changed": _l("All changes")}


def localtime(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    if value is None:
        return ""
    return to_local(value, current_app.config["TIMEZONE"]).strftime(fmt)


def money(value: Decimal | None) -> str:
    if value is None:
        return ""
    return f"{value:,.2f}"


def tier_label(value) -> str:
    if value is None:
        return str(_l("No tier yet"))
    return str(TIER_LABELS.get(getattr(value, "value", value), value))


def problem_text(template: str, args: dict[str, str] | None) -> str:
    """A stored core.errors.Problem (template and arguments) in the reader's language."""
    args = dict(args or {})
    if "field" in args:
        args["field"] = str(FIELD_LABELS.get(args["field"], args["field"]))
    return gettext(template, **args)


def init_app(app) -> None:
    app.jinja_env.filters.update(localtime=localtime, money=money, tier_label=tier_label)

    @app.context_processor
    def globals_():
        return {
            "problem_text": problem_text,
            "can": lambda permission: can(current_user, permission),
            "can_view_clients": lambda: can_view_clients(current_user),
            "ROLE_LABELS": ROLE_LABELS,
            "RULE_LABELS": RULE_LABELS,
            "CHANGE_LABELS": CHANGE_LABELS,
            "AUDIT_LABELS": AUDIT_LABELS,
            "OBJECT_LABELS": OBJECT_LABELS,
            "KIND_LABELS": KIND_LABELS,
            "STATE_LABELS": STATE_LABELS,
            "MESSAGE_STATE_LABELS": MESSAGE_STATE_LABELS,
            "TIER_LABELS_JSON": {k: str(v) for k, v in TIER_LABELS.items()} | {"none": str(_l("No tier yet"))},
            "current_locale": str(get_locale() or "zh"),
            "company_name": app.config["COMPANY_NAME"],
        }
