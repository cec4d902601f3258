"""Phone numbers at the door: a mobile number as a person or a file writes it, to E.164. No Flask.

Here, below staff/ and clients/, because both take numbers (a client's mobile from the settlement export, a
business staff member's phone shown to clients); the parsing is phonenumbers' (Google's libphonenumber).
"""
from __future__ import annotations

import phonenumbers

from core.errors import N_, Problem


class PhoneError(Problem):
    """A number that cannot reach a handset by SMS; the message names it."""


_MOBILE_TYPES = (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE)


def e164_mobile(raw: str, region: str = "CN") -> str:
    """`raw` (a national number of `region`, or international with +) as E.164; PhoneError when it cannot
    be parsed, is not a valid number, or is not a mobile one (SMS cannot reach it)."""
    raw = raw.strip()
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        raise PhoneError(N_("mobile number %(value)s cannot be parsed"), value=raw) from None
    if not phonenumbers.is_valid_number(number):
        raise PhoneError(N_("mobile number %(value)s is not a valid number"), value=raw)
    if phonenumbers.number_type(number) not in _MOBILE_TYPES:
        raise PhoneError(N_("%(value)s is not a mobile number (SMS cannot reach it)"), value=raw)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def mask_mobile(number: str | None) -> str | None:
    """`number` (E.164, or whatever a sender's number arrived as) as shown to those who may not see it: the
    national number's first 3 and last 4 digits, the rest as *, so that a person can still tell two numbers
    apart on a call (`+8617712344397` -> `177****4397`; other countries keep their `+code `). None stays None."""
    if number is None:
        return None
    try:
        parsed = phonenumbers.parse(number, "CN")
        country, national = parsed.country_code, phonenumbers.national_significant_number(parsed)
    except phonenumbers.NumberParseException:
        country, national = 86, "".join(ch for ch in number if ch.isdigit())
    prefix = "" if country == 86 else f"+{country} "
    if len(national) >= 8:
        return prefix + national[:3] + "*" * (len(national) - 7) + national[-4:]
    return prefix + "*" * max(len(national) - 2, 1) + national[-2:]  # a short code: only its last 2


def mask_account(account_no: str | None) -> str | None:
    """A fund account (资金账号) as shown where the whole one must not be (`81000123` -> `81***123`): first 2
    and last 3 kept, so that a watermark or a call can be traced by someone who holds the book."""
    if account_no is None:
        return None
    if len(account_no) >= 6:
        return account_no[:2] + "*" * (len(account_no) - 5) + account_no[-3:]
    return "*" * max(len(account_no) - 2, 1) + account_no[-2:]
