"""The emulator's message store: constants, segment counting, Twilio-shaped JSON and error bodies, the
records (messages, request and callback counters), and message-create validation and listing."""
from __future__ import annotations

import logging
import random
import re
import time
import uuid
from datetime import datetime
from email.utils import format_datetime
from typing import Any, Dict, List, Optional, Tuple
from urllib.parse import parse_qs, urlencode

from core import clock

from ..signing import API_VERSION

log = logging.getLogger("sms.emulator")

DEFAULT_ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
DEFAULT_AUTH_TOKEN = "e0a1b2c3d4e5f60718293a4b5c6d7e8f"
MAX_BODY = 1600
ERR_UNKNOWN_HANDSET = 30005

_E164 = re.compile(r"^\+[1-9]\d{1,14}$")

# --- segments (independent of sms.segments on purpose: the emulator is Twilio's view, not the app's) ---
_GSM_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM_EXTENDED = frozenset("\x0c^{}\\[~]|€")


def count_segments(body: str) -> int:
    """Segments Twilio bills ``body`` as: GSM-7 160/153 septets (extension characters take two and are not
    split), else UCS-2 70/67 UTF-16 units (a surrogate pair is not split)."""
    if not body:
        return 1
    if all(c in _GSM_BASIC or c in _GSM_EXTENDED for c in body):
        units = [2 if c in _GSM_EXTENDED else 1 for c in body]
        single, multi = 160, 153
    else:
        units = [2 if ord(c) > 0xFFFF else 1 for c in body]
        single, multi = 70, 67
    if sum(units) <= single:
        return 1
    segments, used = 1, 0
    for u in units:
        if used + u > multi:
            segments, used = segments + 1, 0
        used += u
    return segments


def _now() -> datetime:
    """The emulator's time: the process clock (core.clock), which a test sets when it runs the emulator."""
    return clock.now().replace(microsecond=0)


def _rfc2822(dt: Optional[datetime]) -> Optional[str]:
    return format_datetime(dt) if dt is not None else None  # "Thu, 24 Aug 2023 05:01:45 +0000"


def _error(status: int, code: int, message: str) -> Tuple[int, Dict[str, Any]]:
    return status, {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }


class _StoreMixin:
    """TwilioEmulator's records and Messages resource (state set up by TwilioEmulator.__init__)."""

    @property
    def messages(self) -> List[Dict[str, Any]]:
        """Messages created, in order: dicts with sid, to, from, body, status_callback, created_at
        (aware UTC datetime, whole seconds as Twilio gives it), received_at (time.time() when the create request
        arrived, before any latency: for measuring send rates), messaging_service_sid, status, error_code,
        num_segments, media_url."""
        with self._lock:
            return [dict(m) for m in self._messages]

    def message(self, sid: str) -> Optional[Dict[str, Any]]:
        with self._lock:
            m = self._by_sid.get(sid)
            return dict(m) if m else None

    def sent_to(self, number: str) -> List[Dict[str, Any]]:
        """Messages created for ``number`` (the To), in order."""
        with self._lock:
            return [dict(m) for m in self._messages if m["to"] == number]

    @property
    def requests(self) -> int:
        """HTTP requests received (every method and path, faulted or not)."""
        with self._lock:
            return self._requests

    @property
    def callbacks(self) -> List[Dict[str, Any]]:
        """Status callbacks attempted, in order: sid, status, url, params, signature, http_status (None
        when no answer), error (str or None)."""
        with self._lock:
            return [dict(c) for c in self._callbacks]

    @property
    def callback_errors(self) -> int:
        """Callback posts that got no 2xx answer (connection refused, timeout, or a 4xx/5xx): what Twilio's
        debugger would log as error 11200."""
        with self._lock:
            return self._callback_errors

    def reset(self) -> None:
        """Forget messages, faults, counters and callbacks; reseed the fail_share random."""
        with self._lock:
            self._messages.clear()
            self._by_sid.clear()
            self._faults.clear()
            self._requests = 0
            self._callbacks.clear()
            self._callback_errors = 0
            self._rng = random.Random(self._seed)

    def _create(self, body: bytes) -> Tuple[int, Dict[str, Any]]:
        arrived = time.time()
        with self._lock:
            fault = self._faults.pop(0) if self._faults else None
        if fault is not None and fault.kind == "fail":
            return _error(fault.status, fault.code, fault.message)
        if fault is not None and fault.kind == "hang":
            if self._stopping.wait(fault.seconds) or not fault.create:
                return _error(503, 20503, "Service Unavailable")
        if self.latency > 0:
            self._stopping.wait(self.latency)

        form = parse_qs(body.decode("utf-8"), keep_blank_values=True)

        def field(name: str) -> str:
            return (form.get(name) or [""])[0]

        to, from_, service, text = field("To"), field("From"), field("MessagingServiceSid"), field("Body")
        media = [u for u in form.get("MediaUrl", []) if u]
        if not to:
            return _error(400, 21604, "A 'To' phone number is required.")
        if not from_ and not service:
            return _error(400, 21603, "A 'From' phone number is required.")
        if not text and not media and not field("ContentSid"):
            return _error(400, 21602, "Message body is required.")
        if len(text) > MAX_BODY:
            return _error(400, 21617, "The concatenated message body exceeds the 1600 character limit.")
        bare_to = to.split(":", 1)[1] if to.startswith("whatsapp:") else to
        if to in self.invalid_numbers or (self.strict_e164 and not _E164.match(bare_to)):
            return _error(400, 21211, f"Invalid 'To' Phone Number: {to}")
        if to in self.unsubscribed:
            return _error(400, 21610, "Attempt to send to unsubscribed recipient")

        now = _now()
        record = {
            "sid": ("MM" if media else "SM") + uuid.uuid4().hex,
            "account_sid": self.account_sid,
            "to": to,
            "from": from_ or None,
            "messaging_service_sid": service or None,
            "body": text,
            "media_url": media,
            "status_callback": field("StatusCallback") or None,
            "status": "queued" if from_ else "accepted",
            "error_code": None,
            "num_segments": count_segments(text),
            "created_at": now,
            "updated_at": now,
            "sent_at": None,
            "received_at": arrived,
        }
        with self._lock:
            self._messages.append(record)
            self._by_sid[record["sid"]] = record
            resource = self._resource(record)
            deliver = self.auto_deliver
            if deliver:
                undelivered = self.fail_share > 0 and self._rng.random() < self.fail_share
                self._pending += 1
        if deliver:
            self._queue.put((record["sid"], undelivered))
        return 201, resource

    def _resource(self, m: Dict[str, Any]) -> Dict[str, Any]:
        """The Message resource JSON, as Twilio's API answers it (every field MessageInstance reads)."""
        uri = f"/{API_VERSION}/Accounts/{m['account_sid']}/Messages/{m['sid']}"
        return {
            "account_sid": m["account_sid"],
            "api_version": API_VERSION,
            "body": m["body"],
            "date_created": _rfc2822(m["created_at"]),
            "date_sent": _rfc2822(m["sent_at"]),
            "date_updated": _rfc2822(m["updated_at"]),
            "direction": "outbound-api",
            "error_code": m["error_code"],
            "error_message": None,
            "from": m["from"],
            "messaging_service_sid": m["messaging_service_sid"],
            "num_media": str(len(m["media_url"])),
            "num_segments": str(m["num_segments"]),
            "price": None,
            "price_unit": "USD",
            "sid": m["sid"],
            "status": m["status"],
            "subresource_uris": {"media": f"{uri}/Media.json", "feedback": f"{uri}/Feedback.json"},
            "to": m["to"],
            "uri": f"{uri}.json",
        }

    def _list(self, path: str, query: Dict[str, List[str]]) -> Dict[str, Any]:
        def q(name: str, default: str = "") -> str:
            return (query.get(name) or [default])[0]

        try:
            size = max(1, min(1000, int(q("PageSize", "50"))))
            page = max(0, int(q("Page", "0")))
        except ValueError:
            size, page = 50, 0
        to, from_ = q("To"), q("From")
        with self._lock:
            chosen = [
                self._resource(m)
                for m in reversed(self._messages)
                if (not to or m["to"] == to) and (not from_ or m["from"] == from_)
            ]
        items = chosen[page * size : (page + 1) * size]
        filters = [(k, v) for k, v in (("To", to), ("From", from_)) if v]

        def page_uri(n: int) -> str:
            return f"{path}?{urlencode([('PageSize', size), ('Page', n), *filters])}"

        more = (page + 1) * size < len(chosen)
        return {
            "messages": items,
            "end": page * size + max(len(items) - 1, 0),
            "first_page_uri": page_uri(0),
            "next_page_uri": page_uri(page + 1) if more else None,
            "previous_page_uri": page_uri(page - 1) if page > 0 else None,
            "page": page,
            "page_size": size,
            "start": page * size,
            "uri": page_uri(page),
        }
