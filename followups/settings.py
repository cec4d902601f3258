"""What the department configures for follow-ups, read once from the app config (see core/config.py)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from zoneinfo import ZoneInfo

from core.calendar import ServiceHours, calendar_for
from core.service_levels import Targets, parse_targets

SERVICE_CARD_ZH = ("{company}客户服务部：客服热线 400-820-0000，交易日 08:30-21:00。"
                   "开户、出入金、密码等账户事务请联系您的客户经理。")
SERVICE_CARD_EN = ("{company} client service: 400-820-0000, trading days 08:30-21:00. "
                   "For account matters please contact your account manager.")
OPT_OUT_CONFIRMATION_ZH = "您已退订{company}的资讯短信，此后不再发送。如需恢复，请回复“订阅”。"
OPT_OUT_CONFIRMATION_EN = "You have unsubscribed from {company} messages. Reply START to subscribe again."
OPT_IN_CONFIRMATION_ZH = "您已重新订阅{company}的资讯短信。拒收请回复R。"
OPT_IN_CONFIRMATION_EN = "You are subscribed to {company} messages again. Reply STOP to opt out."


@dataclass(frozen=True)
class FollowUpSettings:
    company_name: str
    timezone: ZoneInfo
    window: timedelta  # a reply within this of a broadcast is linked to it; a resolved item reopens within it
    hours: ServiceHours
    targets: Targets
    texts: dict[str, str]  # service card and confirmations, by key and language: "card_zh", "opt_out_en", ...
    auto_ack: str  # one acknowledgement in the webhook's TwiML answer; empty: none

    @classmethod
    def from_config(cls, config) -> FollowUpSettings:
        company = config["COMPANY_NAME"]
        defaults = {"card_zh": SERVICE_CARD_ZH, "card_en": SERVICE_CARD_EN,
                    "opt_out_zh": OPT_OUT_CONFIRMATION_ZH, "opt_out_en": OPT_OUT_CONFIRMATION_EN,
                    "opt_in_zh": OPT_IN_CONFIRMATION_ZH, "opt_in_en": OPT_IN_CONFIRMATION_EN}
        texts = {key: (config.get(key.upper() + "_TEXT") or default).replace("{company}", company)
                 for key, default in defaults.items()}
        calendar = calendar_for(config)  # service hours on trading days, in TIMEZONE
        return cls(
            company_name=company,
            timezone=calendar.timezone,
            window=timedelta(days=float(config.get("FOLLOWUP_WINDOW_DAYS", 3))),
            hours=calendar.service,
            targets=parse_targets(config.get("RESPONSE_TARGETS")),
            texts=texts,
            auto_ack=(config.get("AUTO_ACK_TEXT") or "").replace("{company}", company),
        )

    def text(self, key: str, english: bool) -> str:
        return self.texts[f"{key}_{'en' if english else 'zh'}"]
