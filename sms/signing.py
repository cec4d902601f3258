"""Twilio's signed webhook requests, built in one place: the incoming-message form a handset's SMS arrives
as, and the X-Twilio-Signature over the URL and form. The emulator, the tests and the benchmarks post what
this builds; the app checks it with the same SDK's RequestValidator (messaging.webhooks)."""
from __future__ import annotations

import secrets

from twilio.request_validator import RequestValidator

API_VERSION = "2010-04-01"
DEFAULT_ACCOUNT_SID = "AC" + "0" * 32  # the simulator's: it has no account


def new_sid() -> str:
    """A fresh message SID, as Twilio writes them."""
    return "SM" + secrets.token_hex(16)


def inbound_form(from_: str, to: str, body: str, *, sid: str | None = None, account_sid: str = DEFAULT_ACCOUNT_SID,
                 segments: int = 1, **extra: str) -> dict[str, str]:
    """The fields of Twilio's incoming-message webhook for an SMS from `from_` to `to` (the same `sid` twice
    is a replay, as when Twilio retries)."""
    sid = sid or new_sid()
    return {"MessageSid": sid, "SmsSid": sid, "SmsMessageSid": sid, "AccountSid": account_sid, "From": from_,
            "To": to, "Body": body, "NumSegments": str(segments), "NumMedia": "0", "SmsStatus": "received",
            "ApiVersion": API_VERSION, **extra}


def signature(auth_token: str, url: str, form: dict[str, str]) -> str:
    """The X-Twilio-Signature Twilio sends with `form` posted to `url` (the full public URL, query included)."""
    return RequestValidator(auth_token).compute_signature(url, form)


def headers(auth_token: str, url: str, form: dict[str, str]) -> dict[str, str]:
    """The headers of a signed webhook POST of `form` to `url`."""
    return {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8",
            "X-Twilio-Signature": signature(auth_token, url, form)}
