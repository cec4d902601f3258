"""The JSON API: tokens, roles, the client shapes, imports and reviews."""
from __future__ import annotations

import io
from datetime import date

import pytest

from clients.appropriateness import RiskTolerance
from clients.models import Client
from clients.tiers import Tier
from core.extensions import db


@pytest.fixture
def book(app, make_staff, make_client):
    """Two business staff with one client each, and an admin."""
    mine = make_staff("business_staff", email="mine@example.com", staff_code="S01")
    other = make_staff("business_staff", email="other@example.com", staff_code="S02", branch="北京朝阳营业部")
    make_client("81001", name="甲", owner_id=mine.id, tier=Tier.gold, risk_tolerance=RiskTolerance.C3,
                risk_assessed_on=date(2026, 3, 2))
    make_client("81002", name="乙", owner_id=other.id, branch="北京朝阳营业部", tier=Tier.diamond)
    make_client("81003", name="丙", owner_id=None, tier=None)
    make_client("81004", name="Li Lei", owner_id=None, tier=Tier.effective, branch="深圳福田营业部")
    return {"mine": mine, "other": other, "admin": make_staff("admin", email="admin@example.com")}


def test_no_or_bad_token_is_401_with_json_error(client, book):
    for headers in ({}, {"Authorization": "Bearer nope"}, {"Authorization": "Basic abc"}):
        response = client.get("/api/v1/clients", headers=headers)
        assert response.status_code == 401
        assert response.json == {"error": response.json["error"], "code": "auth.token_required", "field": None}
        assert response.json["error"]


def test_session_cookie_is_not_an_api_credential(client, auth, book):
    auth.login("admin@example.com")
    assert client.get("/api/v1/clients").status_code == 401


def test_client_json_shape_and_list(client, book, api_token):
    response = client.get("/api/v1/clients", headers=api_token(book["admin"]))
    assert response.status_code == 200
    body = response.json
    assert (body["total"], body["page"], body["pages"]) == (4, 1, 1)
    first = body["items"][0]
    assert first == {"account_no": "81001", "name": "甲", "mobile": first["mobile"], "branch": "上海浦东营业部",
                     "mobile_masked": False, "staff_code": "S01", "tier": "gold", "opted_out": False,
                     "opened_on": "2020-01-01", "last_trade_on": None, "last_position_on": None,
                     "investor_type": "ordinary", "investor_type_name": "普通投资者", "risk_tolerance": "C3",
                     "risk_tolerance_name": "稳健型", "risk_assessed_on": "2026-03-02"}
    assert first["mobile"].startswith("+86")


@pytest.mark.parametrize("query, accounts", [
    ("tier=gold", ["81001"]),
    ("tier=vip", ["81001", "81002"]),
    ("tier=none", ["81003"]),
    ("branch=北京朝阳营业部", ["81002"]),
    ("staff_code=S01", ["81001"]),
    ("q=乙", ["81002"]),
    ("q=81003", ["81003"]),
    ("q=%25", []),
    ("q=li lei", ["81004"]),
    ("q=' OR 1=1 --", []),
])
def test_filters(client, book, api_token, query, accounts):
    body = client.get(f"/api/v1/clients?{query}", headers=api_token(book["admin"])).json
    assert [c["account_no"] for c in body["items"]] == accounts


def test_unknown_tier_is_400_naming_the_field(client, book, api_token):
    response = client.get("/api/v1/clients?tier=bronze", headers=api_token(book["admin"]))
    assert response.status_code == 400 and response.json["field"] == "tier"


def test_paging(client, book, api_token):
    body = client.get("/api/v1/clients?per_page=2&page=2", headers=api_token(book["admin"])).json
    assert (body["total"], body["page"], body["pages"], len(body["items"])) == (4, 2, 2, 2)


def test_business_staff_see_only_their_own_clients(client, book, api_token):
    headers = api_token(book["mine"])
    body = client.get("/api/v1/clients", headers=headers).json
    assert [c["account_no"] for c in body["items"]] == ["81001"]
    assert client.get("/api/v1/clients/81001", headers=headers).status_code == 200
    # another's client and no client answer alike (404, same words), so staff cannot probe which accounts exist
    denied = client.get("/api/v1/clients/81002", headers=headers)
    missing = client.get("/api/v1/clients/81009", headers=headers)
    assert denied.status_code == missing.status_code == 404
    assert (denied.json["code"], denied.json["error"].replace("81002", "X")) == \
        (missing.json["code"], missing.json["error"].replace("81009", "X"))
    assert client.get("/api/v1/clients/81003", headers=headers).status_code == 404


def test_researcher_may_not_read_the_client_book(client, book, make_staff, api_token):
    headers = api_token(make_staff("researcher"))
    assert client.get("/api/v1/clients", headers=headers).status_code == 403
    assert client.get("/api/v1/clients/81001", headers=headers).status_code == 403


def test_import_endpoints(client, book, api_token):
    headers = api_token(book["admin"])
    data = "资金账号,客户名称,手机号码\n82001,新客户,13812345678\n82002,坏,123\n".encode("gbk")
    response = client.post("/api/v1/clients/import", headers=headers,
                           data={"file": (io.BytesIO(data), "c.csv")}, content_type="multipart/form-data")
    assert response.status_code == 200
    body = response.json
    assert (body["created"], body["updated"], body["unchanged"]) == (1, 0, 0)
    assert body["rejected"] == [{"line": 3, "account_no": "82002", "reason": body["rejected"][0]["reason"]}]
    monthly = b"account_no,month,avg_equity,commission,month_end_equity\n82001,2026-07,100,1,100\n"
    response = client.post("/api/v1/clients/import-monthly", headers={**headers, "Content-Type": "text/csv"},
                           data=monthly)
    assert response.status_code == 200 and response.json["created"] == 1
    unreadable = client.post("/api/v1/clients/import", headers=headers,
                             data={"file": (io.BytesIO(b"x,y\n1,2\n"), "c.csv")}, content_type="multipart/form-data")
    assert unreadable.status_code == 400 and unreadable.json["field"] == "file"
    assert client.post("/api/v1/clients/import", headers=headers, json={}).status_code == 400


def test_only_admin_imports(client, book, api_token, make_staff):
    for staff in (book["mine"], make_staff("chief_analyst"), make_staff("approver")):
        response = client.post("/api/v1/clients/import", headers=api_token(staff),
                               data={"file": (io.BytesIO(b"account_no,name\n1,a\n"), "c.csv")},
                               content_type="multipart/form-data")
        assert response.status_code == 403


def test_review_and_publish_through_the_api(client, book, api_token, add_figures, make_staff):
    clients = {c.account_no: c for c in db.session.scalars(db.select(Client))}
    for month in ("2026-07", "2026-08", "2026-09"):
        add_figures(clients["81003"], month, avg_equity="600000")
    headers = api_token(book["admin"])
    assert client.post("/api/v1/tier-reviews", headers=headers, json={"quarter": "2026Q5"}).status_code == 400
    assert client.post("/api/v1/tier-reviews", headers=headers, json={}).json["field"] == "quarter"
    created = client.post("/api/v1/tier-reviews", headers=headers, json={"quarter": "2026Q3"})
    assert created.status_code == 201
    review = created.json
    assert review["state"] == "draft" and review["quarter"] == "2026Q3"
    changes = {c["account_no"]: c for c in review["changes"]}
    assert changes["81003"]["from"] is None and changes["81003"]["to"] == "quality"
    assert changes["81001"]["change"] == "down"  # gold with no figures becomes ordinary
    assert client.get("/api/v1/clients/81003", headers=headers).json["tier"] is None  # draft changes nothing

    researcher = api_token(make_staff("researcher"))
    assert client.post(f"/api/v1/tier-reviews/{review['id']}/publish", headers=researcher).status_code == 403
    published = client.post(f"/api/v1/tier-reviews/{review['id']}/publish", headers=headers)
    assert published.status_code == 200 and published.json["state"] == "published"
    assert client.get("/api/v1/clients/81003", headers=headers).json["tier"] == "quality"
    again = client.post(f"/api/v1/tier-reviews/{review['id']}/publish", headers=headers)
    assert again.status_code == 409
    assert client.post("/api/v1/tier-reviews/9999/publish", headers=headers).status_code == 404


def test_older_quarter_cannot_be_published_over_a_newer_one(client, book, api_token):
    headers = api_token(book["admin"])
    old = client.post("/api/v1/tier-reviews", headers=headers, json={"quarter": "2026Q2"}).json
    new = client.post("/api/v1/tier-reviews", headers=headers, json={"quarter": "2026Q3"}).json
    assert client.post(f"/api/v1/tier-reviews/{new['id']}/publish", headers=headers).status_code == 200
    response = client.post(f"/api/v1/tier-reviews/{old['id']}/publish", headers=headers)
    assert response.status_code == 409 and "2026Q3" in response.json["error"]


def test_unknown_api_path_is_json_404(client, book, api_token):
    response = client.get("/api/v1/nothing", headers=api_token(book["admin"]))
    assert response.status_code == 404 and "error" in response.json


def test_review_changes_are_paged(client, book, api_token, monkeypatch):
    import clients.api

    monkeypatch.setattr(clients.api, "CHANGES_PER_PAGE", 2)
    headers = api_token(book["admin"])
    review = client.post("/api/v1/tier-reviews", headers=headers, json={"quarter": "2026Q3"}).json
    assert (review["changes_total"], review["changes_pages"], len(review["changes"])) == (4, 2, 2)
    second = client.get(f"/api/v1/tier-reviews/{review['id']}?page=2", headers=headers).json
    accounts = [c["account_no"] for c in review["changes"] + second["changes"]]
    assert accounts == ["81001", "81002", "81003", "81004"]


def test_a_quarter_that_has_not_ended_cannot_be_reviewed(client, book, api_token):
    response = client.post("/api/v1/tier-reviews", headers=api_token(book["admin"]), json={"quarter": "2099Q1"})
    assert response.status_code == 400 and response.json["field"] == "quarter"


def test_consent_through_the_api(client, book, api_token):
    headers = api_token(book["mine"])
    assert client.post("/api/v1/clients/81001/consent", headers=headers, json={"opted_out": True}).status_code == 400
    response = client.post("/api/v1/clients/81001/consent", headers=headers,
                           json={"opted_out": True, "how": "phone call"})
    assert response.status_code == 200 and response.json["opted_out"] is True
    assert client.post("/api/v1/clients/81002/consent", headers=headers,
                       json={"opted_out": True, "how": "x"}).status_code == 404


def test_a_bad_quarter_is_refused_by_the_service_with_its_own_message_and_code(app, client, make_staff, api_token):
    headers = {**api_token(make_staff("admin")), "Accept-Language": "en"}
    response = client.post("/api/v1/tier-reviews", headers=headers, json={"quarter": "2026Q5"})
    assert response.status_code == 400
    body = response.get_json()
    assert body["code"] == "tier_review.not_a_quarter" and body["field"] == "quarter" and "2026Q5" in body["error"]
