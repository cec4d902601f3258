"""What the department configures for broadcasts, read once from the app config."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from broadcast import compliance
from clients.appropriateness import DEFAULT_ASSESSMENT_YEARS, RiskLevel
from core.money import DEFAULT_CURRENCY, parse_price


@dataclass(frozen=True)
class Settings:
    """What the department configures (from the app config, see Settings.from_config)."""

    company_name: str
    opt_out_zh: str = "拒收请回复R"
    opt_out_en: str = "Reply STOP to opt out"
    price_per_segment: Decimal = Decimal("0.05")
    currency: str = DEFAULT_CURRENCY  # the price's (core/money.py): CNY from a domestic provider, USD from Twilio
    rate_per_second: float = 10.0
    public_base_url: str = "http://127.0.0.1:5000"
    timezone: str = "Asia/Shanghai"
    rules: compliance.Rules = compliance.Rules()
    # investor appropriateness: a trade suggestion's least risk level, and how long an assessment holds
    suggestion_risk_level: RiskLevel = RiskLevel.R4
    risk_assessment_years: int = DEFAULT_ASSESSMENT_YEARS

    @classmethod
    def from_config(cls, config) -> Settings:
        phrases = tuple(config.get("PROFIT_PHRASES") or compliance.DEFAULT_PROFIT_PHRASES) + tuple(
            config.get("PROFIT_PHRASES_EXTRA") or ())
        price = parse_price(config.get("SMS_PRICE_PER_SEGMENT", cls.price_per_segment))
        return cls(
            company_name=config["COMPANY_NAME"],
            opt_out_zh=config.get("OPT_OUT_LINE_ZH", cls.opt_out_zh),
            opt_out_en=config.get("OPT_OUT_LINE_EN", cls.opt_out_en),
            price_per_segment=price.amount, currency=price.currency,
            rate_per_second=float(config.get("SMS_RATE_PER_SECOND", cls.rate_per_second)),
            public_base_url=config.get("PUBLIC_BASE_URL", cls.public_base_url).rstrip("/"),
            timezone=config.get("TIMEZONE", cls.timezone),
            suggestion_risk_level=RiskLevel(str(config.get("SUGGESTION_RISK_LEVEL") or "R4").strip().upper()),
            risk_assessment_years=int(config.get("RISK_ASSESSMENT_YEARS", cls.risk_assessment_years)),
            rules=compliance.Rules(
                position_cap_pct=Decimal(str(config.get("POSITION_CAP_PCT", "30"))),
                max_segments=int(config.get("MAX_SEGMENTS", 6)),
                profit_phrases=phrases,
            ),
        )
