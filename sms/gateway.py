"""The SMS gateway interface and its two implementations, chosen by SMS_GATEWAY.

`send` either returns the provider's message SID or raises GatewayError, which says whether trying again
later could help (429, 5xx, timeouts) or not (an invalid or unsubscribed number), with the provider's
error code.
"""
from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from twilio.request_validator import RequestValidator

from core import clock

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Sent:
    sid: str
    status: str = "queued"


class GatewayError(Exception):
    """`retryable`: trying again later may help. `ambiguous`: the request may have reached the provider
    (a read timeout), so before trying again the provider must be asked whether it has the message."""

    def __init__(self, message: str, *, retryable: bool, code: str | None = None, status: int | None = None,
                 ambiguous: bool = False):
        super().__init__(message)
        self.retryable = retryable
        self.code = code
        self.status = status
        self.ambiguous = ambiguous


class Gateway(Protocol):
    name: str

    def send(self, to: str, body: str, status_callback: str) -> Sent: ...

    def find(self, to: str, body: str, since: datetime) -> Sent | None:
        """The message the provider already has for `to` with exactly `body`, created at `since` or later, if
        any: an older one with the same text (yesterday's commentary) is another message's, never this one."""


class TwilioGateway:
    """Twilio through its official SDK; `api_base` points it at another host speaking Twilio's REST API."""

    name = "twilio"

    def __init__(self, account_sid: str, auth_token: str, *, messaging_service_sid: str | None = None,
                 from_: str | None = None, api_base: str | None = None, timeout: float = 10.0,
                 pool_size: int | None = None):
        from sms.twilio_client import make_client

        if not (messaging_service_sid or from_):
            raise ValueError("set TWILIO_MESSAGING_SERVICE_SID or TWILIO_FROM")
        self.client = make_client(account_sid, auth_token, api_base=api_base, timeout=timeout, pool_size=pool_size)
        # the SDK loads the Messages resource on first use, tens of milliseconds of imports: done here, so that
        # the first send is not late for its rate-limit slot (and the next ones not bunched up behind it)
        self.client.messages  # noqa: B018
        # the SDK logs every request and its headers at INFO, a dozen lines per message (and the recipient's
        # number when it looks a message up): a broadcast would bury the log, and clients' numbers with it
        logging.getLogger("twilio.http_client").setLevel(logging.WARNING)
        self.messaging_service_sid = messaging_service_sid
        self.from_ = from_

    def send(self, to: str, body: str, status_callback: str) -> Sent:
        from twilio.base.exceptions import TwilioException, TwilioRestException

        kwargs = {"to": to, "body": body, "status_callback": status_callback}
        if self.messaging_service_sid:
            kwargs["messaging_service_sid"] = self.messaging_service_sid
        else:
            kwargs["from_"] = self.from_
        try:
            message = self.client.messages.create(**kwargs)
        except TwilioRestException as exc:
            retryable = exc.status == 429 or exc.status >= 500
            raise GatewayError(exc.msg or str(exc), retryable=retryable,
                               code=str(exc.code) if exc.code else None, status=exc.status) from None
        except TwilioException as exc:  # the SDK's own errors (e.g. no response)
            raise GatewayError(str(exc), retryable=True, ambiguous=True) from None
        except Exception as exc:
            import requests

            if isinstance(exc, (requests.exceptions.ConnectionError, requests.exceptions.ConnectTimeout)) \
                    and not isinstance(exc, requests.exceptions.ReadTimeout):
                # the request never reached Twilio: safe to send again
                raise GatewayError(f"{exc.__class__.__name__}: {exc}", retryable=True) from None
            if isinstance(exc, (requests.exceptions.RequestException, OSError)):
                # sent, but no answer: Twilio may have the message
                raise GatewayError(f"{exc.__class__.__name__}: {exc}", retryable=True, ambiguous=True) from None
            raise
        return Sent(sid=message.sid, status=message.status or "queued")

    def find(self, to: str, body: str, since: datetime) -> Sent | None:
        try:
            for message in self.client.messages.list(to=to, limit=50):  # newest first
                if message.body == body and message.date_created is not None and message.date_created >= since:
                    return Sent(sid=message.sid, status=message.status or "queued")
        except Exception as exc:  # cannot tell: the caller keeps the message unsure and asks again later
            raise GatewayError(f"could not check for an earlier copy: {exc.__class__.__name__}", retryable=True,
                               ambiguous=True) from None
        return None


def simulator_token(secret_key: str) -> str:
    """The auth token the simulator signs callbacks with: derived from SECRET_KEY so web and worker agree."""
    return hmac.new(secret_key.encode(), b"sms-simulator", hashlib.sha256).hexdigest()


class SimulatorGateway:
    """An in-process fake carrier: accepts every valid message, assigns a SID, and a moment later posts
    signed 'sent' and 'delivered' (or, for `failure_share` of them, 'undelivered' 30005) callbacks."""

    name = "simulator"

    def __init__(self, auth_token: str, *, delay: float = 0.5, failure_share: float = 0.02, seed: int | None = None):
        import random

        self.auth_token = auth_token
        self.delay = delay
        self.failure_share = failure_share
        self._random = random.Random(seed)
        self._lock = threading.Lock()
        self.sent: list[tuple[str, str, str]] = []  # sid, to, body
        self._created: dict[str, datetime] = {}  # sid -> when it was taken

    def send(self, to: str, body: str, status_callback: str) -> Sent:
        if not to.startswith("+") or not to[1:].isdigit():
            raise GatewayError(f"The 'To' number {to} is not a valid phone number.", retryable=False, code="21211")
        sid = "SM" + secrets.token_hex(16)
        with self._lock:
            self.sent.append((sid, to, body))
            self._created[sid] = clock.now()
            fails = self._random.random() < self.failure_share
        timer = threading.Timer(self.delay, self._callbacks, args=(sid, to, status_callback, fails))
        timer.daemon = True
        timer.start()
        return Sent(sid=sid)

    def find(self, to: str, body: str, since: datetime) -> Sent | None:
        with self._lock:
            for sid, number, text in reversed(self.sent):
                if number == to and text == body and self._created[sid] >= since:
                    return Sent(sid=sid)
        return None

    def _callbacks(self, sid: str, to: str, url: str, fails: bool) -> None:
        self.post_callback(url, sid, to, "sent")
        time.sleep(self.delay)
        self.post_callback(url, sid, to, "undelivered" if fails else "delivered", "30005" if fails else None)

    def post_callback(self, url: str, sid: str, to: str, status: str, error_code: str | None = None) -> int | None:
        params = {"MessageSid": sid, "SmsSid": sid, "MessageStatus": status, "SmsStatus": status, "To": to,
                  "ApiVersion": "2010-04-01"}
        if error_code:
            params["ErrorCode"] = error_code
        signature = RequestValidator(self.auth_token).compute_signature(url, params)
        request = urllib.request.Request(url, data=urllib.parse.urlencode(params).encode(), method="POST",
                                         headers={"X-Twilio-Signature": signature,
                                                  "Content-Type": "application/x-www-form-urlencoded"})
        try:
            with urllib.request.urlopen(request, timeout=5) as response:
                return response.status
        except (urllib.error.URLError, OSError) as exc:
            log.warning("simulator could not post a status callback: %s", exc)
            return None


def auth_token(config) -> str:
    """The token status callbacks are signed with: Twilio's, or the simulator's."""
    if config.get("SMS_GATEWAY", "simulator") == "twilio":
        return config["TWILIO_AUTH_TOKEN"]
    return simulator_token(config["SECRET_KEY"])


def from_config(config) -> Gateway:
    kind = config.get("SMS_GATEWAY", "simulator")
    if kind == "twilio":
        return TwilioGateway(config["TWILIO_ACCOUNT_SID"], config["TWILIO_AUTH_TOKEN"],
                             messaging_service_sid=config.get("TWILIO_MESSAGING_SERVICE_SID") or None,
                             from_=config.get("TWILIO_FROM") or None, api_base=config.get("TWILIO_API_BASE") or None,
                             timeout=float(config.get("SMS_TIMEOUT_SECONDS", 10)),
                             pool_size=int(config.get("SMS_CONCURRENCY", 8)))
    if kind == "simulator":
        return SimulatorGateway(simulator_token(config["SECRET_KEY"]),
                                failure_share=float(config.get("SIMULATOR_FAILURE_SHARE", 0.02)))
    raise ValueError(f"unknown SMS_GATEWAY {kind!r}; use twilio or simulator")
