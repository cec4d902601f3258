"""Errors that carry an English message template and its arguments, so each is translated where shown.

No Flask here: pure modules raise these. A `ServiceError` is what a service refuses; the one handler in
core.http answers it (JSON under /api/, a flash and a redirect on pages) and rolls the transaction back, so
views and API endpoints catch nothing themselves.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

# (template, args) -> the text in the reader's language; core.http passes core.templating.problem_text
Translate = Callable[[str, dict[str, str]], str]

# the reason part of a code when a raise names none, by HTTP status
REASONS = {400: "invalid", 403: "forbidden", 404: "not_found", 409: "conflict"}


def N_(message: str) -> str:
    """Marks a message for extraction into the catalogue; it is translated where it is shown."""
    return message


class Problem(ValueError):
    """A message template (English, %(name)s placeholders) and its arguments."""

    def __init__(self, template: str, **args: object):
        self.template = template
        self.args_ = {k: str(v) for k, v in args.items()}
        super().__init__(template % self.args_ if self.args_ else template)


class ServiceError(Problem):
    """A request that cannot be carried out: the message, the input it is about (`field`, dotted for nested
    input such as "audience.tiers"), the HTTP status that fits, and a stable machine-readable `code`,
    "<domain>.<reason>" such as "broadcast.not_editable", which API clients may branch on (the message is for
    people and follows their language).

    A subclass names its `domain`; a raise names the `reason` (`code="not_editable"`) or gets the one its
    status implies ("invalid", "forbidden", "not_found", "conflict").
    """

    domain = "request"
    status = 400

    def __init__(self, template: str, *, field: str | None = None, status: int | None = None,
                 code: str | None = None, **args: object):
        super().__init__(template, **args)
        self.field = field
        if status is not None:
            self.status = status
        self.code = f"{self.domain}.{code or REASONS.get(self.status, 'error')}"

    def text(self, translate: Translate) -> str:
        """The message in the reader's language."""
        return translate(self.template, self.args_)

    def details(self, translate: Translate) -> dict[str, Any]:
        """What the API answers besides error, code and field (nothing here; see broadcast's NotCompliant)."""
        return {}


class SettingProblem(Problem):
    """A Problem with the value of one setting: `setting` names it (QUIET_HOURS, HOLIDAYS, ...) and `reason`
    says in plain English what is wrong with the value, so the start-up check can report
    "QUIET_HOURS: '25:00-08:00' is not like 21:00-08:00" while a page shows the translated template."""

    def __init__(self, template: str, *, setting: str | None = None, reason: str = "", **args: object):
        super().__init__(template, **args)
        self.setting = setting
        self.reason = reason or str(self)
