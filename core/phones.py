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
