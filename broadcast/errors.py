"""The broadcasts' one error type, below every broadcast module (service, versions, scheduling raise it)."""
from __future__ import annotations

from core.errors import ServiceError


class BroadcastError(ServiceError):
    """A request about a broadcast that cannot be done; `field` names the input."""

    domain = "broadcast"

    def __init__(self, template: str, field: str | None = None, status: int | None = None, *,
                 code: str | None = None, **args: object):
        super().__init__(template, field=field, status=status, code=code, **args)
