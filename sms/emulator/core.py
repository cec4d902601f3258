"""TwilioEmulator: settings, state, lifecycle; the behaviour lives in the mixins it ties together."""
from __future__ import annotations

import queue
import random
import re
import threading
from typing import Any, Dict, List, Optional, Tuple
from urllib.request import ProxyHandler, build_opener

from .callbacks import _CallbacksMixin
from .faults import _Fault, _FaultsMixin
from .server import _Handler, _RoutingMixin, _Server
from .store import DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN, _StoreMixin


class TwilioEmulator(_StoreMixin, _FaultsMixin, _RoutingMixin, _CallbacksMixin):
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
