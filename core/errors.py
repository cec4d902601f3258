"""Errors that carry an English message template and its arguments, so each is translated where shown.

No Flask here: pure modules raise these, and views translate them with `_(exc.template, **exc.args_)`.
"""
from __future__ import annotations


def N_(message: str) -> str:
    """Marks a message for extraction into the catalogue; it is translated where it is shown."""
    return message


class Problem(ValueError):
    """A message template (English, %(name)s placeholders) and its arguments."""

    def __init__(self, template: str, **args: object):
        self.template = template
        self.args_ = {k: str(v) for k, v in args.items()}
        super().__init__(template % self.args_ if self.args_ else template)
