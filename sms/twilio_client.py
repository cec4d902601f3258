"""The real Twilio SDK client, optionally pointed at another API host (TWILIO_API_BASE).

`make_client(account_sid, auth_token, api_base=None, timeout=10.0)` returns an ordinary
``twilio.rest.Client``. Its HTTP client is `TwilioApiHttpClient`, a subclass of the SDK's own
``twilio.http.http_client.TwilioHttpClient`` (the SDK's extension point for transport: every request of
every resource goes through ``Client(http_client=...)``), which

* rewrites the ``https://api.twilio.com`` prefix of each request URL to ``api_base`` when one is given
  (also the regional/edge forms ``https://api.<edge>.<region>.twilio.com`` the SDK builds when
  TWILIO_EDGE / TWILIO_REGION are set), so the Messages resource talks to the project's emulator
  (``sms.emulator.TwilioEmulator``) or any stand-in; other Twilio products' hosts are left alone;
* applies ``timeout`` (seconds, connect and read) to every request; a read timeout surfaces as
  ``requests.exceptions.ReadTimeout`` (a ``requests.exceptions.Timeout``), a refused connection as
  ``requests.exceptions.ConnectionError``: the SDK does not wrap transport errors in TwilioException;
* never retries by itself (``max_retries=0`` on both http:// and https:// adapters): retrying, with
  what back-off, is the gateway's decision.

Why not ``client.api.base_url = api_base``? It works today (``Domain.base_url`` is a plain attribute
that ``Domain.absolute_url`` reads), but it is undocumented, only affects a Domain object the client
builds lazily, and is silently undone by TWILIO_EDGE/TWILIO_REGION handling in
``ClientBase.get_hostname``. A custom HTTP client is the route Twilio itself recommends for proxying
requests (https://www.twilio.com/docs/libraries/python/custom-http-clients-python).

The client keeps a pooled ``requests.Session``; call `close_client(client)` (or
``client.http_client.close()``) when done with it.
"""
from __future__ import annotations

import ipaddress
import os
import re
from typing import Dict, Optional, Tuple
from urllib.parse import urlsplit

from requests.adapters import HTTPAdapter
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client

__all__ = ["TwilioApiHttpClient", "make_client", "close_client", "TWILIO_API_PREFIX"]

TWILIO_API_PREFIX = "https://api.twilio.com"
# https://api.twilio.com, and the edge/region forms the SDK derives from it: api.sydney.au1.twilio.com
_API_PREFIX_RE = re.compile(r"^https://api(?:\.[A-Za-z0-9-]+)*\.twilio\.com(?::443)?(?=/|$)", re.IGNORECASE)


def _is_loopback(base: str) -> bool:
    host = urlsplit(base).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class TwilioApiHttpClient(TwilioHttpClient):
    """The SDK's requests-based HTTP client, with an optional API base URL and no automatic retries."""

    def __init__(self, api_base: Optional[str] = None, timeout: Optional[float] = 10.0,
                 pool_size: Optional[int] = None):
        super().__init__(pool_connections=True, timeout=timeout, max_retries=0)
        self.api_base = api_base.rstrip("/") if api_base else None
        if self.api_base and not re.match(r"^https?://[^/]+", self.api_base):
            raise ValueError(f"api_base must be an absolute http(s) URL, not {api_base!r}")
        # one kept-alive connection per sending thread: a smaller pool discards connections ("pool is full")
        # and every discarded one costs a new TCP (and, to Twilio, TLS) handshake
        pool = pool_size or min(32, (os.cpu_count() or 1) + 4)
        for scheme in ("https://", "http://"):
            # Retry(0, read=False): a failed request fails at once, never re-sent by urllib3.
            self.session.mount(scheme, HTTPAdapter(max_retries=0, pool_maxsize=pool))
        if self.api_base and _is_loopback(self.api_base):
            # An emulator on loopback: never route it through an HTTP(S)_PROXY from the environment.
            self.session.trust_env = False

    def rewrite_url(self, url: str) -> str:
        """The URL actually requested: ``url`` with its api.twilio.com prefix replaced by api_base."""
        if not self.api_base:
            return url
        return _API_PREFIX_RE.sub(lambda _m: self.api_base, url, count=1)

    def request(
        self,
        method: str,
        url: str,
        params: Optional[Dict[str, object]] = None,
        data: Optional[Dict[str, object]] = None,
        headers: Optional[Dict[str, str]] = None,
        auth: Optional[Tuple[str, str]] = None,
        timeout: Optional[float] = None,
        allow_redirects: bool = False,
    ) -> Response:
        return super().request(
            method,
            self.rewrite_url(url),
            params=params,
            data=data,
            headers=headers,
            auth=auth,
            timeout=timeout,
            allow_redirects=allow_redirects,
        )

    def close(self) -> None:
        """Close the pooled session and its sockets."""
        if self.session is not None:
            self.session.close()


def make_client(
    account_sid: str, auth_token: str, api_base: Optional[str] = None, timeout: float = 10.0,
    pool_size: Optional[int] = None,
) -> Client:
    """The real ``twilio.rest.Client`` for ``account_sid``/``auth_token``.

    ``api_base`` (e.g. ``"http://127.0.0.1:8099"``, the TWILIO_API_BASE setting) replaces
    ``https://api.twilio.com`` in every API request; None talks to Twilio. ``timeout`` is the per-request
    connect/read timeout in seconds. ``pool_size``: connections kept alive, at least the number of threads
    sending at once (default: CPUs + 4, at most 32). The client makes no automatic retries.
    """
    if not account_sid or not auth_token:
        raise ValueError("account_sid and auth_token are required")
    http_client = TwilioApiHttpClient(api_base=api_base, timeout=timeout, pool_size=pool_size)
    return Client(account_sid, auth_token, http_client=http_client)


def close_client(client: Client) -> None:
    """Release the sockets of a client made by `make_client` (the SDK's Client has no close())."""
    http_client = getattr(client, "http_client", None)
    if isinstance(http_client, TwilioApiHttpClient):
        http_client.close()
    elif getattr(http_client, "session", None) is not None:
        http_client.session.close()
