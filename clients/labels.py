"""The client book's words on pages: tiers, the rules that decide them, review changes, import columns and
what the audit log calls imports, reviews and consent changes."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

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
}

AUDIT_LABELS = {
    "import.clients": _l("Clients imported"),
    "import.monthly": _l("Monthly figures imported"),
    "tiers.review": _l("Tier review drafted"),
    "tiers.publish": _l("Tier review published"),
    "client.opt_out": _l("Opt-out recorded"),
    "client.opt_in": _l("Opt-in recorded"),
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


def init_app(app) -> None:
    from core.templating import register_labels

    app.jinja_env.filters["tier_label"] = tier_label

    @app.context_processor
    def tier_labels_json() -> dict:  # for the pages' scripts, in the reader's language
        return {"TIER_LABELS_JSON": {k: str(v) for k, v in TIER_LABELS.items()} | {"none": str(_l("No tier yet"))}}
    register_labels(app, RULE_LABELS=RULE_LABELS, CHANGE_LABELS=CHANGE_LABELS, FIELD_LABELS=FIELD_LABELS,
                    AUDIT_LABELS=AUDIT_LABELS, OBJECT_LABELS=OBJECT_LABELS)
