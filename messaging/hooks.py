"""What the domains above messaging register with it at start, so that messaging never imports them:

- periodic jobs, run about once a second by the leading worker (start due broadcasts, route replies left
  behind, ...), each `job(session, now, config)`, committing its own work;
- holds on the outbox, each a condition a message must meet to be claimed (see messaging.dispatch.claim);
- the handler of a stored inbound message (follow-ups' routing), `handler(session, stored, now, config) -> str`,
  which commits and returns the text to answer the provider's webhook with ("" for none).

Registered per application (`app.extensions["messaging"]`, made by `init_app`), in `create_app`.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from messaging.dispatch import Hold

Job = Callable[[object, datetime, object], object]
InboundHandler = Callable[[object, object, datetime, object], str]


@dataclass
class Hooks:
    jobs: list[tuple[str, Job]] = field(default_factory=list)
    holds: list[Hold] = field(default_factory=list)
    inbound: InboundHandler | None = None


def init_app(app) -> None:
    app.extensions["messaging"] = Hooks()


def of(app) -> Hooks:
    return app.extensions["messaging"]


def register_job(app, name: str, job: Job) -> None:
    of(app).jobs.append((name, job))


def register_hold(app, hold: Hold) -> None:
    of(app).holds.append(hold)


def register_inbound(app, handler: InboundHandler) -> None:
    of(app).inbound = handler
