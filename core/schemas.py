"""The JSON API's declared shapes (pydantic v2), and the check of a request against them at the door.

Each domain declares its requests and answers in its own `schemas.py` with these bases, the limits taken from
the constants its service checks too (written once), and registers them with core.openapi, which builds the
OpenAPI document from the same classes. A request that does not fit is refused here as a ServiceError naming
the first bad field, in the caller's language, before any service runs; the service still checks what only
it can know (a state, a duplicate, a placeholder).
"""
from __future__ import annotations

from enum import Enum
from typing import Any, Literal, TypeVar

from flask import request
from pydantic import BaseModel, ConfigDict, ValidationError

from core.errors import N_, ServiceError

M = TypeVar("M", bound=BaseModel)

# ids in paths have at most nine digits (core.http.DatabaseId); a longer one matches no route
ID_MAX = 999_999_999


class RequestBody(BaseModel):
    """A JSON request body: strict types (no "1" for 1, no "true" for true) and no unknown keys."""

    model_config = ConfigDict(strict=True, extra="forbid")


class Query(BaseModel):
    """Query parameters: text read as numbers where declared; empty ones are absent; others ignored."""

    model_config = ConfigDict(extra="ignore")


class Answer(BaseModel):
    """What an endpoint answers: documented here, built by the domain's serialiser; every key is present."""

    model_config = ConfigDict(extra="forbid")


class Error(Answer):
    """Every refusal of the API: a message in the caller's language, a stable code, the input it is about."""

    error: str
    code: str
    field: str | None


def one_of(values) -> Any:
    """The type of a value among `values` (an Enum class or strings), e.g. `one_of(Queue)`."""
    if isinstance(values, type) and issubclass(values, Enum):
        values = [member.value for member in values]
    return Literal[tuple(values)]  # type: ignore[valid-type]


class InvalidRequest(ServiceError):
    domain = "request"


# pydantic's error types -> our message (the %(name)s is the field, dotted)
MESSAGES = {
    "missing": N_("%(name)s is required"),
    "extra_forbidden": N_("%(name)s is not a known field"),
    "string_type": N_("%(name)s must be text"),
    "string_too_long": N_("%(name)s is longer than %(limit)s characters"),
    "string_pattern_mismatch": N_("%(name)s is not in the expected form"),
    "literal_error": N_("unknown %(name)s %(value)s; use one of %(values)s"),
    "enum": N_("unknown %(name)s %(value)s; use one of %(values)s"),
    "bool_type": N_("%(name)s must be true or false"),
    "bool_parsing": N_("%(name)s must be true or false"),
    "int_type": N_("%(name)s must be a whole number"),
    "int_parsing": N_("%(name)s must be a whole number"),
    "int_from_float": N_("%(name)s must be a whole number"),
    "float_type": N_("%(name)s must be a number"),
    "float_parsing": N_("%(name)s must be a number"),
    "finite_number": N_("%(name)s must be a number"),
    "greater_than_equal": N_("%(name)s is at least %(limit)s"),
    "greater_than": N_("%(name)s is at least %(limit)s"),
    "less_than_equal": N_("%(name)s is at most %(limit)s"),
    "less_than": N_("%(name)s is at most %(limit)s"),
    "list_type": N_("%(name)s must be a list"),
    "too_long": N_("%(name)s has more than %(limit)s items"),
    "model_type": N_("%(name)s must be an object"),
    "dict_type": N_("%(name)s must be an object"),
    "model_attributes_type": N_("%(name)s must be an object"),
}
NOT_AN_OBJECT = N_("send a JSON object")
NOT_VALID = N_("%(name)s is not valid")
# how pydantic names the alternatives of a union in an error's location: not fields of the request
_TAGS = {"str", "int", "float", "bool", "none", "list", "dict"}


def _is_tag(part: str) -> bool:
    return part in _TAGS or "[" in part or "-" in part


def refusal(exc: ValidationError) -> InvalidRequest:
    """The first thing wrong with the request, naming its field (dotted: "audience.tiers")."""
    error = exc.errors(include_url=False)[0]
    loc = error["loc"]
    in_union = any(isinstance(p, str) and _is_tag(p) for p in loc)
    field = ".".join(p for p in loc if isinstance(p, str) and not _is_tag(p)) or None
    kind, ctx = error["type"], error.get("ctx") or {}
    if field is None and kind in ("model_type", "dict_type", "model_attributes_type", "json_invalid"):
        return InvalidRequest(NOT_AN_OBJECT)
    template = NOT_VALID if in_union else MESSAGES.get(kind, NOT_VALID)
    if kind == "string_too_short" and ctx.get("min_length") == 1:
        template = MESSAGES["missing"]
    limit = next((ctx[k] for k in ("max_length", "ge", "gt", "le", "lt") if k in ctx), "")
    values = str(ctx.get("expected", "")).replace(" or ", ", ").replace("'", "")
    value = str(error.get("input", ""))[:100]
    return InvalidRequest(template, field=field, name=field or "request", limit=limit, values=values,
                          value=value)


def _checked(model: type[M], optional: bool) -> tuple[M, dict]:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        if not optional:
            raise InvalidRequest(NOT_AN_OBJECT)
        data = {}
    try:
        return model.model_validate(data), data
    except ValidationError as exc:
        raise refusal(exc) from None


def body(model: type[M], optional: bool = False) -> M:
    """The request's JSON object checked against `model`; refused (400) naming the first bad field. With
    `optional`, a request without a JSON object is read as {} (every field of `model` then has a default)."""
    return _checked(model, optional)[0]


def raw_body(model: type[BaseModel]) -> dict:
    """The request's JSON object as sent, once checked against `model`: for a service that takes the same
    dict from a page's form, so that the API and the page go through the same checks of the service."""
    return _checked(model, False)[1]


def query(model: type[M]) -> M:
    """The request's query parameters checked against `model` (an empty parameter is an absent one)."""
    try:
        return model.model_validate({k: v for k, v in request.args.items() if v.strip()})
    except ValidationError as exc:
        raise refusal(exc) from None
