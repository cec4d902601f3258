"""Money as the department reads it: an amount with its currency ("US$0.92", "¥18.40").

What a gateway charges per segment and in which currency is one setting, SMS_PRICE_PER_SEGMENT: "0.05 CNY",
"USD 0.0079", or a bare amount, read as yuan (a domestic provider bills in CNY, Twilio in USD)."""
from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from babel.numbers import format_currency, get_currency_name

from core.errors import SettingProblem

DEFAULT_CURRENCY = "CNY"
MAX_PRICE = Decimal(10)  # per segment, in any currency; more is a typo
# the reader's language -> the Babel locale whose symbols say whose dollar or yuan it is: international English
# writes "US$0.92" and "CN¥18.40" where American English would write a bare "$"
_MONEY_LOCALES = {"zh": "zh_Hans_CN", "en": "en_001"}
_PRICE = re.compile(r"^\s*(?:([A-Za-z]{3})\s*)?([0-9]+(?:\.[0-9]+)?)\s*(?:([A-Za-z]{3}))?\s*$")


@dataclass(frozen=True)
class Price:
    amount: Decimal
    currency: str = DEFAULT_CURRENCY


def parse_price(raw: object, setting: str = "SMS_PRICE_PER_SEGMENT") -> Price:
    """`raw` ("0.05", "0.05 CNY", "USD 0.0079", a Decimal) as a Price; SettingProblem naming `setting` when
    it is not an amount from 0 to MAX_PRICE with at most one ISO 4217 code Babel knows."""
    if isinstance(raw, Price):
        return raw
    if isinstance(raw, (int, Decimal)) and not isinstance(raw, bool):
        raw = str(raw)
    match = _PRICE.match(raw) if isinstance(raw, str) else None
    if not match or (match.group(1) and match.group(3)):
        raise _problem(setting, f"is not a price such as 0.05 CNY or USD 0.0079 (an amount from 0 to {MAX_PRICE} "
                                "and a currency code)")
    try:
        amount = Decimal(match.group(2))
    except InvalidOperation as exc:  # pragma: no cover - the pattern admits only digits
        raise _problem(setting, "is not a number") from exc
    if amount > MAX_PRICE:
        raise _problem(setting, f"is more than {MAX_PRICE} a segment")
    currency = (match.group(1) or match.group(3) or DEFAULT_CURRENCY).upper()
    if get_currency_name(currency, locale="en") == currency:  # Babel knows no such currency
        raise _problem(setting, f"has {currency}, which is not an ISO 4217 currency code")
    return Price(amount, currency)


def _problem(setting: str, reason: str) -> SettingProblem:
    return SettingProblem(reason, setting=setting, reason=reason)


def format_money(amount: Decimal, currency: str, language: str = "zh") -> str:
    """"US$0.92", "¥18.40" (in Chinese) or "CN¥18.40" (in English), rounded to the currency's usual digits."""
    return format_currency(amount, currency, locale=_MONEY_LOCALES.get(language[:2], _MONEY_LOCALES["zh"]))


def reader_language() -> str:
    """The language of whoever reads the page (Flask-Babel's locale in a request), Chinese outside one."""
    from flask import has_request_context
    from flask_babel import get_locale

    return str(get_locale() or "zh")[:2] if has_request_context() else "zh"
