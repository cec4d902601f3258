"""How a message's state may move, as plain functions: the outbox never moves backwards.

pending -> handing_over -> queued -> sent -> delivered | undelivered | failed, or, from pending,
suppressed | expired | cancelled; a message found in handing_over after a crash becomes unknown (the
provider may or may not have it) and is never resent on its own.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from messaging.models import MessageState as S

TERMINAL = frozenset({S.delivered, S.undelivered, S.failed, S.suppressed, S.expired, S.cancelled})
# what a provider's status callback may report, by how far along it is
_PROGRESS = {S.queued: 1, S.sent: 2, S.delivered: 3, S.undelivered: 3, S.failed: 3}
PROVIDER_STATUS = {
    "accepted": S.queued, "scheduled": S.queued, "queued": S.queued, "sending": S.queued,
    "sent": S.sent, "delivered": S.delivered, "read": S.delivered,
    "undelivered": S.undelivered, "failed": S.failed,
}


def after_callback(current: S, reported: str) -> S | None:
    """The state a status callback moves the message to, or None when it would move it backwards,
    sideways, or out of a final state (callbacks arrive late, twice and out of order)."""
    new = PROVIDER_STATUS.get(reported.lower())
    if new is None or current in TERMINAL:
        return None
    if current in (S.pending, S.handing_over, S.unknown):
        # the callback proves the provider has it (it may even overtake the API's answer)
        return new
    if _PROGRESS.get(new, 0) > _PROGRESS.get(current, 0):
        return new
    return None


def backoff(attempt: int, base: float = 2.0, cap: float = 300.0) -> timedelta:
    """Wait before retry number `attempt` (1, 2, ...): 2, 4, 8 ... seconds, at most `cap`."""
    return timedelta(seconds=min(cap, base ** max(1, attempt)))


def retry_at(now: datetime, attempt: int) -> datetime:
    return now + backoff(attempt)
