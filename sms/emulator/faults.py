"""Fault injection: failed (429/500/503...) and hanging message creates, queued in order."""
from __future__ import annotations

from typing import Optional

_DEFAULT_FAULT_CODES = {400: 20001, 401: 20003, 404: 20404, 429: 20429, 500: 20500, 503: 20503}
_STATUS_MESSAGES = {
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


class _Fault:
    __slots__ = ("kind", "status", "code", "message", "seconds", "create")

    def __init__(self, kind, status=None, code=None, message=None, seconds=0.0, create=False):
        self.kind, self.status, self.code, self.message = kind, status, code, message
        self.seconds, self.create = seconds, create


class _FaultsMixin:
    """TwilioEmulator's fault queue (each fault is consumed by one message create, in `_create`)."""

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
