"""SMS body templates: which placeholders exist, checking a template at save time, rendering one.

Plain functions, no Flask. A template is text with `{name}` placeholders; `{{` and `}}` stand for literal
braces. Only the names in ALLOWED exist: an unknown one is an error when the draft is saved, never a
blank in a client's SMS. Rendering replaces tokens by text and never evaluates anything (unlike
str.format, `{name.__class__}` is just an unknown placeholder).
"""
from __future__ import annotations

import re
from collections.abc import Mapping

from core.errors import N_, Problem

ALLOWED = ("name", "staff_name", "staff_phone", "contract", "direction", "entry", "stop", "target", "note_link",
           "analyst")
# placeholders that only a trade suggestion fills
SUGGESTION_ONLY = frozenset({"contract", "direction", "entry", "stop", "target"})

# the analyst's name and futures investment-consulting qualification number (投资咨询从业资格证书编号), which a
# trade suggestion or research note must carry to the client (see broadcast.compliance.analyst_problems)
ANALYST_FORMS = {"zh": "分析师{name}（投资咨询从业资格号{number}）",
                 "en": "analyst {name} (investment consulting licence {number})"}
SAMPLE_ANALYST = ("示例分析师", "Z0000000")  # for a text rendered without an author: a preview's length

_TOKEN = re.compile(r"\{\{|\}\}|\{([^{}]*)\}|[{}]")


class TemplateError(Problem):
    field = "body"


def placeholders_in(template: str) -> list[str]:
    """The placeholder names used, in order of first use (unknown ones included)."""
    seen: list[str] = []
    for match in _TOKEN.finditer(template):
        name = match.group(1)
        if name is not None and name.strip() not in seen:
            seen.append(name.strip())
    return seen


def check_template(template: str, *, is_suggestion: bool) -> list[TemplateError]:
    """Every problem of `template`, each naming what to fix; an empty list when it can be saved."""
    problems: list[TemplateError] = []
    if not template.strip():
        problems.append(TemplateError(N_("the SMS text is empty")))
    for match in _TOKEN.finditer(template):
        token = match.group(0)
        if token in ("{", "}"):
            problems.append(TemplateError(N_("a lone %(brace)s: write {{ or }} for a literal brace"), brace=token))
    for name in placeholders_in(template):
        if name not in ALLOWED:
            problems.append(TemplateError(N_("unknown placeholder {%(name)s}; use one of %(allowed)s"),
                                          name=name, allowed=", ".join("{%s}" % a for a in ALLOWED)))
        elif name in SUGGESTION_ONLY and not is_suggestion:
            problems.append(TemplateError(N_("{%(name)s} is filled only for a trade suggestion"), name=name))
    return problems


def render(template: str, values: Mapping[str, str]) -> str:
    """The text with each placeholder replaced by values[name]. The template must have passed check_template."""

    def replace(match: re.Match) -> str:
        token = match.group(0)
        if token == "{{":
            return "{"
        if token == "}}":
            return "}"
        name = (match.group(1) or "").strip()
        if name not in values:
            raise KeyError(f"no value for placeholder {{{name}}}")
        return str(values[name])

    return _TOKEN.sub(replace, template)


def analyst_text(name: str, number: str | None, language: str = "zh") -> str:
    """What `{analyst}` becomes: the analyst's name and qualification number, in the broadcast's language."""
    form = ANALYST_FORMS.get(language, ANALYST_FORMS["zh"])
    return form.replace("{name}", name).replace("{number}", number or "")
