"""Status callbacks signed as Twilio signs them, and auto-delivery (sent, then delivered/undelivered)
from background worker threads."""
from __future__ import annotations

import logging
import uuid
from typing import Optional
from urllib.error import HTTPError, URLError
from urllib.parse import urlencode
from urllib.request import Request

from .. import signing
from ..signing import API_VERSION
from .store import ERR_UNKNOWN_HANDSET, _now

log = logging.getLogger("sms.emulator")


class _CallbacksMixin:
    """TwilioEmulator's status callbacks and auto-delivery workers."""

    def callback(self, sid: str, status: str, error_code: Optional[int] = None) -> Optional[int]:
        """Set message ``sid`` to ``status`` and post Twilio's signed status callback to its StatusCallback.

        Returns the HTTP status the app answered, or None when the post got no answer (counted in
        `callback_errors`) or the message has no StatusCallback. Raises KeyError for an unknown sid.
        """
        now = _now()
        with self._lock:
            m = self._by_sid.get(sid)
            if m is None:
                raise KeyError(sid)
            m["status"] = status
            m["updated_at"] = now
            if status == "sent" and m["sent_at"] is None:
                m["sent_at"] = now
            if error_code is not None:
                m["error_code"] = int(error_code)
            url = m["status_callback"]
            params = {
                "MessageSid": m["sid"],
                "MessageStatus": status,
                "SmsSid": m["sid"],
                "SmsStatus": status,
                "AccountSid": m["account_sid"],
                "To": m["to"],
                "ApiVersion": API_VERSION,
            }
            if m["from"]:
                params["From"] = m["from"]
            if m["messaging_service_sid"]:
                params["MessagingServiceSid"] = m["messaging_service_sid"]
            if error_code is not None:
                params["ErrorCode"] = str(error_code)
        if not url:
            return None
        signature = signing.signature(self.auth_token, url, params)
        request = Request(
            url,
            data=urlencode(params).encode("utf-8"),
            method="POST",
            headers={
                "Content-Type": "application/x-www-form-urlencoded; charset=utf-8",
                "X-Twilio-Signature": signature,
                "I-Twilio-Idempotency-Token": str(uuid.uuid4()),
                "User-Agent": "TwilioProxy/1.1",
                "Accept": "*/*",
            },
        )
        http_status: Optional[int] = None
        error: Optional[str] = None
        try:
            with self._opener.open(request, timeout=self.callback_timeout) as response:
                response.read()
                http_status = response.status
        except HTTPError as exc:  # the app answered 4xx/5xx
            http_status = exc.code
            exc.close()
        except (URLError, OSError, ValueError) as exc:  # refused, timed out, bad URL
            error = f"{type(exc).__name__}: {exc}"
        with self._lock:
            self._callbacks.append(
                {"sid": sid, "status": status, "url": url, "params": params, "signature": signature,
                 "http_status": http_status, "error": error}
            )
            if http_status is None or not 200 <= http_status < 300:
                self._callback_errors += 1
        if error:
            log.info("Twilio emulator: status callback %s for %s to %s failed: %s", status, sid, url, error)
        return http_status

    def incoming(self, url: str, from_: str, to: str, body: str, sid: Optional[str] = None,
                 segments: int = 1) -> tuple[Optional[int], str]:
        """A handset's SMS to `to`, posted to `url` as Twilio's signed incoming-message webhook (the same
        `sid` twice is a replay, as when Twilio retries). Returns the app's HTTP status and answer (TwiML)."""
        params = signing.inbound_form(from_, to, body, sid=sid, account_sid=self.account_sid, segments=segments)
        request = Request(url, data=urlencode(params).encode("utf-8"), method="POST", headers={
            **signing.headers(self.auth_token, url, params), "User-Agent": "TwilioProxy/1.1"})
        try:
            with self._opener.open(request, timeout=self.callback_timeout) as response:
                return response.status, response.read().decode("utf-8", "replace")
        except HTTPError as exc:
            text = exc.read().decode("utf-8", "replace")
            exc.close()
            return exc.code, text
        except (URLError, OSError, ValueError) as exc:
            log.info("Twilio emulator: incoming message to %s failed: %s", url, exc)
            return None, ""

    def drain(self, timeout: float = 10.0) -> bool:
        """Wait until every auto-delivery queued so far has posted its callbacks; False on timeout."""
        with self._idle:
            return self._idle.wait_for(lambda: self._pending == 0, timeout)

    def _deliver_loop(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            sid, undelivered = item
            try:
                if not self._stopping.is_set():
                    self.callback(sid, "sent")
                if self.delivery_delay > 0:
                    self._stopping.wait(self.delivery_delay)
                if not self._stopping.is_set():
                    if undelivered:
                        self.callback(sid, "undelivered", ERR_UNKNOWN_HANDSET)
                    else:
                        self.callback(sid, "delivered")
            except Exception:  # never let a delivery kill the worker
                log.exception("Twilio emulator: auto-delivery of %s failed", sid)
                with self._lock:
                    self._callback_errors += 1
            finally:
                with self._lock:
                    self._pending = max(0, self._pending - 1)
                    self._idle.notify_all()
