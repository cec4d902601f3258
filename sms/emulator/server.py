"""The HTTP side: the threading server, the request handler, and auth plus routing of each request."""
from __future__ import annotations

import base64
import binascii
import hmac
import json
import logging
import re
import socket
import sys
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Optional
from urllib.parse import parse_qs

from .store import API_VERSION, _error

if TYPE_CHECKING:
    from .core import TwilioEmulator

log = logging.getLogger("sms.emulator")

_ACCOUNT = r"(?P<account>AC[0-9A-Za-z]{32})"
_ROUTE_MESSAGES = re.compile(rf"^/{API_VERSION}/Accounts/{_ACCOUNT}/Messages\.json$")
_ROUTE_MESSAGE = re.compile(rf"^/{API_VERSION}/Accounts/{_ACCOUNT}/Messages/(?P<sid>(?:SM|MM)[0-9a-f]{{32}})\.json$")
_ROUTE_ACCOUNT_ANY = re.compile(rf"^/{API_VERSION}/Accounts/{_ACCOUNT}(?:/|\.json|$)")


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


class _RoutingMixin:
    """TwilioEmulator's handling of one request: Basic auth, then the Messages routes."""

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
