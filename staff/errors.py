"""The staff domain's refusals."""
from __future__ import annotations

from core.errors import ServiceError


class StaffError(ServiceError):
    domain = "staff"

    def __init__(self, template: str, field: str | None = None, **args: object):
        super().__init__(template, field=field, **args)
