"""One way to fail: a service raises a ServiceError, and the one handler of core.http answers it (JSON under
/api/ in the caller's language, a flash and a redirect on pages) and rolls back; requests that do not fit the
declared schemas are refused before any service runs; reads write nothing."""
from __future__ import annotations

import subprocess
import sys

import pytest
import sqlalchemy as sa
from flask import Blueprint, g

from app import create_app
from core.errors import N_, ServiceError
from core.extensions import csrf, db
from followups.models import CannedAnswer
from staff import tokens
from staff.models import ApiToken
from tests.conftest import _ContextPerRequest


class Refused(ServiceError):
    domain = "test"


@pytest.fixture
def book(app, make_staff, api_token):
    own = make_staff("business_staff", email="own@example.com", staff_code="S001")
    chief = make_staff("chief_analyst", email="chief@example.com")
    return {"own": api_token(own), "chief": api_token(chief)}


def test_an_api_refusal_names_error_code_and_field_in_the_callers_language(client, book):
    url = "/api/v1/clients?staff_code=S999"
    english = client.get(url, headers=book["own"])
    assert english.status_code == 403
    assert english.json == {"error": "you see only your own clients; this filter asks for someone else's",
                            "code": "client.not_yours", "field": "staff_code"}
    chinese = client.get(url, headers={**book["own"], "Accept-Language": "zh-CN,zh;q=0.9"})
    assert chinese.json["error"] == "您只能查看自己的客户；此筛选条件涉及他人的客户"
    missing = client.get("/api/v1/broadcasts/999", headers={**book["chief"], "Accept-Language": "zh"})
    assert missing.status_code == 404 and missing.json == {"error": "没有群发 999", "code": "broadcast.not_found",
                                                           "field": None}


def test_the_api_ignores_the_language_a_page_session_chose(client, auth, book):
    auth.login("chief@example.com")
    auth.post("/language/zh")
    assert "客户" in client.get("/").get_data(as_text=True)
    answer = client.get("/api/v1/broadcasts/999", headers=book["chief"])  # the session cookie goes along
    assert answer.json["error"] == "there is no broadcast 999"


@pytest.mark.parametrize("body, field, message", [
    ({"kind": "daily_comment", "title": 5, "body": "b"}, "title", "title must be text"),
    ({"kind": "gossip", "title": "t", "body": "b"}, "kind", "unknown kind gossip; use one of"),
    ({"kind": "daily_comment", "title": "", "body": "b"}, "title", "title is required"),
    ({"kind": "daily_comment", "title": "t", "body": "b", "colour": "red"}, "colour", "colour is not a known field"),
    ({"kind": "daily_comment", "title": "t", "body": "b", "audience": {"include_dormant": "yes"}},
     "audience.include_dormant", "audience.include_dormant must be true or false"),
    ({"kind": "daily_comment", "title": "t", "body": "b", "suggestion": {"position_pct": [20]}},
     "suggestion.position_pct", "suggestion.position_pct"),
    ([1, 2], None, "send a JSON object"),
])
def test_a_body_that_does_not_fit_its_schema_is_refused_naming_the_first_bad_field(client, book, body, field,
                                                                                  message):
    response = client.post("/api/v1/broadcasts", headers=book["chief"], json=body)
    assert response.status_code == 400 and response.json["code"] == "request.invalid"
    assert response.json["field"] == field and response.json["error"].startswith(message)


def test_a_position_out_of_range_is_refused_by_the_service_the_form_also_uses(client, book):
    """The range of a position is checked in one place, the service, for the API and the compose form alike."""
    response = client.post("/api/v1/broadcasts", headers=book["chief"], json={
        "kind": "trade_suggestion", "title": "t", "body": "b", "suggestion": {"position_pct": 101}})
    assert response.status_code == 400 and response.json["field"] == "suggestion.position_pct"
    assert response.json["error"] == "the position must be between 0 and 100 percent"


def test_query_parameters_are_checked_against_their_schema(client, book):
    for query, field in (("page=x", "page"), ("per_page=0", "per_page"), ("status=late", "status")):
        response = client.get(f"/api/v1/followups?{query}", headers=book["chief"])
        assert response.status_code == 400 and response.json["field"] == field, query
    assert client.get("/api/v1/followups?per_page=5000", headers=book["chief"]).status_code == 200  # read as 200


@pytest.fixture
def probe(app, make_staff):
    """An app with one more page, which writes a row and then refuses (or not): what the handler does."""
    other = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
                        "SECRET_KEY": "test-secret", "RATELIMIT_ENABLED": False, "QUIET_HOURS": ""})
    bp = Blueprint("probe", __name__)
    csrf.exempt(bp)

    @bp.route("/probe", methods=["GET", "POST"])
    def page():
        db.session.add(CannedAnswer(title="written before the refusal", body="x"))
        db.session.flush()
        raise Refused(N_("%(name)s is required"), field="name", name="name")

    @bp.post("/probe/only-post")
    def only_post():
        raise Refused(N_("%(name)s is required"), name="name")

    other.register_blueprint(bp)
    other.test_client_class = _ContextPerRequest
    yield other.test_client()
    with other.app_context():
        db.engine.dispose()


def test_a_refused_form_goes_back_to_a_same_site_referrer_only(probe):
    back = probe.post("/probe", headers={"Referer": "http://localhost/followups?queue=research"})
    assert back.status_code == 302 and back.headers["Location"] == "/followups?queue=research"
    elsewhere = probe.post("/probe", headers={"Referer": "https://evil.example.com/x"})
    assert elsewhere.headers["Location"] == "/probe"  # the form's own page
    assert probe.post("/probe/only-post").headers["Location"] == "/"  # no page to go back to
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CannedAnswer).where(
        CannedAnswer.title == "written before the refusal")) == 0  # rolled back by the handler


def test_a_refused_read_shows_the_error_page_with_the_message(probe):
    page = probe.get("/probe", headers={"Accept-Language": "en"})
    assert page.status_code == 400 and "name is required" in page.get_data(as_text=True)


def test_a_token_lookup_only_reads_and_its_use_is_written_after_the_request(app, client, book):
    with app.test_request_context(headers=book["chief"]):
        assert tokens.user_from_request() is not None
        assert not db.session.dirty and g.token_used
    db.session.rollback()
    assert db.session.scalars(sa.select(ApiToken.last_used_at)).all() == [None, None]
    assert client.get("/api/v1/followups", headers=book["chief"]).status_code == 200
    db.session.expire_all()
    used = [at for at in db.session.scalars(sa.select(ApiToken.last_used_at)) if at is not None]
    assert len(used) == 1  # the chief's token, written after the answer


def test_canned_answers_come_from_the_migration_and_reading_them_writes_nothing(app, client, auth, make_staff):
    make_staff("admin", email="admin@example.com")
    auth.login("admin@example.com")
    writes: list[str] = []

    def count(conn, cursor, statement, *args):
        if statement.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE")) and "canned" in statement:
            writes.append(statement)

    assert db.session.scalar(sa.select(sa.func.count()).select_from(CannedAnswer)) == 8
    sa.event.listen(db.engine, "before_cursor_execute", count)
    try:
        page = client.get("/followups/canned")
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", count)
    assert page.status_code == 200 and "逐日盯市" in page.get_data(as_text=True) and writes == []


def test_core_imports_no_package_above_it():
    code = ("import sys, core.openapi, core.roles, core.http, core.schemas; "
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'staff', 'clients', 'sms', 'messaging', "
            "'broadcast', 'followups'}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
