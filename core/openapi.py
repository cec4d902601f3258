"""The OpenAPI 3.1 description of the JSON API under /api/v1, served at /api/v1/openapi.json.

Written by hand from the endpoints' code (clients/api.py, broadcast/api.py, followups/api.py and their
serialisers) and checked against the running app by tests/core/test_openapi.py (schemathesis): every answer
of every operation must be a documented status with a body of the documented shape. A change to an
endpoint's input or output belongs here too, or that test fails.
"""
from __future__ import annotations

from copy import deepcopy
from typing import Any

from flask import Blueprint, jsonify

from broadcast.models import BroadcastKind, BroadcastState, Direction, MessagePurpose, MessageState
from clients.models import ReviewState
from clients.tiers import Tier
from followups.classify import Category, Priority
from followups.models import EventKind, Queue, Status

bp = Blueprint("openapi", __name__, url_prefix="/api/v1")

Schema = dict[str, Any]

TIERS = [t.value for t in Tier]
ID_MAX = 999_999_999  # ids in paths have at most nine digits (core.http.DatabaseId); longer is no route


def _values(enum_cls) -> list[str]:
    return [member.value for member in enum_cls]


def ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def nullable(schema: Schema) -> Schema:
    return {"anyOf": [schema, {"type": "null"}]}


def obj(properties: dict[str, Schema], required: list[str] | None = None, strict: bool = True) -> Schema:
    """An object with these properties; `required` defaults to all of them (answers always carry every key)."""
    out: Schema = {"type": "object", "properties": properties,
                   "required": list(properties) if required is None else required}
    if strict:
        out["additionalProperties"] = False
    return out


STRING = {"type": "string"}
INTEGER = {"type": "integer"}
BOOLEAN = {"type": "boolean"}
DATETIME = {"type": "string", "format": "date-time"}
DATE = {"type": "string", "format": "date"}
COUNTS = {"type": "object", "additionalProperties": {"type": "integer", "minimum": 0}}


# ---- reusable answers ----------------------------------------------------------------------------------

ERROR_DESCRIPTIONS = {
    "400": "The request is wrong; `error` says what, `field` names the input",
    "401": "No valid API token (Authorization: Bearer ...)",
    "403": "The token's owner may not do this",
    "404": "No such object",
    "409": "The object is not in a state that allows this",
    "413": "The request body is larger than MAX_UPLOAD_MB",
}


def _error_response(code: str) -> Schema:
    return {"description": ERROR_DESCRIPTIONS[code], "content": {"application/json": {"schema": ref("Error")}}}


def _json(schema: Schema, description: str) -> Schema:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def operation(summary: str, responses: dict[str, Schema], *, errors: tuple[str, ...], op_id: str,
              tags: list[str], parameters: list[Schema] | None = None, body: Schema | None = None,
              body_required: bool = True) -> Schema:
    """One operation: its success answers, then the error shape for each status in `errors` (401 and, for
    operations with a body, 413 are always possible and always listed)."""
    codes = set(errors) | {"401"}
    if body is not None:
        codes |= {"400", "413"}
    out: Schema = {"operationId": op_id, "summary": summary, "tags": tags,
                   "responses": {**responses, **{c: _error_response(c) for c in sorted(codes)}}}
    if parameters:
        out["parameters"] = parameters
    if body is not None:
        out["requestBody"] = {"required": body_required, "content": body}
    return out


def path_id(name: str, description: str) -> Schema:
    return {"name": name, "in": "path", "required": True, "description": description,
            "schema": {"type": "integer", "minimum": 1, "maximum": ID_MAX}}


def query(name: str, schema: Schema, description: str) -> Schema:
    return {"name": name, "in": "query", "required": False, "description": description, "schema": schema}


def json_body(schema: Schema) -> Schema:
    return {"application/json": {"schema": schema}}


PAGE = query("page", {"type": "integer", "minimum": 1, "maximum": 1_000_000}, "Page number, from 1")


def per_page(maximum: int) -> Schema:
    return query("per_page", {"type": "integer", "minimum": 1, "maximum": maximum},
                 f"Items per page (default 50; more than {maximum} is read as {maximum})")


# ---- components -----------------------------------------------------------------------------------------

TIER = {"type": "string", "enum": TIERS}

AUDIENCE = obj({
    "tiers": {"type": "array", "items": {"type": "string", "enum": TIERS + ["vip"]},
              "description": "Tier codes; `vip` means diamond, platinum and gold"},
    "branches": {"type": "array", "items": STRING, "description": "营业部"},
    "staff_codes": {"type": "array", "items": STRING, "description": "客户经理编号: their clients"},
    "include": {"type": "array", "items": STRING, "description": "Account numbers added whatever the filters"},
    "exclude": {"type": "array", "items": STRING, "description": "Account numbers never sent to"},
    "include_dormant": BOOLEAN,
}, required=[])

SUGGESTION_IN = obj({
    "contract": nullable({"type": "string", "maxLength": 12}),
    "direction": nullable({"type": "string", "enum": _values(Direction) + [""]}),
    "entry": nullable({"type": "string", "maxLength": 40}),
    "stop": nullable({"type": "string", "maxLength": 20}),
    "targets": {"type": "array", "items": {"type": ["string", "number"]}, "maxItems": 5},
    "position_pct": nullable({"type": "number", "minimum": 0, "maximum": 100}),
    "valid_until": nullable({"type": "string", "description": "ISO 8601; without an offset, read in TIMEZONE"}),
    "risk_statement": nullable({"type": "string", "maxLength": 1000}),
}, required=[])

BROADCAST_FIELDS: dict[str, Schema] = {
    "kind": {"type": "string", "enum": _values(BroadcastKind)},
    "title": {"type": "string", "minLength": 1, "maxLength": 200},
    "body": {"type": "string", "minLength": 1, "maxLength": 2000,
             "description": "The SMS template with {placeholders} such as {name} and {note_link}"},
    "note_markdown": nullable({"type": "string", "maxLength": 50_000}),
    "language": {"type": "string", "enum": ["zh", "en"]},
    "audience": AUDIENCE,
    "suggestion": nullable(SUGGESTION_IN),
}

PROBLEM = obj({"field": nullable(STRING), "error": STRING})

SCHEMAS: dict[str, Schema] = {
    "Error": obj({"error": STRING, "field": nullable(STRING)}),
    "NotCompliant": obj({"error": STRING, "field": nullable(STRING), "problems": {"type": "array", "items": PROBLEM}}),
    "Client": obj({
        "account_no": STRING, "name": STRING, "mobile": nullable(STRING), "branch": nullable(STRING),
        "staff_code": nullable(STRING), "tier": nullable(TIER), "opted_out": BOOLEAN,
        "opened_on": nullable(DATE), "last_trade_on": nullable(DATE), "last_position_on": nullable(DATE),
    }),
    "ClientPage": obj({"items": {"type": "array", "items": ref("Client")}, "total": INTEGER, "page": INTEGER,
                       "pages": INTEGER}),
    "Consent": obj({"opted_out": BOOLEAN, "how": {"type": "string", "minLength": 1, "maxLength": 120,
                                                  "description": "How the client asked, e.g. by phone"}},
                   required=["opted_out", "how"]),
    "ImportResult": obj({
        "id": INTEGER, "created": INTEGER, "updated": INTEGER, "unchanged": INTEGER,
        "rejected": {"type": "array", "items": obj({"line": INTEGER, "account_no": nullable(STRING),
                                                    "reason": STRING})},
    }),
    "Upload": obj({"file": {"type": "string", "format": "binary"}}, required=["file"]),
    "ReviewRequest": obj({"quarter": {"type": "string", "pattern": r"^\d{4}Q[1-4]$", "examples": ["2026Q2"]}}),
    "Review": obj({
        "id": INTEGER, "quarter": STRING, "state": {"type": "string", "enum": _values(ReviewState)},
        "created_at": DATETIME, "published_at": nullable(DATETIME),
        "summary": obj({"tiers": COUNTS, "changes": COUNTS}),
        "changes_total": INTEGER, "changes_page": INTEGER, "changes_pages": INTEGER,
        "changes": {"type": "array", "items": obj({
            "account_no": STRING, "from": nullable(TIER), "to": TIER,
            "change": {"type": "string", "enum": ["new", "up", "down", "same"]},
            "rule": STRING, "avg_equity": STRING, "avg_commission": STRING})},
    }),
    "BroadcastNew": obj(BROADCAST_FIELDS, required=["kind", "title", "body"]),
    "BroadcastChanges": obj(BROADCAST_FIELDS, required=[]),
    "Broadcast": obj({
        "id": INTEGER, "kind": BROADCAST_FIELDS["kind"],
        "state": {"type": "string", "enum": _values(BroadcastState)},
        "title": STRING, "body": STRING, "note_markdown": nullable(STRING),
        "language": {"type": "string", "enum": ["zh", "en"]}, "audience": AUDIENCE,
        "suggestion": nullable(obj({
            "contract": nullable(STRING), "direction": nullable({"type": "string", "enum": _values(Direction)}),
            "entry": nullable(STRING), "stop": nullable(STRING), "targets": {"type": "array", "items": STRING},
            "position_pct": nullable({"type": "number"}), "valid_until": nullable(DATETIME),
            "risk_statement": nullable(STRING)})),
        "author": nullable(STRING), "created_at": nullable(DATETIME), "updated_at": nullable(DATETIME),
        "submitted_at": nullable(DATETIME), "decided_by": nullable(STRING), "decided_at": nullable(DATETIME),
        "decision_comment": nullable(STRING), "send_at": nullable(DATETIME), "started_at": nullable(DATETIME),
        "finished_at": nullable(DATETIME), "recurrence": nullable(STRING), "parent_id": nullable(INTEGER),
        "problems": {"type": "array", "items": PROBLEM,
                     "description": "What compliance still objects to (on create, get and patch)"},
    }, required=["id", "kind", "state", "title", "body", "note_markdown", "language", "audience", "suggestion",
                 "author", "created_at", "updated_at", "submitted_at", "decided_by", "decided_at",
                 "decision_comment", "send_at", "started_at", "finished_at", "recurrence", "parent_id"]),
    "Decision": obj({"comment": {"type": "string", "maxLength": 2000,
                                 "description": "Why (required to reject)"},
                     "seen_submitted_at": {"type": "string",
                                           "description": "The submitted_at the approver read"}}, required=[]),
    "Schedule": obj({
        "send_at": nullable({"type": "string", "description": "ISO 8601; null sends now; without an offset, "
                                                              "read in TIMEZONE"}),
        "recurrence": nullable({"type": "string", "examples": ["trading_days@08:30"]}),
        "confirm_duplicate": BOOLEAN,
    }, required=[]),
    "Preview": obj({
        "text": STRING, "sample_account_no": nullable(STRING), "characters": INTEGER,
        "encoding": {"type": "string", "enum": ["GSM-7", "UCS-2"]}, "units": INTEGER, "segments": INTEGER,
        "max_segments": INTEGER, "exact": BOOLEAN, "recipients": INTEGER, "by_tier": COUNTS,
        "total_segments": INTEGER, "cost": {"type": "string", "pattern": r"^\d+\.\d{2}$"},
        "send_seconds": nullable({"type": "number"}),
    }),
    "Report": obj({
        "id": INTEGER, "state": {"type": "string", "enum": _values(BroadcastState)},
        "replies": COUNTS, "recipients": INTEGER,
        "counts": obj({s: INTEGER for s in _values(MessageState)}),
        "handed_over": INTEGER, "opted_out": INTEGER,
        "by_tier": {"type": "object", "additionalProperties": COUNTS},
        "errors": COUNTS, "note_readers": INTEGER, "note_opens": INTEGER, "segments": INTEGER,
        "send_at": nullable(DATETIME), "started_at": nullable(DATETIME), "finished_at": nullable(DATETIME),
    }),
    "FollowUp": obj({
        "id": INTEGER, "queue": {"type": "string", "enum": _values(Queue)},
        "category": {"type": "string", "enum": _values(Category)}, "rule": STRING,
        "priority": {"type": "string", "enum": _values(Priority)},
        "status": {"type": "string", "enum": _values(Status)},
        "client": nullable(obj({"account_no": STRING, "name": STRING, "tier": nullable(TIER)})),
        "from": STRING, "assignee": nullable(STRING), "claimed": BOOLEAN, "broadcast_id": nullable(INTEGER),
        "due_at": nullable(DATETIME), "suggest_opt_out": BOOLEAN, "created_at": nullable(DATETIME),
        "first_response_at": nullable(DATETIME), "resolved_at": nullable(DATETIME),
        "messages": {"type": "array", "items": {"oneOf": [
            obj({"direction": {"const": "in"}, "body": STRING, "at": nullable(DATETIME)}),
            obj({"direction": {"const": "out"}, "body": STRING, "at": nullable(DATETIME),
                 "state": {"type": "string", "enum": _values(MessageState)},
                 "purpose": {"type": "string", "enum": _values(MessagePurpose)}}),
        ]}},
        "notes": {"type": "array", "items": obj({"body": nullable(STRING), "by": nullable(STRING),
                                                 "at": nullable(DATETIME)})},
        "events": {"type": "array", "items": obj({
            "kind": {"type": "string", "enum": [k for k in _values(EventKind) if k != "note"]},
            "body": nullable(STRING), "by": nullable(STRING), "at": nullable(DATETIME),
            "detail": {"type": "object"}})},
    }),
    "FollowUpPage": obj({"items": {"type": "array", "items": ref("FollowUp")}, "total": INTEGER,
                         "page": INTEGER, "pages": INTEGER}),
    "Assign": obj({"user": {"type": "string", "format": "email", "description": "The staff member's email"}}),
    "Reroute": obj({"queue": {"type": "string", "enum": [Queue.research.value, Queue.business.value]},
                    "reason": {"type": "string", "minLength": 1, "maxLength": 4000}}),
    "Note": obj({"body": {"type": "string", "minLength": 1, "maxLength": 4000}}),
    "Reply": obj({"body": {"type": "string", "minLength": 1, "maxLength": 670}}),
    "CategoryChange": obj({"category": {"type": "string", "enum": _values(Category)}}),
}


# ---- paths --------------------------------------------------------------------------------------------

def _paths() -> dict[str, Schema]:
    account = {"name": "account_no", "in": "path", "required": True, "description": "资金账号",
               "schema": {"type": "string", "minLength": 1, "maxLength": 64}, "example": "83001"}
    broadcast_id = path_id("broadcast_id", "The broadcast's id")
    item_id = path_id("item_id", "The follow-up's id")
    review_id = path_id("review_id", "The tier review's id")
    upload = {
        "multipart/form-data": {"schema": ref("Upload")},
        "text/csv": {"schema": {"type": "string"}},
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {
            "schema": {"type": "string", "format": "binary"}},
    }
    broadcast = _json(ref("Broadcast"), "The broadcast")
    item = _json(ref("FollowUp"), "The follow-up with its whole conversation")

    def control(op_id: str, summary: str, errors=("403", "404", "409")) -> Schema:
        return {"post": operation(summary, {"200": broadcast}, errors=errors, op_id=op_id, tags=["broadcasts"],
                                  parameters=[broadcast_id])}

    def act(op_id: str, summary: str, body: str | None = None, status: str = "200",
            method: str = "post") -> Schema:
        return {method: operation(summary, {status: item}, errors=("400", "403", "404"), op_id=op_id,
                                  tags=["followups"], parameters=[item_id],
                                  body=json_body(ref(body)) if body else None)}

    return {
        "/openapi.json": {"get": {
            "operationId": "openapi", "summary": "This description", "tags": ["meta"], "security": [],
            "responses": {"200": _json({"type": "object", "required": ["openapi", "paths"]},
                                       "The OpenAPI document")}}},
        "/clients": {"get": operation(
            "The client book, filtered, one page at a time (business staff: only their own clients)",
            {"200": _json(ref("ClientPage"), "One page of clients")}, errors=("400", "403"),
            op_id="listClients", tags=["clients"], parameters=[
                query("tier", {"type": "string", "enum": TIERS + ["vip", "none"]},
                      "A tier, `vip` (the three VIP tiers) or `none` (not reviewed yet)"),
                query("branch", STRING, "营业部"),
                query("staff_code", STRING, "客户经理编号"),
                query("q", STRING, "Part of a name, an account number, or four or more digits of a mobile"),
                PAGE, per_page(500)])},
        "/clients/{account_no}": {"get": operation(
            "One client", {"200": _json(ref("Client"), "The client")}, errors=("403", "404"),
            op_id="getClient", tags=["clients"], parameters=[account])},
        "/clients/{account_no}/consent": {"post": operation(
            "Record an opt-out or opt-in the client gave by phone or in writing",
            {"200": _json(ref("Client"), "The client")}, errors=("400", "403", "404"), op_id="setConsent",
            tags=["clients"], parameters=[account], body=json_body(ref("Consent")))},
        "/clients/import": {"post": operation(
            "Import (upsert) clients from a settlement export (CSV in UTF-8 or GBK, or XLSX)",
            {"200": _json(ref("ImportResult"), "What was created, updated, and rejected with reasons")},
            errors=("400", "403"), op_id="importClients", tags=["clients"], body=upload)},
        "/clients/import-monthly": {"post": operation(
            "Import (upsert) monthly figures by account and month",
            {"200": _json(ref("ImportResult"), "What was created, updated, and rejected with reasons")},
            errors=("400", "403"), op_id="importMonthly", tags=["clients"], body=upload)},
        "/tier-reviews": {"post": operation(
            "Draft the tier review of an ended quarter for every client",
            {"201": _json(ref("Review"), "The draft review")}, errors=("400", "403"), op_id="createReview",
            tags=["tiers"], body=json_body(ref("ReviewRequest")))},
        "/tier-reviews/{review_id}": {"get": operation(
            "A review with its summary and one page of its changes",
            {"200": _json(ref("Review"), "The review")}, errors=("400", "403", "404"), op_id="getReview",
            tags=["tiers"], parameters=[review_id, PAGE])},
        "/tier-reviews/{review_id}/publish": {"post": operation(
            "Publish a draft review: its tiers become the clients' tiers",
            {"200": _json(ref("Review"), "The published review")}, errors=("403", "404", "409"),
            op_id="publishReview", tags=["tiers"], parameters=[review_id])},
        "/broadcasts": {"post": operation(
            "Draft a broadcast", {"201": _json(ref("Broadcast"), "The draft, with what compliance objects to")},
            errors=("400", "403"), op_id="createBroadcast", tags=["broadcasts"],
            body=json_body(ref("BroadcastNew")))},
        "/broadcasts/{broadcast_id}": {
            "get": operation("A broadcast", {"200": broadcast}, errors=("403", "404"), op_id="getBroadcast",
                             tags=["broadcasts"], parameters=[broadcast_id]),
            "patch": operation("Edit a broadcast's content (a submitted or approved one goes back to draft)",
                               {"200": broadcast}, errors=("400", "403", "404", "409"), op_id="updateBroadcast",
                               tags=["broadcasts"], parameters=[broadcast_id],
                               body=json_body(ref("BroadcastChanges")))},
        "/broadcasts/{broadcast_id}/preview": {"get": operation(
            "The text for a sample recipient and the figures for the whole audience",
            {"200": _json(ref("Preview"), "The preview")}, errors=("403", "404"), op_id="previewBroadcast",
            tags=["broadcasts"], parameters=[broadcast_id])},
        "/broadcasts/{broadcast_id}/submit": {"post": operation(
            "Submit a draft for approval",
            {"200": broadcast, "400": _json(ref("NotCompliant"), "Compliance objects; every problem is listed")},
            errors=("403", "404", "409"), op_id="submitBroadcast", tags=["broadcasts"],
            parameters=[broadcast_id])},
        "/broadcasts/{broadcast_id}/approve": {"post": operation(
            "Approve a submitted broadcast (never one's own)", {"200": broadcast},
            errors=("400", "403", "404", "409"), op_id="approveBroadcast", tags=["broadcasts"],
            parameters=[broadcast_id], body=json_body(ref("Decision")), body_required=False)},
        "/broadcasts/{broadcast_id}/reject": {"post": operation(
            "Reject a submitted broadcast, saying why", {"200": broadcast},
            errors=("400", "403", "404", "409"), op_id="rejectBroadcast", tags=["broadcasts"],
            parameters=[broadcast_id], body=json_body(ref("Decision")))},
        "/broadcasts/{broadcast_id}/schedule": {"post": operation(
            "Schedule an approved broadcast: now, at a time, or (commentaries) on every trading day",
            {"200": broadcast}, errors=("400", "403", "404", "409"), op_id="scheduleBroadcast",
            tags=["broadcasts"], parameters=[broadcast_id], body=json_body(ref("Schedule")), body_required=False)},
        "/broadcasts/{broadcast_id}/pause": control("pauseBroadcast", "Pause a scheduled or sending broadcast"),
        "/broadcasts/{broadcast_id}/resume": control("resumeBroadcast", "Resume a paused broadcast"),
        "/broadcasts/{broadcast_id}/cancel": control("cancelBroadcast", "Cancel a broadcast not yet finished"),
        "/broadcasts/{broadcast_id}/report": {"get": operation(
            "Delivery states, errors, replies and note readers, counted over the recipients",
            {"200": _json(ref("Report"), "The report")}, errors=("403", "404"), op_id="broadcastReport",
            tags=["broadcasts"], parameters=[broadcast_id])},
        "/followups": {"get": operation(
            "The follow-ups the token's owner may see, nearest deadline first",
            {"200": _json(ref("FollowUpPage"), "One page of follow-ups")}, errors=("400", "403"),
            op_id="listFollowUps", tags=["followups"], parameters=[
                query("queue", {"type": "string", "enum": _values(Queue)}, "One queue"),
                query("status", {"type": "string", "enum": ["open", "answered", "resolved", "all"]},
                      "open (the default: open or answered), answered, resolved or all"),
                query("assignee", {"type": "string", "enum": ["me", "none"]}, "Mine, or the pool's"),
                query("category", {"type": "string", "enum": _values(Category)}, "One category"),
                PAGE, per_page(200)])},
        "/followups/{item_id}": {"get": operation(
            "One follow-up with its whole conversation", {"200": item}, errors=("403", "404"),
            op_id="getFollowUp", tags=["followups"], parameters=[item_id])},
        "/followups/{item_id}/claim": act("claimFollowUp", "Take the item"),
        "/followups/{item_id}/assign": act("assignFollowUp", "Give the item to a staff member", "Assign"),
        "/followups/{item_id}/reroute": act("rerouteFollowUp", "Hand the item to the other queue, saying why",
                                            "Reroute"),
        "/followups/{item_id}/notes": act("noteFollowUp", "Add an internal note (never sent)", "Note", "201"),
        "/followups/{item_id}/reply": act("replyFollowUp", "Answer the client by SMS", "Reply", "201"),
        "/followups/{item_id}/resolve": act("resolveFollowUp", "Mark the item resolved"),
        "/followups/{item_id}/reopen": act("reopenFollowUp", "Reopen a resolved item"),
        "/followups/{item_id}/category": act("categoriseFollowUp", "Correct the category (which reroutes the item)",
                                             "CategoryChange", method="patch"),
    }


def spec() -> dict[str, Any]:
    """The whole document (a fresh copy: callers may change it)."""
    return deepcopy({
        "openapi": "3.1.0",
        "info": {
            "title": "Futures client-service SMS platform",
            "version": "1",
            "description": "The client book, tier reviews, broadcasts and follow-ups. Every call but this "
                           "description needs `Authorization: Bearer TOKEN` (`flask --app app users token "
                           "EMAIL`); what a token may do follows its owner's roles. Errors are "
                           '`{"error": message, "field": name or null}`.',
        },
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearer": []}],
        "tags": [{"name": n} for n in ("clients", "tiers", "broadcasts", "followups", "meta")],
        "paths": _paths(),
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer",
                                           "description": "An API token from `flask users token EMAIL`"}},
        },
    })


@bp.get("/openapi.json")
def openapi_json():
    """The description itself: public, so that tools can read it without a token."""
    return jsonify(spec())
