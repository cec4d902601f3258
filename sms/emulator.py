"""A Twilio emulator of the project's own: the part of Twilio's REST API that sending SMS uses, served over
real HTTP (normally on loopback), for tests, demos and benchmarks of the Twilio gateway through the real
``twilio`` SDK (point it here with ``sms.twilio_client.make_client(..., api_base=emulator.base_url)``).

    with TwilioEmulator() as emu:
        client = make_client(emu.account_sid, emu.auth_token, api_base=emu.base_url)
        msg = client.messages.create(to="+15551234567", from_="+15557654321", body="hi")

Served (all under HTTP Basic auth with the account SID and auth token; otherwise 401, code 20003):

* ``POST /2010-04-01/Accounts/{AccountSid}/Messages.json`` (form: To, From or MessagingServiceSid, Body,
  StatusCallback, MediaUrl...) -> 201 and a Message resource shaped like Twilio's (status ``queued``, or
  ``accepted`` when sent through a Messaging Service without From, as Twilio does). Errors, as Twilio:
  21604 no To, 21603 neither From nor MessagingServiceSid, 21602 no Body (nor MediaUrl/ContentSid),
  21617 Body over 1600 characters, 21211 To in `invalid_numbers` (or not E.164 when ``strict_e164``),
  21610 To in `unsubscribed`. Error bodies are ``{"code", "message", "more_info", "status"}``.
* ``GET .../Messages/{Sid}.json`` -> the stored message (its status follows the callbacks sent);
  ``GET .../Messages.json`` -> a page of messages, newest first (To, From, PageSize, Page).
* Any other path: 404, code 20404; another account's path: 404 too.

Faults (thread-safe; queued in order, each consumed by one message-create request; a faulted request
creates no message): `fail_next` (answer 429/500/503 with a Twilio error), `hang_next` (wait before
answering, to trip client timeouts), and `latency` (seconds added to every create, settable any time).

Status callbacks are signed as Twilio signs them (X-Twilio-Signature =
``RequestValidator(auth_token).compute_signature(url, params)``): `callback` posts one now;
``auto_deliver=True`` posts ``sent`` then ``delivered`` after every successful create, from background
threads, with a deterministic (seeded) share ``fail_share`` of messages ending ``undelivered`` with
ErrorCode 30005 instead.

Command line: ``python -m sms.emulator --port 8099 --account-sid AC... --auth-token ... [--latency 0.05]
[--auto-deliver] [--fail-share 0.1]`` serves in the foreground until Ctrl-C/SIGTERM.
"""
from __future__ import annotations

import argparse
import base64
import binascii
import hmac
import json
import logging
import queue
import random
import re
import signal
import socket
import sys
import threading
import uuid
from datetime import datetime, timezone
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Dict, List, Optional, Tuple
from urllib.error import HTTPError, URLError
from urllib.parse import parse_qs, urlencode
from urllib.request import ProxyHandler, Request, build_opener

from twilio.request_validator import RequestValidator

__all__ = ["TwilioEmulator", "DEFAULT_ACCOUNT_SID", "DEFAULT_AUTH_TOKEN", "count_segments", "main"]

log = logging.getLogger(__name__)

API_VERSION = "2010-04-01"
DEFAULT_ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
DEFAULT_AUTH_TOKEN = "e0a1b2c3d4e5f60718293a4b5c6d7e8f"
MAX_BODY = 1600
ERR_UNKNOWN_HANDSET = 30005

_E164 = re.compile(r"^\+[1-9]\d{1,14}$")
_ACCOUNT = r"(?P<account>AC[0-9A-Za-z]{32})"
_ROUTE_MESSAGES = re.compile(rf"^/{API_VERSION}/Accounts/{_ACCOUNT}/Messages\.json$")
_ROUTE_MESSAGE = re.compile(rf"^/{API_VERSION}/Accounts/{_ACCOUNT}/Messages/(?P<sid>(?:SM|MM)[0-9a-f]{{32}})\.json$")
_ROUTE_ACCOUNT_ANY = re.compile(rf"^/{API_VERSION}/Accounts/{_ACCOUNT}(?:/|\.json|$)")

_DEFAULT_FAULT_CODES = {400: 20001, 401: 20003, 404: 20404, 429: 20429, 500: 20500, 503: 20503}
_STATUS_MESSAGES = {
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}

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
    return datetime.now(timezone.utc).replace(microsecond=0)


def _rfc2822(dt: Optional[datetime]) -> Optional[str]:
    return format_datetime(dt) if dt is not None else None  # "Thu, 24 Aug 2023 05:01:45 +0000"


def _error(status: int, code: int, message: str) -> Tuple[int, Dict[str, Any]]:
    return status, {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }


class _Fault:
    __slots__ = ("kind", "status", "code", "message", "seconds", "create")

    def __init__(self, kind, status=None, code=None, message=None, seconds=0.0, create=False):
        self.kind, self.status, self.code, self.message = kind, status, code, message
        self.seconds, self.create = seconds, create


class _Server(ThreadingHTTPServer):
    """Joins its handler threads on close; `close_connections` ends kept-alive connections so it can."""

    daemon_threads = True  # never keeps the interpreter alive; still joined by server_close()
    block_on_close = True
    allow_reuse_address = True

    def __init__(self, address, handler, emulator: "TwilioEmulator"):
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        self.emulator = emulator
        self._conns: set = set()
        self._conns_lock = threading.Lock()
        super().__init__(address, handler)

    def process_request(self, request, client_address):
        with self._conns_lock:
            self._conns.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request):
        with self._conns_lock:
            self._conns.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        with self._conns_lock:
            conns = list(self._conns)
        for conn in conns:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def handle_error(self, request, client_address):
        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, TimeoutError)):
            return  # the client went away (e.g. timed out during a hang): nothing to report
        log.exception("Twilio emulator: error handling a request from %s", client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as api.twilio.com
    disable_nagle_algorithm = True  # headers and body are two writes: no 40 ms delayed-ACK stall per request
    server_version = "TwilioEmulator/1.0"
    sys_version = ""
    server: _Server

    def do_GET(self):
        self._dispatch("GET")

    def do_POST(self):
        self._dispatch("POST")

    def do_DELETE(self):
        self._dispatch("DELETE")

    def do_PUT(self):
        self._dispatch("PUT")

    def _dispatch(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        status, payload, extra = self.server.emulator._handle(
            method, self.path, self.headers.get("Authorization"), body
        )
        data = json.dumps(payload).encode("utf-8")
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Twilio-Request-Id", "RQ" + uuid.uuid4().hex)
            for name, value in extra.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)
            self.wfile.flush()
        except (ConnectionError, TimeoutError):
            self.close_connection = True

    def log_message(self, format, *args):  # noqa: A002 - BaseHTTPRequestHandler's signature
        log.debug("%s - %s", self.address_string(), format % args)


class TwilioEmulator:
    """Twilio's Messages API on ``base_url``, with fault injection, records and signed status callbacks.

    Public state (read any time; the lists are snapshots): `messages`, `requests`, `callbacks`,
    `callback_errors`; settable any time: `latency`, `auto_deliver`, `fail_share`, `delivery_delay`,
    `invalid_numbers`, `unsubscribed` (sets of E.164 strings), `strict_e164`.
    """

    def __init__(
        self,
        account_sid: str = DEFAULT_ACCOUNT_SID,
        auth_token: str = DEFAULT_AUTH_TOKEN,
        latency: float = 0.0,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        auto_deliver: bool = False,
        fail_share: float = 0.0,
        seed: int = 0,
        delivery_delay: float = 0.0,
        delivery_workers: int = 4,
        callback_timeout: float = 5.0,
        strict_e164: bool = True,
    ):
        if not re.fullmatch(r"AC[0-9A-Za-z]{32}", account_sid or ""):
            raise ValueError("account_sid must be 'AC' followed by 32 characters")
        if not auth_token:
            raise ValueError("auth_token is required")
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.latency = float(latency)
        self.host = host
        self.port = port
        self.auto_deliver = auto_deliver
        self.fail_share = float(fail_share)
        self.delivery_delay = float(delivery_delay)
        self.callback_timeout = float(callback_timeout)
        self.strict_e164 = strict_e164
        self.invalid_numbers: set = set()
        self.unsubscribed: set = set()
        self._delivery_workers = max(1, int(delivery_workers))
        self._seed = seed
        self._rng = random.Random(seed)
        self._validator = RequestValidator(auth_token)
        self._opener = build_opener(ProxyHandler({}))  # callbacks go straight to the app, never via a proxy

        self._lock = threading.RLock()
        self._messages: List[Dict[str, Any]] = []
        self._by_sid: Dict[str, Dict[str, Any]] = {}
        self._faults: List[_Fault] = []
        self._requests = 0
        self._callbacks: List[Dict[str, Any]] = []
        self._callback_errors = 0
        self._pending = 0  # auto-deliveries queued or in flight
        self._idle = threading.Condition(self._lock)

        self._stopping = threading.Event()
        self._server: Optional[_Server] = None
        self._server_thread: Optional[threading.Thread] = None
        self._queue: "queue.Queue[Optional[Tuple[str, bool]]]" = queue.Queue()
        self._workers: List[threading.Thread] = []

    # ---------------------------------------------------------------- lifecycle

    def start(self) -> "TwilioEmulator":
        if self._server is not None:
            raise RuntimeError("emulator already started")
        self._stopping.clear()
        self._server = _Server((self.host, self.port), _Handler, self)
        self.port = self._server.server_address[1]
        self._server_thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="twilio-emulator", daemon=True
        )
        self._server_thread.start()
        self._workers = [
            threading.Thread(target=self._deliver_loop, name=f"twilio-emulator-delivery-{i}", daemon=True)
            for i in range(self._delivery_workers)
        ]
        for worker in self._workers:
            worker.start()
        return self

    def stop(self) -> None:
        """Stop serving: pending hangs and auto-deliveries are abandoned, every thread and socket closed."""
        server = self._server
        if server is None:
            return
        self._stopping.set()
        server.shutdown()  # no more accepts
        server.close_connections()  # wake handlers parked on kept-alive connections
        server.server_close()  # joins the handler threads
        for _ in self._workers:
            self._queue.put(None)
        for worker in self._workers:
            worker.join()
        if self._server_thread is not None:
            self._server_thread.join()
        with self._lock:
            while True:  # drop deliveries that were still queued
                try:
                    self._queue.get_nowait()
                except queue.Empty:
                    break
            self._pending = 0
            self._idle.notify_all()
        self._workers = []
        self._server = None
        self._server_thread = None

    def __enter__(self) -> "TwilioEmulator":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("emulator not started")
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    # ---------------------------------------------------------------- records

    @property
    def messages(self) -> List[Dict[str, Any]]:
        """Messages created, in order: dicts with sid, to, from, body, status_callback, created_at
        (aware UTC datetime), messaging_service_sid, status, error_code, num_segments, media_url."""
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

    # ---------------------------------------------------------------- faults

    def fail_next(self, count: int = 1, status: int = 429, code: Optional[int] = None, message: Optional[str] = None):
        """The next ``count`` message creates answer ``status`` with a Twilio error (code 20429 for 429,
        20500 for 500, 20503 for 503 unless ``code`` is given) and create nothing."""
        code = code if code is not None else _DEFAULT_FAULT_CODES.get(status, 20000 + status)
        message = message or _STATUS_MESSAGES.get(status, "Error")
        with self._lock:
            self._faults.extend(_Fault("fail", status=status, code=code, message=message) for _ in range(count))

    def hang_next(self, count: int = 1, seconds: float = 30.0, create: bool = False):
        """The next ``count`` message creates wait ``seconds`` before answering (to trip client timeouts).
        Then, with ``create=False``, they answer 503/20503 and create nothing; with ``create=True`` they are
        processed normally: the message exists although the client (timed out) never saw the answer."""
        with self._lock:
            self._faults.extend(_Fault("hang", seconds=float(seconds), create=create) for _ in range(count))

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    # ---------------------------------------------------------------- HTTP handling

    def _handle(self, method: str, path: str, authorization: Optional[str], body: bytes):
        """(status, JSON payload, extra headers) for one request."""
        with self._lock:
            self._requests += 1
        path, _, query = path.partition("?")
        if not self._authorized(authorization):
            status, payload = _error(401, 20003, "Authenticate")
            return status, payload, {"WWW-Authenticate": 'Basic realm="Twilio API"'}
        m = _ROUTE_MESSAGES.match(path) or _ROUTE_MESSAGE.match(path)
        any_account = _ROUTE_ACCOUNT_ANY.match(path)
        if any_account and any_account.group("account") != self.account_sid:
            return (*_error(404, 20404, f"The requested resource {path} was not found"), {})
        if m is None:
            return (*_error(404, 20404, f"The requested resource {path} was not found"), {})
        if "sid" in m.groupdict():
            if method != "GET":
                return (*_error(405, 20004, "Method not allowed"), {})
            with self._lock:
                record = self._by_sid.get(m.group("sid"))
                resource = self._resource(record) if record else None
            if resource is None:
                return (*_error(404, 20404, f"The requested resource {path} was not found"), {})
            return 200, resource, {}
        if method == "GET":
            return 200, self._list(path, parse_qs(query)), {}
        if method != "POST":
            return (*_error(405, 20004, "Method not allowed"), {})
        return (*self._create(body), {})

    def _authorized(self, header: Optional[str]) -> bool:
        if not header or not header.startswith("Basic "):
            return False
        try:
            user, _, password = base64.b64decode(header[6:], validate=True).decode("utf-8").partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return False
        return hmac.compare_digest(user.encode(), self.account_sid.encode()) and hmac.compare_digest(
            password.encode(), self.auth_token.encode()
        )

    def _create(self, body: bytes) -> Tuple[int, Dict[str, Any]]:
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

    # ---------------------------------------------------------------- status callbacks

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
        signature = self._validator.compute_signature(url, params)
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


# -------------------------------------------------------------------- command line


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sms.emulator", description="Serve the Twilio emulator.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8099)
    parser.add_argument("--account-sid", default=DEFAULT_ACCOUNT_SID)
    parser.add_argument("--auth-token", default=DEFAULT_AUTH_TOKEN)
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added to every message create")
    parser.add_argument("--auto-deliver", action="store_true", help="post sent/delivered status callbacks")
    parser.add_argument("--fail-share", type=float, default=0.0, help="share of auto-delivered messages undelivered")
    parser.add_argument("--delivery-delay", type=float, default=0.0, help="seconds between sent and delivered")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("-v", "--verbose", action="store_true", help="log every request")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO, format="%(asctime)s %(message)s")

    emulator = TwilioEmulator(
        account_sid=args.account_sid,
        auth_token=args.auth_token,
        latency=args.latency,
        host=args.host,
        port=args.port,
        auto_deliver=args.auto_deliver,
        fail_share=args.fail_share,
        seed=args.seed,
        delivery_delay=args.delivery_delay,
    )
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):  # explicit: SIGINT may arrive ignored (background job)
        signal.signal(signum, lambda *_: stop.set())
    with emulator:
        print(emulator.base_url, flush=True)
        print(f"account {emulator.account_sid}; TWILIO_API_BASE={emulator.base_url}", file=sys.stderr, flush=True)
        while not stop.wait(0.5):
            pass
    print(f"stopped after {len(emulator.messages)} messages", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
