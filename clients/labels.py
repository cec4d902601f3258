"""The client book's words on pages: tiers, the rules that decide them, review changes, import columns and
what the audit log calls imports, reviews and consent changes."""
from __future__ import annotations

import re

from flask import current_app
from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from clients.appropriateness import RiskLevel, RiskTolerance, expires_on
from core import clock

# the regulation's names of the levels on pages, in the reader's language (Chinese: 保守型 ..., 低风险 ...;
# clients/appropriateness.py keeps the Chinese ones that imports read and the API answers)
TOLERANCE_LABELS = {RiskTolerance.C1: _l("Conservative"), RiskTolerance.C2: _l("Cautious"),
                    RiskTolerance.C3: _l("Steady"), RiskTolerance.C4: _l("Moderately aggressive"),
                    RiskTolerance.C5: _l("Aggressive")}
RISK_LEVEL_LABELS = {RiskLevel.R1: _l("Low risk"), RiskLevel.R2: _l("Medium-low risk"),
                     RiskLevel.R3: _l("Medium risk"), RiskLevel.R4: _l("Medium-high risk"),
                     RiskLevel.R5: _l("High risk")}

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

CHANGE_LABELS = {"up": _l("Upgrade"), "down": _l("Downgrade"), "new": _l("New"), "same": _l("Unchanged"),
                 "changed": _l("All changes")}

# import columns named in row errors, shown under the labels the pages use
FIELD_LABELS = {
    "opened_on": _l("Account opened"),
    "last_trade_on": _l("Last trade"),
    "last_position_on": _l("Last position"),
    "avg_equity": _l("Average equity"),
    "commission": _l("Commission"),
    "month_end_equity": _l("Month-end equity"),
    "risk_assessed_on": _l("Risk assessment date"),
}

INVESTOR_TYPE_LABELS = {
    "ordinary": _l("Ordinary investor"),
    "professional": _l("Professional investor"),
}

AUDIT_LABELS = {
    "import.clients": _l("Clients imported"),
    "import.monthly": _l("Monthly figures imported"),
    "tiers.review": _l("Tier review drafted"),
    "tiers.publish": _l("Tier review published"),
    "client.opt_out": _l("Opt-out recorded"),
    "client.opt_in": _l("Opt-in recorded"),
    "client.mobile_shown": _l("Mobile number shown"),
}

OBJECT_LABELS = {
    "client": _l("Client"),
    "import": _l("Import"),
    "tier_review": _l("Tier review"),
}


def tier_label(value) -> str:
    if value is None:
        return str(_l("No tier yet"))
    return str(TIER_LABELS.get(getattr(value, "value", value), value))


def assessment(client) -> dict:
    """The client's investor type and risk assessment as the detail page shows them: the regulation's names
    (C3 稳健型), and until when the assessment holds (RISK_ASSESSMENT_YEARS) by the app's clock."""
    kind, tolerance = client.investor_type, client.risk_tolerance
    out = {"type": str(INVESTOR_TYPE_LABELS[kind.value]) if kind else str(_l("Not on file (ordinary)")),
           "tolerance": f"{tolerance.value} {TOLERANCE_LABELS[tolerance]}" if tolerance else None,
           "assessed_on": client.risk_assessed_on, "expires_on": None, "expired": False,
           "professional": kind is not None and kind.value == "professional"}
    if client.risk_assessed_on is not None:
        out["expires_on"] = expires_on(client.risk_assessed_on, int(current_app.config.get("RISK_ASSESSMENT_YEARS", 3)))
        out["expired"] = clock.local_today(current_app.config.get("TIMEZONE", "Asia/Shanghai")) >= out["expires_on"]
    return out


_SOURCES = (
    (re.compile(r"^sms reply (?P<sid>\S+)$"), lambda m: gettext("by SMS reply %(sid)s", **m)),
    (re.compile(r"^carrier (?P<code>\S+)$"), lambda m: gettext("refused by the carrier (error %(code)s)", **m)),
    (re.compile(r"^sms (?P<text>.+)$"), lambda m: gettext("by SMS “%(text)s”", **m)),
)


def consent_source_label(source: str | None) -> str:
    """How a client's opt-out was given (clients.opt_out_source), in the reader's language: the system stores it
    in English ("sms reply SM…", "carrier 21610"); a person's own note ("电话告知") is shown as written."""
    if not source:
        return ""
    for shape, say in _SOURCES:
        found = shape.match(source)
        if found:
            return say(found.groupdict())
    return source


def init_app(app) -> None:
    from core.templating import register_labels

    app.jinja_env.filters["tier_label"] = tier_label
    app.jinja_env.globals["risk_assessment"] = assessment
    app.jinja_env.globals["consent_source_label"] = consent_source_label

    @app.context_processor
    def tier_labels_json() -> dict:  # for the pages' scripts, in the reader's language
        return {"TIER_LABELS_JSON": {k: str(v) for k, v in TIER_LABELS.items()} | {"none": str(_l("No tier yet"))}}
    register_labels(app, RULE_LABELS=RULE_LABELS, CHANGE_LABELS=CHANGE_LABELS, FIELD_LABELS=FIELD_LABELS,
                    AUDIT_LABELS=AUDIT_LABELS, OBJECT_LABELS=OBJECT_LABELS)
