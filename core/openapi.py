"""The OpenAPI 3.1 description of the JSON API under /api/v1, served at /api/v1/openapi.json, generated from
the same pydantic classes that check the requests.

Core imports no domain: each domain's `schemas.py` declares its models and operations and calls `register`
when it is imported (its api.py imports it, so the app's blueprints bring every part in). tests/core/
test_openapi.py checks the document against the running app with schemathesis: every answer of every
operation must be a documented status with a body of the documented shape.
"""
from __future__ import annotations

from collections.abc import Iterable
from copy import deepcopy
from typing import Any

from flask import Blueprint, jsonify
from pydantic import BaseModel
from pydantic.json_schema import GenerateJsonSchema, models_json_schema

from core.schemas import ID_MAX, Error

bp = Blueprint("openapi", __name__, url_prefix="/api/v1")

Schema = dict[str, Any]
REF = "#/components/schemas/{model}"

ERROR_DESCRIPTIONS = {
    "400": "The request is wrong; `error` says what, `field` names the input, `code` is stable",
    "401": "No valid API token (Authorization: Bearer ...)",
    "403": "The token's owner may not do this",
    "404": "No such object",
    "409": "The object is not in a state that allows this",
    "413": "The request body is larger than MAX_UPLOAD_MB",
}

# tag -> (paths, models), in the order the domains registered
_parts: dict[str, tuple[dict[str, Schema], tuple[type[BaseModel], ...]]] = {}


def register(tag: str, paths: dict[str, Schema], models: Iterable[type[BaseModel]] = ()) -> None:
    """Adds a domain's operations (paths relative to /api/v1) and the models they name; the operations get
    `tag` unless they name one. Registering a tag again replaces its part."""
    for item in paths.values():
        for op in item.values():
            op.setdefault("tags", [tag])
    _parts[tag] = (paths, tuple(models))


# ---- pieces the domains build their operations with ------------------------------------------------------

def ref(model: type[BaseModel] | str) -> Schema:
    return {"$ref": REF.format(model=model if isinstance(model, str) else model.__name__)}


def answer(model: type[BaseModel] | Schema, description: str) -> Schema:
    schema = model if isinstance(model, dict) else ref(model)
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def json_body(model: type[BaseModel]) -> Schema:
    return {"application/json": {"schema": ref(model)}}


def path_id(name: str, description: str) -> Schema:
    return {"name": name, "in": "path", "required": True, "description": description,
            "schema": {"type": "integer", "minimum": 1, "maximum": ID_MAX}}


def path_text(name: str, description: str, max_length: int, example: str) -> Schema:
    return {"name": name, "in": "path", "required": True, "description": description,
            "schema": {"type": "string", "minLength": 1, "maxLength": max_length}, "example": example}


def query_params(model: type[BaseModel]) -> list[Schema]:
    """The query parameters a Query model declares, each with its schema (null is no value in a query)."""
    schema = model.model_json_schema(schema_generator=_Untitled)
    required = set(schema.get("required", []))
    params = []
    for name, prop in schema["properties"].items():
        prop = dict(prop)
        description = prop.pop("description", None)
        prop.pop("default", None)
        options = [s for s in prop.get("anyOf", []) if s.get("type") != "null"]
        if "anyOf" in prop and len(options) == 1:
            prop = {**options[0], **{k: v for k, v in prop.items() if k != "anyOf"}}
        param = {"name": name, "in": "query", "required": name in required, "schema": prop}
        if description:
            param["description"] = description
        params.append(param)
    return params


def operation(summary: str, responses: dict[str, Schema], *, errors: tuple[str, ...], op_id: str,
              parameters: list[Schema] | None = None, body: Schema | None = None,
              body_required: bool = True) -> Schema:
    """One operation: its success answers, then the Error shape for each status in `errors` (401 and, for
    operations with a body, 400 and 413 are always possible and always listed)."""
    codes = set(errors) | {"401"}
    if body is not None:
        codes |= {"400", "413"}
    errors_out = {c: answer(Error, ERROR_DESCRIPTIONS[c]) for c in sorted(codes) if c not in responses}
    out: Schema = {"operationId": op_id, "summary": summary, "responses": {**responses, **errors_out}}
    if parameters:
        out["parameters"] = parameters
    if body is not None:
        out["requestBody"] = {"required": body_required, "content": body}
    return out


# ---- the document ---------------------------------------------------------------------------------------------

class _Untitled(GenerateJsonSchema):
    """Models keep their titles; their fields do not repeat their names as titles."""

    def field_title_should_be_set(self, schema) -> bool:
        return False


def _nullable(schema: Schema) -> bool:
    return schema.get("type") == "null" or any(s.get("type") == "null" for s in schema.get("anyOf", []))


def _components(models: list[type[BaseModel]]) -> dict[str, Schema]:
    unique = list(dict.fromkeys(models))
    _, document = models_json_schema([(m, "validation") for m in unique], ref_template=REF,
                                     schema_generator=_Untitled)
    schemas = document.get("$defs", {})
    for schema in schemas.values():  # an optional field that may not be null says nothing of a null default
        for prop in schema.get("properties", {}).values():
            if "default" in prop and prop["default"] is None and not _nullable(prop):
                del prop["default"]
    return schemas


def _meta() -> dict[str, Schema]:
    return {"/openapi.json": {"get": {
        "operationId": "openapi", "summary": "This description", "tags": ["meta"], "security": [],
        "responses": {"200": answer({"type": "object", "required": ["openapi", "paths"]},
                                    "The OpenAPI document")}}}}


def spec() -> dict[str, Any]:
    """The whole document (a fresh copy: callers may change it)."""
    paths: dict[str, Schema] = {**_meta()}
    models: list[type[BaseModel]] = [Error]
    for part_paths, part_models in _parts.values():
        paths.update(part_paths)
        models.extend(part_models)
    return deepcopy({
        "openapi": "3.1.0",
        "info": {
            "title": "Futures client-service SMS platform",
            "version": "1",
            "description": "The client book, tier reviews, broadcasts and follow-ups. Every call but this "
                           "description needs `Authorization: Bearer TOKEN` (`flask --app app users token "
                           "EMAIL`); what a token may do follows its owner's roles. Errors are "
                           '`{"error": message, "code": stable code, "field": name or null}`, the message in '
                           "the language of `Accept-Language` (English by default).",
        },
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearer": []}],
        "tags": [{"name": n} for n in [*_parts, "meta"]],
        "paths": paths,
        "components": {
            "schemas": _components(models),
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer",
                                           "description": "An API token from `flask users token EMAIL`"}},
        },
    })


@bp.get("/openapi.json")
def openapi_json():
    """The description itself: public, so that tools can read it without a token."""
    return jsonify(spec())
