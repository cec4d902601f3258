"""Broadcasts as the analyst and the approver meet them: compose page, live preview, detail, API."""
from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from broadcast.models import Broadcast, BroadcastState
from clients.tiers import Tier
from core.extensions import db

TOMORROW = (datetime.now() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
FORM = {"kind": "trade_suggestion", "title": "螺纹钢交易建议", "language": "zh",
        "body": "{name}您好：{contract}建议{direction}，入场{entry}，止损{stop}，目标{target}。{note_link}",
        "note_markdown": "## 理由\n库存下降。<script>alert('x')</script><img src=x onerror=alert(1)>",
        "contract": "rb2510", "direction": "long", "entry": "3150-3170", "stop": "3098", "targets": "3260, 3320",
        "position_pct": "20", "valid_until": TOMORROW, "risk_statement": "期货交易有风险，入市需谨慎。",
        "tiers": ["diamond", "platinum", "gold"]}


def text(response) -> str:
    return response.get_data(as_text=True)


def shown_version(page: str) -> str:
    """The broadcast's version as the page's forms carry it (what the person saw)."""
    return re.search(r'name="version" value="(\d+)"', page).group(1)


@pytest.fixture
def desk(make_staff, make_client):
    make_client("1", name="王芳", tier=Tier.gold)
    make_client("2", tier=Tier.diamond)
    make_client("3", tier=Tier.effective)
    return {"chief": make_staff("chief_analyst", email="chief@example.com"),
            "approver": make_staff("approver", email="ok@example.com"),
            "both": make_staff("chief_analyst", "approver", email="both@example.com")}


def test_compose_submit_reject_fix_approve_through_the_pages(client, auth, desk):
    auth.login("chief@example.com")
    assert "name=\"contract\"" in text(client.get("/broadcasts/new"))
    saved = auth.post("/broadcasts/new", FORM)
    assert saved.status_code == 302
    b = db.session.scalar(sa.select(Broadcast))
    page = text(client.get(saved.headers["Location"]))
    assert "王芳您好：rb2510建议做多" in page and "拒收请回复R" in page
    assert "<script>alert" not in page and "onerror" not in page and "<h2>理由</h2>" in page
    assert auth.post(f"/broadcasts/{b.id}/submit").status_code == 302
    auth.post("/logout")

    auth.login("ok@example.com")
    page = text(client.get(f"/broadcasts/{b.id}"))
    assert f"/broadcasts/{b.id}/approve" in page
    auth.post(f"/broadcasts/{b.id}/reject", {"comment": "止损请再放宽", "version": shown_version(page)})
    db.session.expire_all()
    assert db.session.get(Broadcast, b.id).state == BroadcastState.rejected
    auth.post("/logout")

    auth.login("chief@example.com")
    assert "止损请再放宽" in text(client.get(f"/broadcasts/{b.id}"))
    assert auth.post(f"/broadcasts/{b.id}/edit", dict(FORM, stop="3080")).status_code == 302
    auth.post(f"/broadcasts/{b.id}/submit")
    auth.post("/logout")

    auth.login("ok@example.com")
    refused = auth.post(f"/broadcasts/{b.id}/approve")  # a decision names the text it is about
    assert refused.status_code == 302 and 'class="flash error"' in text(client.get(refused.headers["Location"]))
    db.session.expire_all()
    assert db.session.get(Broadcast, b.id).state == BroadcastState.submitted
    auth.post(f"/broadcasts/{b.id}/approve", {"version": shown_version(text(client.get(f"/broadcasts/{b.id}")))})
    db.session.expire_all()
    done = db.session.get(Broadcast, b.id)
    assert (done.state, done.stop) == (BroadcastState.approved, "3080")


def test_compose_errors_keep_what_was_typed(client, auth, desk):
    auth.login("chief@example.com")
    response = auth.post("/broadcasts/new", dict(FORM, body="{nmae}您好，今日观点"))
    page = text(response)
    assert response.status_code == 400 and "nmae" in page and "螺纹钢交易建议" in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Broadcast)) == 0


def test_live_preview_counts_as_the_analyst_types(client, auth, desk):
    auth.login("chief@example.com")
    data = auth.post("/broadcasts/live-preview", FORM).json
    assert data["recipients"] == 2 and data["by_tier"] == {"gold": 1, "diamond": 1}
    assert data["encoding"] == "UCS-2" and data["segments"] == 2 and data["problems"] == []
    longer = auth.post("/broadcasts/live-preview", dict(FORM, body=FORM["body"] + "详" * 400)).json
    assert longer["segments"] > 6 and [p["field"] for p in longer["problems"]] == ["body"]
    bad = auth.post("/broadcasts/live-preview", dict(FORM, body="{oops}")).json
    assert "oops" in bad["error"]
    risky = auth.post("/broadcasts/live-preview", dict(FORM, position_pct="100", stop="")).json
    assert {p["field"] for p in risky["problems"]} == {"position_pct", "stop"}
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Broadcast)) == 0


def test_the_author_cannot_approve_through_the_page_even_with_both_roles(client, auth, desk):
    auth.login("both@example.com")
    auth.post("/broadcasts/new", FORM)
    b = db.session.scalar(sa.select(Broadcast))
    auth.post(f"/broadcasts/{b.id}/submit")
    assert f"/broadcasts/{b.id}/approve" not in text(client.get(f"/broadcasts/{b.id}"))
    assert auth.post(f"/broadcasts/{b.id}/approve").status_code == 403
    db.session.expire_all()
    assert db.session.get(Broadcast, b.id).state == BroadcastState.submitted


def test_api_round_trip(client, desk, api_token):
    chief, approver = api_token(desk["chief"]), api_token(desk["approver"])
    payload = {"kind": "trade_suggestion", "title": "螺纹钢", "body": FORM["body"], "note_markdown": "理由",
               "suggestion": {"contract": "rb2510", "direction": "long", "entry": "3150-3170", "stop": "3098",
                              "targets": ["3260", "3320"], "position_pct": 40,
                              "valid_until": "2030-11-26T15:00:00+08:00", "risk_statement": "有风险"},
               "audience": {"tiers": ["diamond", "platinum", "gold"], "branches": [], "staff_codes": [],
                            "include": [], "exclude": [], "include_dormant": False}}
    created = client.post("/api/v1/broadcasts", headers=chief, json=payload)
    assert created.status_code == 201
    body = created.json
    assert body["state"] == "draft" and body["suggestion"]["valid_until"] == "2030-11-26T07:00:00+00:00"
    assert [p["field"] for p in body["problems"]] == ["position_pct"]
    refused = client.post(f"/api/v1/broadcasts/{body['id']}/submit", headers=chief)
    assert refused.status_code == 400 and refused.json["field"] == "position_pct"
    patched = client.patch(f"/api/v1/broadcasts/{body['id']}", headers=chief,
                           json={"suggestion": {"position_pct": 20}})
    assert patched.status_code == 200 and patched.json["problems"] == []
    preview = client.get(f"/api/v1/broadcasts/{body['id']}/preview", headers=chief).json
    assert {k: preview[k] for k in ("encoding", "segments", "recipients", "total_segments")} == \
        {"encoding": "UCS-2", "segments": 2, "recipients": 2, "total_segments": 4}
    submitted = client.post(f"/api/v1/broadcasts/{body['id']}/submit", headers=chief).json
    assert submitted["state"] == "submitted"
    seen = {"seen_version": submitted["version"]}
    assert client.post(f"/api/v1/broadcasts/{body['id']}/reject", headers=approver, json=seen).status_code == 400
    approved = client.post(f"/api/v1/broadcasts/{body['id']}/approve", headers=approver, json=seen)
    assert approved.json["state"] == "approved" and approved.json["decided_by"] == "ok@example.com"
    again = client.post(f"/api/v1/broadcasts/{body['id']}/approve", headers=approver,
                        json={"seen_version": approved.json["version"]})
    assert again.status_code == 409
    assert client.get("/api/v1/broadcasts/999", headers=chief).status_code == 404


def test_api_refuses_bad_input_naming_the_field(client, desk, api_token):
    chief = api_token(desk["chief"])
    for payload, field in (({"kind": "daily_comment", "title": "x", "body": "{x}"}, "body"),
                           ({"title": "x", "body": "y"}, "kind"),
                           ({"kind": "daily_comment", "title": "x", "body": "y", "audience": {"tiers": ["x"]}},
                            "audience.tiers")):
        response = client.post("/api/v1/broadcasts", headers=chief, json=payload)
        assert response.status_code == 400 and response.json["field"] == field
    assert client.post("/api/v1/broadcasts", headers=chief, data="nope").status_code == 400


def test_the_api_takes_targets_and_position_as_the_form_does_and_refuses_a_sixth_target(app, client, make_staff,
                                                                                       api_token):
    """The API and the compose form share one check: "3800，3850" and "20%" are read alike, and a sixth
    target is refused rather than silently dropped."""
    headers = api_token(make_staff("chief_analyst"))
    base = {"kind": "trade_suggestion", "title": "螺纹", "body": "{name}您好", "audience": {"tiers": ["gold"]}}
    made = client.post("/api/v1/broadcasts", headers=headers, json={
        **base, "suggestion": {"targets": "3800，3850", "position_pct": "20%"}})
    assert made.status_code == 201, made.get_json()
    assert made.get_json()["suggestion"]["targets"] == ["3800", "3850"]
    refused = client.post("/api/v1/broadcasts", headers=headers, json={
        **base, "suggestion": {"targets": ["1", "2", "3", "4", "5", "6"]}})
    assert refused.status_code == 400
    assert refused.get_json()["field"] == "suggestion.targets"
