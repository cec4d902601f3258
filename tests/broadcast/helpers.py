"""Helpers shared by the sending tests: a settable clock, a scripted gateway, counting states."""
from __future__ import annotations

import os
import threading
from datetime import datetime, timezone

import sqlalchemy as sa

from broadcast import scheduling
from broadcast.settings import Settings
from core import clock
from core.calendar import calendar_for
from core.extensions import db
from messaging.models import OutboundMessage
from sms.gateway import GatewayError, Sent

# the tests that need several processes, advisory locks or a server to restart run on PostgreSQL only; CI's
# PostgreSQL run (.ci/run) sets TEST_DATABASE_URL, so there they always run
ON_POSTGRES = os.environ.get("TEST_DATABASE_URL", "").startswith("postgres")

# 10:00 in Shanghai, a Wednesday: outside quiet hours
T0 = datetime(2026, 11, 25, 2, 0, tzinfo=timezone.utc)


class ScriptedGateway:
    """Answers from a script per number: a list of outcomes, the last one repeating; default: accepted."""

    name = "scripted"

    def __init__(self):
        self.script: dict[str, list] = {}
        self.calls: list[str] = []
        self.accepted: list[tuple[str, str, str]] = []
        self.created: dict[str, datetime] = {}
        self.n = 0
        self._lock = threading.Lock()  # the worker sends a batch from several threads at once

    def send(self, to, body, status_callback):
        with self._lock:  # one sid per message, as the provider's: `n += 1` alone is not atomic across threads
            self.calls.append(to)
            outcomes = self.script.get(to) or [None]
            outcome = outcomes.pop(0) if len(outcomes) > 1 else outcomes[0]
            if isinstance(outcome, GatewayError):
                raise outcome
            self.n += 1
            sid = f"SM{self.n:032d}"
            self.accepted.append((to, body, sid))
            self.created[sid] = clock.now()
        return Sent(sid=sid)

    def find(self, to, body, since):
        """Like the provider's lookup: the newest copy created at `since` or later (the test's clock)."""
        for number, text, sid in reversed(self.accepted):
            if number == to and text == body and self.created[sid] >= since:
                return Sent(sid=sid)
        return None


def states(b) -> dict[str, int]:
    db.session.expire_all()
    rows = db.session.execute(sa.select(OutboundMessage.state, sa.func.count()).where(
        OutboundMessage.broadcast_id == b.id).group_by(OutboundMessage.state)).all()
    return {s.value: n for s, n in rows}


def start_now(app, b, clock, worker):
    scheduling.schedule(db.session, b, b.chief, None, Settings.from_config(app.config), clock(), calendar_for({"QUIET_HOURS": "21:00-08:00"}))
    db.session.commit()
    worker.tick()


