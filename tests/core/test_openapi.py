"""The OpenAPI description matches the API it describes: schemathesis generates requests for every operation
from /api/v1/openapi.json (valid ones and, within each operation, invalid ones) and checks each answer:
never a 5xx, always a documented status, the documented content type and a body of the documented shape.

The token belongs to a staff member holding every role, so that authorisation hides no operation; a few
clients, a tier review, broadcasts in several states and follow-ups exist so that generated ids find
something, and a third of the examples start from a request known to succeed (ANCHORS), so that every
operation is seen succeeding, not only refusing. Deterministic (the same examples every run) and bounded
(MAX_EXAMPLES per operation, each operation from freshly seeded data).

schemathesis' own pytest plugin (`schemathesis.pytest.from_fixture`) does not run under pytest 9 (it reads
`Function._nodeid`), so its Python API drives Hypothesis here instead: one test per operation.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core import NOT_SET
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

# each domain's schemas module registers its part of the API with core.openapi when it is imported (the app's
# api blueprints import them); OPERATIONS below is read before any app exists
from broadcast import schemas as _broadcast_schemas  # noqa: F401
from clients import schemas as _clients_schemas  # noqa: F401
from clients.tiers import Tier
from core.calendar import calendar_for
from core.extensions import db
from core.openapi import spec
from core.roles import Role
from followups import schemas as _followups_schemas  # noqa: F401
from messaging import inbound

# per operation; OPENAPI_EXAMPLES=500 searches deeper (locally, when changing the API)
MAX_EXAMPLES = int(os.environ.get("OPENAPI_EXAMPLES", "20"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
          response_schema_conformance]


class PerRequestContext:
    """The app as a server runs it: each request in an app context of its own (its own `g` and session)."""

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        with self.app.app_context():
            return list(self.app(environ, start_response))


@dataclass
class World:
    headers: dict[str, str]
    ids: dict[str, object]


@pytest.fixture
def api_world(app, make_staff, make_client, add_figures, api_token) -> World:
    """Someone with every role and their token, and something of everything to read and act on."""
    from broadcast import scheduling
    from broadcast import service as broadcast_service
    from broadcast.settings import Settings
    from clients.reviews import create_review
    from core import clock as app_clock
    from followups import intake
    from followups.models import FollowUp, Status
    from followups.settings import FollowUpSettings

    everyone = make_staff(*[r.value for r in Role], email="all@example.com", staff_code="S900",
                          branch="上海浦东营业部")
    chief = make_staff("chief_analyst", email="chief@example.com")
    approver = make_staff("approver", email="ok@example.com")
    everyone.on_duty = True
    clients = [make_client("83001", name="王芳", owner_id=everyone.id, tier=Tier.gold, mobile="+8613800000001"),
               make_client("83002", name="李强", tier=Tier.diamond, mobile="+8613800000002"),
               make_client("83003", name="张伟", tier=None, mobile="+8613800000003")]
    for c in clients:
        add_figures(c, "2026-04", "2000000", "20000", "2000000")
    ids: dict[str, object] = {"review": create_review(db.session, "2026Q2").id}
    settings = Settings.from_config(app.config)
    comment = {"kind": "daily_comment", "title": "日评", "body": "{name}您好，今日市场平稳。",
               "audience": {"tiers": ["gold", "diamond"]}}
    for state in ("draft", "submitted", "approved", "scheduled", "paused"):
        b = broadcast_service.create_draft(db.session, dict(comment), chief, settings)
        if state != "draft":
            broadcast_service.submit(db.session, b, chief, settings)
        if state in ("approved", "scheduled", "paused"):
            broadcast_service.approve(db.session, b, approver)
        if state in ("scheduled", "paused"):
            scheduling.schedule(db.session, b, chief, None, settings, app_clock.now(), calendar_for({"QUIET_HOURS": ""}), confirm_duplicate=True)
        if state == "paused":
            scheduling.pause(db.session, b, chief)
        ids[state] = b.id
    db.session.commit()
    follow = FollowUpSettings.from_config(app.config)
    for n, (name, number, text) in enumerate([("research", "+8613800000001", "螺纹止损设多少？"),
                                               ("business", "+8613800000002", "银期转账怎么操作"),
                                               ("triage", "+8613900000009", "你好"),
                                               ("resolved", "+8613800000003", "密码忘了")]):
        message = inbound.store(db.session, inbound.parse_webhook(
            {"MessageSid": f"SM{n:032d}", "From": number, "To": "x", "Body": text}), app_clock.now())
        ids[name] = intake.route_or_triage(db.session, message.id, follow, app_clock.now()).item.id
    resolved = db.session.get(FollowUp, ids["resolved"])
    resolved.status, resolved.resolved_at = Status.resolved, app_clock.now()
    db.session.commit()
    return World(api_token(everyone), ids)


@pytest.fixture
def api_schema(app):
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", PerRequestContext(app))


OPERATIONS = [(method.upper(), path) for path, item in spec()["paths"].items() for method in item]

# A request of each operation that succeeds on the seeded data: the object (by its name in World.ids) and a
# body. A third of the examples start from it, with the body kept or generated; the rest are generated freely.
CSV = "text/csv"
ANCHORS: dict[tuple[str, str], dict] = {
    ("GET", "/clients/{account_no}"): {"account_no": "83001"},
    ("POST", "/clients/{account_no}/consent"): {"account_no": "83002",
                                                "body": {"opted_out": True, "how": "by phone"}},
    ("POST", "/clients/import"): {"media_type": CSV, "body": "account_no,name,mobile\n83009,新客户,13800000009\n"},
    ("POST", "/clients/import-monthly"): {
        "media_type": CSV,
        "body": "account_no,month,avg_equity,commission,month_end_equity\n83001,2026-05,1000000,10000,1000000\n"},
    ("POST", "/tier-reviews"): {"body": {"quarter": "2026Q1"}},
    ("GET", "/tier-reviews/{review_id}"): {"review_id": "review"},
    ("POST", "/tier-reviews/{review_id}/publish"): {"review_id": "review"},
    ("POST", "/broadcasts"): {"body": {"kind": "daily_comment", "title": "日评", "body": "{name}您好。",
                                       "audience": {"tiers": ["gold"]}}},
    ("GET", "/broadcasts/{broadcast_id}"): {"broadcast_id": "draft"},
    ("PATCH", "/broadcasts/{broadcast_id}"): {"broadcast_id": "draft", "body": {"title": "新标题"}},
    ("GET", "/broadcasts/{broadcast_id}/preview"): {"broadcast_id": "draft"},
    ("POST", "/broadcasts/{broadcast_id}/submit"): {"broadcast_id": "draft"},
    # a decision names the version read: the submitted broadcast was created (1) and submitted (2)
    ("POST", "/broadcasts/{broadcast_id}/approve"): {"broadcast_id": "submitted", "body": {"seen_version": 2}},
    ("POST", "/broadcasts/{broadcast_id}/reject"): {"broadcast_id": "submitted",
                                                    "body": {"comment": "改", "seen_version": 2}},
    ("POST", "/broadcasts/{broadcast_id}/schedule"): {"broadcast_id": "approved",
                                                      "body": {"send_at": None, "confirm_duplicate": True}},
    ("POST", "/broadcasts/{broadcast_id}/pause"): {"broadcast_id": "scheduled"},
    ("POST", "/broadcasts/{broadcast_id}/resume"): {"broadcast_id": "paused"},
    ("POST", "/broadcasts/{broadcast_id}/cancel"): {"broadcast_id": "scheduled"},
    ("GET", "/broadcasts/{broadcast_id}/report"): {"broadcast_id": "scheduled"},
    ("GET", "/followups/{item_id}"): {"item_id": "research"},
    ("POST", "/followups/{item_id}/mobile"): {"item_id": "research"},
    ("POST", "/followups/{item_id}/claim"): {"item_id": "business"},
    ("POST", "/followups/{item_id}/assign"): {"item_id": "research", "body": {"user": "all@example.com"}},
    ("POST", "/followups/{item_id}/reroute"): {"item_id": "research",
                                               "body": {"queue": "business", "reason": "开户问题"}},
    ("POST", "/followups/{item_id}/notes"): {"item_id": "business", "body": {"body": "电话回访过"}},
    ("POST", "/followups/{item_id}/reply"): {"item_id": "business", "body": {"body": "您好，请在交易软件中操作。"}},
    ("POST", "/followups/{item_id}/resolve"): {"item_id": "business"},
    ("POST", "/followups/{item_id}/reopen"): {"item_id": "resolved"},
    ("PATCH", "/followups/{item_id}/category"): {"item_id": "research", "body": {"category": "feedback"}},
}


def _strategies(operation, method: str, path: str, world: World) -> list:
    """Generated valid requests, generated invalid ones, and valid ones around the operation's anchor."""
    strategies = [operation.as_strategy(GenerationMode.POSITIVE)]
    try:
        strategies.append(operation.as_strategy(GenerationMode.NEGATIVE))
    except Exception:  # an operation with nothing to get wrong (no parameters, no body) has no negative cases
        pass
    anchor = dict(ANCHORS.get((method, path), {}))
    body = anchor.pop("body", NOT_SET)
    media_type = anchor.pop("media_type", None)
    params = {name: world.ids.get(value, value) for name, value in anchor.items()}
    if params or body is not NOT_SET:
        strategies.append(operation.as_strategy(GenerationMode.POSITIVE, path_parameters=params or None,
                                                body=body, media_type=media_type))
        if body is not NOT_SET and params:  # the right object with a generated body
            strategies.append(operation.as_strategy(GenerationMode.POSITIVE, path_parameters=params))
    return strategies


@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_every_operation_answers_as_described(api_schema, api_world, method, path):
    """Each operation from the same seeded data: no 5xx, documented statuses, content types and bodies."""
    operation = api_schema[path][method]
    statuses: set[int] = set()

    @given(case=st.one_of(*_strategies(operation, method, path, api_world)))
    @settings(max_examples=MAX_EXAMPLES, derandomize=True, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    def run(case):
        response = case.call_and_validate(headers=api_world.headers, checks=CHECKS)
        statuses.add(response.status_code)

    run()
    # the requests reached the operation itself, not only its validation and its 404s
    assert any(200 <= s < 300 for s in statuses), f"{method} {path} never succeeded: {sorted(statuses)}"


def test_the_description_is_public_and_names_every_api_route(app, client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    document = response.json
    assert document["openapi"].startswith("3.")
    described = {(method.upper(), "/api/v1" + path) for path, item in document["paths"].items() for method in item}
    routed = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1"):
            path = rule.rule.replace("<int:", "{").replace("<", "{").replace(">", "}")
            routed |= {(m, path) for m in rule.methods - {"HEAD", "OPTIONS"}}
    assert described == routed
    assert document["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
