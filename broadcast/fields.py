"""Reading and checking a draft's fields as sent (the API's JSON, or the compose form in the same shape).

Every field is checked, and every problem found is told at once (InvalidDraft), each naming its field, so
that a form can mark all of them next to their fields instead of one per try. Plain functions, no Flask.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from broadcast import audience as audiences
from broadcast import placeholders
from broadcast.appropriateness import apply_risk_level
from broadcast.errors import BroadcastError
from broadcast.models import RETIRED_KINDS, Broadcast, BroadcastKind, Direction
from clients.appropriateness import RiskLevel
from core.errors import N_, REASONS, Problem, Translate

# the limits of a broadcast's fields, checked here and declared to the API by broadcast/schemas.py
TITLE_MAX, BODY_MAX, NOTE_MAX, COMMENT_MAX = 200, 2000, 50_000, 2000
CONTRACT_MAX, ENTRY_MAX, STOP_MAX, RISK_MAX, TARGETS_MAX = 12, 40, 20, 1000, 5
LANGUAGES = ("zh", "en")
SUGGESTION_FIELDS = ("contract", "direction", "entry", "stop", "targets", "position_pct", "valid_until",
                     "risk_statement")


def leaf(field: str | None) -> str | None:
    """The form's name of a field the service names dotted ("suggestion.stop" is the form's "stop")."""
    return field.rsplit(".", 1)[-1] if field else field


class InvalidDraft(BroadcastError):
    """Every problem with a draft's fields. The first one is the error's own message, field and code (the API's
    one shape of failure); `problems` holds them all, in the order of the form."""

    def __init__(self, problems: list[BroadcastError]):
        first = problems[0]
        Problem.__init__(self, first.template, **first.args_)  # its arguments may hold a "field" (FieldRefused)
        self.field, self.status, self.code = first.field, first.status, first.code
        self.problems = problems

    def details(self, translate: Translate) -> dict[str, Any]:
        return {"problems": [{"field": p.field, "error": p.text(translate)} for p in self.problems]}


class FieldRefused(BroadcastError):
    """A value refused in a message naming its field as %(field)s, which pages show as the field's label
    (core.templating.problem_text: 标题 为必填项, never title). ServiceError's own `field` argument is the input
    it is about, so the message's argument is set here, as ServiceError would set the rest."""

    def __init__(self, template: str, field: str, **args: object):
        Problem.__init__(self, template, field=leaf(field), **args)
        self.field = field
        self.code = f"{self.domain}.{REASONS[self.status]}"


class Problems:
    """Collects the BroadcastErrors of several checks, so that one bad field does not hide the next."""

    def __init__(self) -> None:
        self.found: list[BroadcastError] = []

    @contextmanager
    def check(self) -> Iterator[None]:
        try:
            yield
        except InvalidDraft as exc:
            self.found.extend(exc.problems)
        except BroadcastError as exc:
            self.found.append(exc)

    def fields(self) -> set[str]:
        return {leaf(p.field) or "" for p in self.found}

    def raise_any(self) -> None:
        if self.found:
            raise InvalidDraft(self.found)


def text(data: dict, key: str, limit: int, required: bool = False) -> str | None:
    """`data[key]` stripped, or None when absent or empty; refused naming the field (its label on pages)."""
    value = data.get(key)
    if value is None or value == "":
        if required:
            raise FieldRefused(N_("%(field)s is required"), key)
        return None
    if not isinstance(value, str):
        raise FieldRefused(N_("%(field)s must be text"), key)
    value = value.strip()
    if len(value) > limit:
        raise FieldRefused(N_("%(field)s is longer than %(limit)s characters"), key, limit=limit)
    return value


def parse_time(value: Any, tz_name: str, field: str) -> datetime | None:
    """ISO-8601; a time without an offset is read in TIMEZONE, as the person typing it meant."""
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise FieldRefused(N_("%(field)s must be an ISO-8601 time"), field)
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise FieldRefused(N_("%(field)s %(value)s is not a time (use 2026-11-26T15:00)"), field,
                           value=value) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(tz_name))
    return moment


def apply(b: Broadcast, data: dict, tz_name: str, suggestion_level: RiskLevel = RiskLevel.R4, *,
          new: bool = False) -> None:
    """Copy the fields present in `data` onto `b`, checking each; InvalidDraft lists every problem found. A field
    that cannot be read is left as it was (None on a `new` draft, which must name its kind). The problems come in
    the order of the compose form."""
    problems = Problems()
    if new and "kind" not in data:
        problems.found.append(FieldRefused(N_("%(field)s is required"), "kind"))
    elif "kind" in data:
        with problems.check():
            _apply_kind(b, data["kind"])
    if b.kind is not None and "kind" not in problems.fields():
        with problems.check():
            apply_risk_level(b, data, suggestion_level)
    if "title" in data or b.title is None:
        with problems.check():
            b.title = text(data, "title", TITLE_MAX, required=True)  # type: ignore[assignment]
    body_read = False
    if "body" in data or b.body is None:
        with problems.check():
            b.body = text(data, "body", BODY_MAX, required=True)  # type: ignore[assignment]
            body_read = True
    if "note_markdown" in data:
        with problems.check():
            b.note_markdown = text(data, "note_markdown", NOTE_MAX)
    if b.body is not None and (body_read or "body" not in problems.fields()):  # told after the body, as shown
        problems.found.extend(body_problems(b))
    if "language" in data:
        with problems.check():
            if data["language"] not in LANGUAGES:
                raise BroadcastError(N_("language must be zh or en"), "language")
            b.language = data["language"]
    if "audience" in data:
        with problems.check():
            try:
                b.audience = audiences.parse(data["audience"]).as_json()
            except audiences.AudienceError as exc:
                raise BroadcastError(exc.template, f"audience.{exc.field}", **exc.args_) from None
    suggestion = data.get("suggestion")
    if suggestion is not None:
        with problems.check():
            if not isinstance(suggestion, dict):
                raise BroadcastError(N_("suggestion must be an object"), "suggestion")
            _apply_suggestion(b, suggestion, tz_name)
    if b.kind != BroadcastKind.trade_suggestion:
        b.contract = b.direction = b.entry = b.stop = b.targets = b.position_pct = b.valid_until = None
        b.risk_statement = None
    problems.raise_any()


def _apply_kind(b: Broadcast, raw: Any) -> None:
    try:
        kind = BroadcastKind(raw)
    except ValueError:
        raise BroadcastError(N_("unknown kind %(value)s"), "kind", value=raw) from None
    if kind in RETIRED_KINDS and kind != b.kind:
        raise BroadcastError(N_("risk notices are retired: account notices come from the risk desk; choose "
                                "another kind"), "kind", code="retired_kind")
    b.kind = kind


def body_problems(b: Broadcast) -> list[BroadcastError]:
    """What keeps the body from being saved: its placeholders, and {note_link} without a note to link to."""
    found = [BroadcastError(p.template, "body", **p.args_) for p in placeholders.check_template(
        b.body or "", is_suggestion=b.kind == BroadcastKind.trade_suggestion)]
    if "note_link" in placeholders.placeholders_in(b.body or "") and not b.note_markdown:
        found.append(BroadcastError(N_("{note_link} needs a research note to link to; write the note or remove "
                                       "it"), "body"))
    return found


def renderable(body: str) -> str:
    """`body` with what cannot be filled (an unknown placeholder, a lone brace) kept as literal text, so that a
    preview still shows the rest while the body's problems are told."""

    def keep(match: re.Match) -> str:
        token, name = match.group(0), match.group(1)
        if token in ("{{", "}}") or (name is not None and name.strip() in placeholders.ALLOWED):
            return token
        return token.replace("{", "{{").replace("}", "}}")

    return placeholders._TOKEN.sub(keep, body)


def _apply_suggestion(b: Broadcast, s: dict, tz_name: str) -> None:
    # each field given: how it is read (every one is read, so that one bad field does not hide the next)
    readers: dict[str, Callable[[Any], Any]] = {
        "contract": lambda _: text(s, "contract", CONTRACT_MAX),
        "direction": _direction,
        "entry": lambda _: text(s, "entry", ENTRY_MAX),
        "stop": lambda _: text(s, "stop", STOP_MAX),
        "targets": _targets,
        "position_pct": _position,
        "valid_until": lambda raw: parse_time(raw, tz_name, "suggestion.valid_until"),
        "risk_statement": lambda _: text(s, "risk_statement", RISK_MAX),
    }
    problems = Problems()
    for name, read in readers.items():
        if name in s:
            with problems.check():
                setattr(b, name, read(s[name]))
    for problem in problems.found:  # named as the API sends them: suggestion.<field>
        if problem.field and not problem.field.startswith("suggestion."):
            problem.field = f"suggestion.{problem.field}"
    problems.raise_any()


def _direction(raw: Any) -> Direction | None:
    if raw in (None, ""):
        return None
    try:
        return Direction(raw)
    except ValueError:
        raise BroadcastError(N_("direction must be long or short"), "suggestion.direction") from None


def _targets(targets: Any) -> list[str]:
    if isinstance(targets, str):
        targets = [t for t in targets.replace("，", ",").replace("/", ",").split(",")]
    if not isinstance(targets, list) or not all(isinstance(t, (str, int, float)) for t in targets):
        raise BroadcastError(N_("targets must be a list of prices"), "suggestion.targets")
    targets = [str(t).strip() for t in targets if str(t).strip()]
    if len(targets) > TARGETS_MAX:  # refused, never cut: a dropped target would change the suggestion
        raise BroadcastError(N_("at most %(max)s targets"), "suggestion.targets", max=TARGETS_MAX)
    return targets


def _position(raw: Any) -> Decimal | None:
    if raw in (None, ""):
        return None
    try:
        value = Decimal(str(raw).strip().rstrip("%"))
    except InvalidOperation:
        raise BroadcastError(N_("the position must be a percentage, such as 20"), "suggestion.position_pct") from None
    if not value.is_finite() or not Decimal("0") <= value <= Decimal("100"):
        raise BroadcastError(N_("the position must be between 0 and 100 percent"), "suggestion.position_pct")
    return value.quantize(Decimal("0.01"))
