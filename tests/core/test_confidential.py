"""The client book stays with those who may see it (issue 10): previews for a made-up client and counts for
everyone else, no probing of accounts, masked mobile numbers with an audited "show", and the other paths of
the same kind (follow-ups, the report, 403 against 404, search). Every test here failed before the fix."""
from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from clients import privacy
from clients.models import Client
from clients.tiers import Tier
from core.audit import AuditEntry
from core.extensions import db
from core.phones import mask_account, mask_mobile
from core.roles import Role

WANG_MOBILE = "+8617712344397"
BODY = "{name}您好，{staff_name}{staff_phone}提示：今日市场平稳。"
BROADCAST = {"kind": "daily_comment", "title": "日评", "body": BODY, "audience": {"tiers": ["gold"]}}


@pytest.fixture
def desk(app, make_staff, make_client):
    people = {role.value: make_staff(role.value, email=f"{role.value}@example.com") for role in Role}
    people["owner"] = make_staff("business_staff", email="owner@example.com", name="李经理", staff_code="S77")
    people["owner"].phone = "+8613911112222"
    db.session.commit()
    make_client("83001", name="王芳", mobile=WANG_MOBILE, owner_id=people["owner"].id, tier=Tier.gold)
    make_client("83002", name="赵六", mobile="+8613500001111", owner_id=None, tier=Tier.diamond)
    return people


@pytest.fixture
def sign_in(auth):
    def sign(email: str) -> None:
        if auth.token:
            auth.post("/logout")
        assert auth.login(email).status_code == 302
        auth.post("/language/en")
    return sign


def _chief_broadcast(desk, data=None):
    from flask import current_app

    from broadcast import service
    from broadcast.settings import Settings

    b = service.create_draft(db.session, dict(data or BROADCAST), desk["chief_analyst"],
                             Settings.from_config(current_app.config))
    db.session.commit()
    return b


REAL = ("王芳", "83001", "李经理", "13911112222", "Gold", "4397")


# ---- masking, the one rule ------------------------------------------------------------------------------

@pytest.mark.parametrize("number, shown", [
    ("+8617712344397", "177****4397"), ("+447911123456", "+44 791***3456"), ("10086", "***86"), (None, None)])
def test_mask_mobile_keeps_the_first_three_and_last_four(number, shown):
    assert mask_mobile(number) == shown


def test_mask_account_keeps_two_and_three():
    assert (mask_account("81000123"), mask_account("83001"), mask_account(None)) == ("81***123", "***01", None)


@pytest.mark.parametrize("who, sees", [("admin", True), ("owner", True), ("business_staff", False),
                                       ("chief_analyst", False), ("approver", False), ("researcher", False)])
def test_who_sees_a_mobile_whole(desk, who, sees):
    wang = db.session.scalar(sa.select(Client).where(Client.account_no == "83001"))
    assert privacy.may_see_mobile(desk[who], wang) is sees
    assert privacy.mobile_for(desk[who], wang) == (WANG_MOBILE if sees else "177****4397")


# ---- broadcasts: previews and listed accounts ---------------------------------------------------------

def test_a_researcher_previews_a_made_up_client_on_every_path(client, desk, api_token, sign_in):
    b = _chief_broadcast(desk)
    preview = client.get(f"/api/v1/broadcasts/{b.id}/preview", headers=api_token(desk["researcher"])).json
    assert "示例客户" in preview["text"] and preview["sample_made_up"] is True
    assert preview["sample_account_no"] is None and preview["recipients"] == 1 and preview["by_tier"] == {"gold": 1}
    assert not any(secret in str(preview) for secret in REAL)
    sign_in("researcher@example.com")
    page = client.get(f"/broadcasts/{b.id}").get_data(as_text=True)
    assert "示例客户" in page and not any(secret in page for secret in REAL[:4])


def test_a_researcher_cannot_read_the_length_of_a_name_from_the_segment_counts(client, desk, api_token, make_client):
    """With {name} and an audience of one, the longest text's segments would tell how long a client's name is."""
    from clients.models import Client

    db.session.get(Client, db.session.scalar(sa.select(Client.id).where(Client.account_no == "83001"))).name = "王" * 70
    db.session.commit()
    b = _chief_broadcast(desk)
    researcher = client.get(f"/api/v1/broadcasts/{b.id}/preview", headers=api_token(desk["researcher"])).json
    chief = client.get(f"/api/v1/broadcasts/{b.id}/preview", headers=api_token(desk["chief_analyst"])).json
    assert chief["max_segments"] == chief["segments"] > researcher["segments"]  # the real name is long
    assert researcher["max_segments"] == researcher["segments"]  # the made-up client's text, not the longest
    assert researcher["total_segments"] == researcher["segments"] * researcher["recipients"]


def _form(**extra):
    return {"kind": "daily_comment", "title": "日评", "body": BODY, "tiers": "gold", "language": "zh", **extra}


def test_live_preview_shows_a_researcher_counts_and_the_chief_analyst_the_first_recipient(client, desk, auth,
                                                                                           sign_in):
    sign_in("researcher@example.com")
    mine = auth.post("/broadcasts/live-preview", data=_form()).json
    assert mine["recipients"] == 1 and "示例客户" in mine["text"]
    assert not any(secret in str(mine) for secret in REAL)
    sign_in("chief_analyst@example.com")
    chief = auth.post("/broadcasts/live-preview", data=_form()).json
    assert "王芳" in chief["text"] and "李经理" in chief["text"] and chief["sample_account_no"] == "83001"


@pytest.mark.parametrize("field", ["include", "exclude"])
def test_a_researcher_cannot_list_accounts_and_cannot_tell_which_exist(client, desk, auth, api_token, sign_in,
                                                                        field):
    headers = api_token(desk["researcher"])
    answers = []
    for account in ("83002", "89999"):  # one exists, one does not
        data = {**BROADCAST, "audience": {"tiers": ["gold"], field: [account]}}
        response = client.post("/api/v1/broadcasts", headers=headers, json=data)
        answers.append((response.status_code, response.json["code"], response.json["field"], response.json["error"]))
    assert answers[0] == answers[1] == (403, "broadcast.accounts_not_visible", f"audience.{field}", answers[0][3])
    sign_in("researcher@example.com")
    live = [auth.post("/broadcasts/live-preview", data=_form(**{field: account})).json
            for account in ("83002", "89999")]
    assert live[0] == live[1] and live[0]["code"] == "broadcast.accounts_not_visible" and "recipients" not in live[0]
    assert auth.post("/broadcasts/new", data=_form(**{field: "83002"})).status_code == 403


def test_the_lists_the_chief_analyst_stored_stay_hidden_and_kept_when_a_researcher_edits(client, desk, auth,
                                                                                        api_token, sign_in):
    from broadcast.models import Broadcast

    researcher = api_token(desk["researcher"])
    created = client.post("/api/v1/broadcasts", headers=researcher, json=BROADCAST).json
    chief = api_token(desk["chief_analyst"])
    patched = client.patch(f"/api/v1/broadcasts/{created['id']}", headers=chief,
                           json={"audience": {"tiers": ["gold"], "include": ["83002"]},
                                 "version": created.get("version", 1)})
    assert patched.status_code == 200 and patched.json["audience"]["include"] == ["83002"]
    seen = client.get(f"/api/v1/broadcasts/{created['id']}", headers=researcher).json
    assert seen["audience"]["include"] == [] and seen["audience"]["include_count"] == 1
    audience = {k: v for k, v in seen["audience"].items() if not k.endswith("_count")}  # as read: lists empty
    edited = client.patch(f"/api/v1/broadcasts/{created['id']}", headers=researcher,
                          json={"title": "改", "audience": audience, "version": seen.get("version", 1)})
    assert edited.status_code == 200, edited.json
    db.session.expire_all()
    assert db.session.get(Broadcast, created["id"]).audience["include"] == ["83002"]
    sign_in("researcher@example.com")
    page = client.get(f"/broadcasts/{created['id']}/edit").get_data(as_text=True)
    assert "83002" not in page and "赵六" not in page


# ---- the client book: masked numbers, "show", 404 alike, search ---------------------------------------

def test_client_pages_and_api_mask_the_number_except_for_the_owner_and_admins(client, desk, api_token, sign_in):
    for who, whole in (("chief_analyst", False), ("approver", False), ("owner", True), ("admin", True)):
        body = client.get("/api/v1/clients/83001", headers=api_token(desk[who])).json
        assert (body["mobile"], body["mobile_masked"]) == ((WANG_MOBILE, False) if whole else ("177****4397", True))
        listed = client.get("/api/v1/clients?q=王芳", headers=api_token(desk[who])).json["items"][0]
        assert listed["mobile"] == body["mobile"]
    sign_in("chief_analyst@example.com")
    for path in ("/clients", "/clients/83001"):
        page = client.get(path).get_data(as_text=True)
        assert "177****4397" in page and "17712344397" not in page


def test_show_reveals_one_number_audited_and_not_cached(client, desk, api_token, auth, sign_in):
    headers = api_token(desk["chief_analyst"])
    response = client.post("/api/v1/clients/83001/mobile", headers=headers)
    assert response.status_code == 200 and response.json == {"account_no": "83001", "mobile": WANG_MOBILE}
    assert response.headers["Cache-Control"] == "no-store"
    sign_in("approver@example.com")
    page = auth.post("/clients/83001/mobile")
    assert page.status_code == 200 and WANG_MOBILE in page.get_data(as_text=True)
    assert page.headers["Cache-Control"] == "no-store"
    entries = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "client.mobile_shown")
                                 .order_by(AuditEntry.id)).all()
    assert [(e.actor_id, e.object_id) for e in entries] == [(desk["chief_analyst"].id, "83001"),
                                                            (desk["approver"].id, "83001")]
    assert client.post("/api/v1/clients/83001/mobile", headers=api_token(desk["researcher"])).status_code == 403


def test_another_staff_members_client_answers_like_no_client(client, desk, api_token, sign_in):
    headers = api_token(desk["business_staff"])
    answers = [client.get(f"/api/v1/clients/{account}", headers=headers) for account in ("83001", "89999")]
    assert [a.status_code for a in answers] == [404, 404]
    assert answers[0].json["code"] == answers[1].json["code"]
    assert answers[0].json["error"].replace("83001", "X") == answers[1].json["error"].replace("89999", "X")
    assert client.post("/api/v1/clients/83001/mobile", headers=headers).status_code == 404
    sign_in("business_staff@example.com")
    assert client.get("/clients/83001").status_code == client.get("/clients/89999").status_code == 404


def test_searching_by_digits_does_not_tell_a_masked_number(client, desk, api_token):
    # the chief analyst sees 177****4397: a search by the hidden digits must not confirm a guess
    found = client.get("/api/v1/clients?q=1771234", headers=api_token(desk["chief_analyst"])).json["items"]
    assert found == []
    found = client.get("/api/v1/clients?q=1771234", headers=api_token(desk["admin"])).json["items"]
    assert [c["account_no"] for c in found] == ["83001"]


# ---- follow-ups ------------------------------------------------------------------------------------------

@pytest.fixture
def items(app, desk):
    from core import clock
    from followups import intake
    from followups.settings import FollowUpSettings
    from messaging import inbound

    desk["researcher"].on_duty = True
    settings = FollowUpSettings.from_config(app.config)
    ids = {}
    for n, (name, number, body) in enumerate([("research", WANG_MOBILE, "螺纹止损设多少？"),
                                               ("unknown", "+8613999990000", "你们是哪家公司"),
                                               ("pool", "+8613500001111", "银期转账怎么操作")]):
        message = inbound.store(db.session, inbound.parse_webhook(
            {"MessageSid": f"SM{n:032d}", "From": number, "To": "x", "Body": body}), clock.now())
        ids[name] = intake.route_or_triage(db.session, message.id, settings, clock.now()).item.id
    db.session.commit()
    return ids


def test_a_researcher_answering_sees_the_name_and_question_not_the_number(client, desk, items, api_token,
                                                                          sign_in):
    item = client.get(f"/api/v1/followups/{items['research']}", headers=api_token(desk["researcher"])).json
    assert item["client"]["name"] == "王芳" and item["from"] == "177****4397" and item["from_masked"]
    assert item["client"]["account_no"] != "83001" and item["client"]["tier"] is None
    listed = client.get("/api/v1/followups", headers=api_token(desk["researcher"])).json["items"]
    assert all("17712344397" not in str(i) for i in listed)
    sign_in("researcher@example.com")
    for path in (f"/followups/{items['research']}", f"/followups/{items['research']}/thread", "/followups",
                 "/followups/rows"):
        page = client.get(path).get_data(as_text=True)
        assert "17712344397" not in page and "83001" not in page, path
    assert "王芳" in client.get(f"/followups/{items['research']}").get_data(as_text=True)
    assert client.post(f"/api/v1/followups/{items['research']}/mobile",
                       headers=api_token(desk["researcher"])).status_code == 403


def test_the_chief_analyst_sees_the_number_masked_shows_it_audited_and_admins_see_it_whole(client, desk, items, api_token):
    owner = client.get(f"/api/v1/followups/{items['research']}", headers=api_token(desk["chief_analyst"])).json
    assert owner["from"] == "177****4397"
    shown = client.post(f"/api/v1/followups/{items['research']}/mobile", headers=api_token(desk["chief_analyst"]))
    assert shown.status_code == 200 and shown.json["from"] == WANG_MOBILE
    assert shown.headers["Cache-Control"] == "no-store"
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "client.mobile_shown"))
    assert (entry.actor_id, entry.object_id, entry.detail) == (desk["chief_analyst"].id, "83001",
                                                               {"via": f"followup {items['research']}"})
    unknown = client.get(f"/api/v1/followups/{items['unknown']}", headers=api_token(desk["approver"])).json
    assert unknown["from"] == "139****0000"
    whole = client.get(f"/api/v1/followups/{items['unknown']}", headers=api_token(desk["admin"])).json
    assert whole["from"] == "+8613999990000"


def test_business_staff_taking_a_branch_pool_item_may_show_its_number(client, desk, items, api_token):
    # 赵六 has no business staff of their own: the branch's business staff take the item and call back
    headers = api_token(desk["business_staff"])
    item = client.get(f"/api/v1/followups/{items['pool']}", headers=headers).json
    assert (item["queue"], item["from"], item["client"]["tier"]) == ("business", "135****1111", None)
    shown = client.post(f"/api/v1/followups/{items['pool']}/mobile", headers=headers)
    assert shown.status_code == 200 and shown.json["from"] == "+8613500001111"
    assert client.post("/api/v1/clients/83002/mobile", headers=headers).status_code == 404  # not in their book


def test_pages_with_show_carry_no_inline_script(client, desk, items, sign_in):
    sign_in("chief_analyst@example.com")
    for path in ("/clients/83001", f"/followups/{items['research']}"):
        page = client.get(path).get_data(as_text=True)
        assert "Show" in page and "onclick" not in page
        assert not re.search(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", page), path


# ---- the delivery report -----------------------------------------------------------------------------

def test_the_report_csv_names_recipients_but_masks_their_numbers(client, desk, sign_in):
    from messaging.models import MessagePurpose, MessageState, OutboundMessage

    b = _chief_broadcast(desk)
    wang = db.session.scalar(sa.select(Client).where(Client.account_no == "83001"))
    db.session.add(OutboundMessage(broadcast_id=b.id, client_id=wang.id, to=WANG_MOBILE, body="x", segments=1,
                                   state=MessageState.delivered, purpose=MessagePurpose.broadcast, tier="gold"))
    db.session.commit()
    sign_in("chief_analyst@example.com")
    csv = client.get(f"/broadcasts/{b.id}/report.csv").get_data(as_text=True)
    assert "王芳" in csv and "177****4397" in csv and WANG_MOBILE not in csv


def test_the_approver_sees_the_audience_as_chosen_and_a_researcher_its_counts(client, desk, sign_in):
    """What is approved is the text and the audience: the page shows the filter itself, accounts listed only
    to those who see the book."""
    b = _chief_broadcast(desk, {**BROADCAST, "audience": {"tiers": ["gold"], "branches": ["上海浦东营业部"],
                                                          "include": ["83002"], "exclude": ["83001"]}})
    sign_in("approver@example.com")
    page = client.get(f"/broadcasts/{b.id}").get_data(as_text=True)
    chosen = page[page.index('id="audience-chosen"'):]
    chosen = chosen[:chosen.index("</dl>")]
    assert "上海浦东营业部" in chosen and "83002" in chosen and "83001" in chosen and "Gold" in chosen
    sign_in("researcher@example.com")
    page = client.get(f"/broadcasts/{b.id}").get_data(as_text=True)
    chosen = page[page.index('id="audience-chosen"'):]
    chosen = chosen[:chosen.index("</dl>")]
    assert "上海浦东营业部" in chosen and "83002" not in chosen and "83001" not in chosen
    assert "Accounts added" in chosen and "<dd>1</dd>" in chosen
