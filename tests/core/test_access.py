"""Every endpoint checks the role. The table below is the intended access; a new endpoint must join it.

Each case is called as every role and as nobody, with a request that succeeds when the role is allowed,
so an allowed role must get exactly the success status and every other role exactly 403 (401 or a
redirect to the sign-in page for nobody).
"""
from __future__ import annotations

import io

import pytest
import sqlalchemy as sa

from clients.tiers import Tier
from core.roles import Role
from messaging import inbound
from tests.conftest import csrf_from

ALL = {r.value for r in Role}
BOOK = {"admin", "chief_analyst", "approver", "business_staff"}
REVIEWERS = {"admin", "approver"}
TIER_READERS = {"admin", "approver", "chief_analyst"}


def _file(text: str):
    return lambda: {"file": (io.BytesIO(text.encode()), "f.csv")}


CLIENT_FILE = _file("account_no,name\n83009,新\n")
MONTHLY_FILE = _file("account_no,month,avg_equity,commission,month_end_equity\n83001,2026-07,1,1,1\n")

# (endpoint, method, path, roles allowed, success status, body)
CASES = [
    ("core.home", "GET", "/", ALL, 200, None),
    ("core.audit_log", "GET", "/audit", REVIEWERS, 200, None),
    ("core.audit_export", "GET", "/audit.csv", REVIEWERS, 200, None),
    ("clients.client_list", "GET", "/clients", BOOK, 200, None),
    ("clients.client_detail", "GET", "/clients/83001", BOOK, 200, None),
    ("clients.client_consent", "POST", "/clients/83001/consent", {"admin", "business_staff"}, 302,
     lambda: {"how": "电话", "opted_out": "1"}),
    ("clients.import_page", "GET", "/imports", {"admin"}, 200, None),
    ("clients.import_page", "POST", "/imports", {"admin"}, 302,
     lambda: {"kind": "clients", "clients-file": CLIENT_FILE()["file"]}),
    ("clients.import_result", "GET", "/imports/{run}", {"admin"}, 200, None),
    ("clients.review_list", "GET", "/tier-reviews", TIER_READERS, 200, None),
    ("clients.review_list", "POST", "/tier-reviews", REVIEWERS, 302, lambda: {"quarter": "2026Q2"}),
    ("clients.review_detail", "GET", "/tier-reviews/{review}", TIER_READERS, 200, None),
    ("clients.review_publish", "POST", "/tier-reviews/{review}/publish", REVIEWERS, 302, lambda: {}),
    ("staff.staff_list", "GET", "/staff", {"admin"}, 200, None),
    ("staff.staff_list", "POST", "/staff", {"admin"}, 302,
     lambda: {"email": "new@example.com", "name": "新同事", "roles": "researcher", "password": "long-enough-1"}),
    ("staff.staff_active", "POST", "/staff/{someone}/active", {"admin"}, 302, lambda: {"active": "0"}),
    ("staff.staff_edit", "GET", "/staff/{someone}", {"admin"}, 200, None),
    ("staff.staff_edit", "POST", "/staff/{someone}", {"admin"}, 302,
     lambda: {"name": "研究员", "roles": "researcher", "qualification_no": "Z0012345"}),
    ("staff.staff_reset", "POST", "/staff/{someone}/reset-password", {"admin"}, 302, lambda: {}),
    ("staff.staff_test_mobile", "POST", "/staff/{someone}/test-mobile", {"admin"}, 302,
     lambda: {"test_mobile": "13900001111", "action": "save"}),
    # asked for by a second admin, for the researcher: the admin signed in here may confirm or cancel it
    ("staff.grant_confirm", "POST", "/staff/grants/{grant}/confirm", {"admin"}, 302, lambda: {}),
    ("staff.grant_cancel", "POST", "/staff/grants/{grant}/cancel", {"admin"}, 302, lambda: {}),
    # one's own account; the token belongs to the researcher: they and admins may revoke it
    ("staff.account", "GET", "/account", ALL, 200, None),
    ("staff.change_password", "POST", "/account/password", ALL, 302,
     lambda: {"current": "correct-horse-1", "new": "another-horse-2", "confirm": "another-horse-2"}),
    # new recovery codes are for those with a second factor (approvers and admins); a wrong code goes back
    ("staff.recovery_codes", "POST", "/account/recovery-codes", {"admin", "approver"}, 302,
     lambda: {"code": "not-a-code"}),
    ("staff.token_list", "GET", "/tokens", ALL, 200, None),
    ("staff.revoke_token", "POST", "/tokens/{token}/revoke", {"admin", "researcher"}, 302, lambda: {}),
    ("clients_api.list_clients", "GET", "/api/v1/clients", BOOK, 200, None),
    ("clients_api.get_client", "GET", "/api/v1/clients/83001", BOOK, 200, None),
    # "show" a masked number (audited): whoever may see the client (83001 is business_staff's own)
    ("clients.client_mobile", "POST", "/clients/83001/mobile", BOOK, 200, lambda: {}),
    ("clients_api.show_mobile", "POST", "/api/v1/clients/83001/mobile", BOOK, 200, None),
    ("clients_api.set_consent", "POST", "/api/v1/clients/83001/consent", {"admin", "business_staff"}, 200,
     lambda: {"opted_out": True, "how": "by phone"}),
    ("clients_api.import_clients", "POST", "/api/v1/clients/import", {"admin"}, 200, CLIENT_FILE),
    ("clients_api.import_monthly", "POST", "/api/v1/clients/import-monthly", {"admin"}, 200, MONTHLY_FILE),
    ("clients_api.create_review", "POST", "/api/v1/tier-reviews", REVIEWERS, 201, lambda: {"quarter": "2026Q2"}),
    ("clients_api.get_review", "GET", "/api/v1/tier-reviews/{review}", TIER_READERS, 200, None),
    ("clients_api.publish_review", "POST", "/api/v1/tier-reviews/{review}/publish", REVIEWERS, 200, None),
]
VIEWERS = {"chief_analyst", "researcher", "approver", "admin"}
DRAFTERS = {"chief_analyst", "researcher"}
COMMENT = {"kind": "daily_comment", "title": "日评", "body": "{name}您好，今日市场平稳。", "tiers": "gold"}
COMMENT_JSON = {"kind": "daily_comment", "title": "日评", "body": "{name}您好，今日市场平稳。",
                "audience": {"tiers": ["gold"]}}
CASES += [
    ("broadcast.broadcast_list", "GET", "/broadcasts", VIEWERS, 200, None),
    ("broadcast.compose", "GET", "/broadcasts/new", DRAFTERS, 200, None),
    ("broadcast.compose", "POST", "/broadcasts/new", DRAFTERS, 302, lambda: dict(COMMENT)),
    # the draft is the chief analyst's: a researcher edits only their own
    ("broadcast.edit", "GET", "/broadcasts/{draft}/edit", {"chief_analyst"}, 200, None),
    ("broadcast.edit", "POST", "/broadcasts/{draft}/edit", {"chief_analyst"}, 302, lambda: dict(COMMENT)),
    ("broadcast.live_preview", "POST", "/broadcasts/live-preview", DRAFTERS, 200, lambda: dict(COMMENT)),
    ("broadcast.detail", "GET", "/broadcasts/{draft}", VIEWERS, 200, None),
    # a clone is a new draft of the cloner's; a draft never submitted may be deleted by its author or the chief
    ("broadcast.clone", "POST", "/broadcasts/{submitted}/clone", DRAFTERS, 302, lambda: {}),
    ("broadcast.delete_draft", "POST", "/broadcasts/{draft}/delete", {"chief_analyst"}, 302, lambda: {}),
    ("broadcast.submit", "POST", "/broadcasts/{draft}/submit", {"chief_analyst"}, 302, lambda: {}),
    # a decision names the version read: the submitted broadcast was created (1) and submitted (2)
    ("broadcast.approve", "POST", "/broadcasts/{submitted}/approve", {"approver"}, 302, lambda: {"version": "2"}),
    ("broadcast.reject", "POST", "/broadcasts/{submitted}/reject", {"approver"}, 302,
     lambda: {"comment": "改", "version": "2"}),
    # a test send of the chief analyst's draft: theirs to send (refused, flashed: no verified mobile yet)
    ("broadcast.test_send_now", "POST", "/broadcasts/{draft}/test-send", {"chief_analyst"}, 302,
     lambda: {"version": "1"}),
    ("broadcast_api.create", "POST", "/api/v1/broadcasts", DRAFTERS, 201, lambda: dict(COMMENT_JSON)),
    ("broadcast_api.get", "GET", "/api/v1/broadcasts/{draft}", VIEWERS, 200, None),
    ("broadcast_api.update", "PATCH", "/api/v1/broadcasts/{draft}", {"chief_analyst"}, 200, lambda: {"title": "新标题"}),
    ("broadcast_api.preview", "GET", "/api/v1/broadcasts/{draft}/preview", VIEWERS, 200, None),
    ("broadcast_api.submit", "POST", "/api/v1/broadcasts/{draft}/submit", {"chief_analyst"}, 200, None),
    ("broadcast_api.approve", "POST", "/api/v1/broadcasts/{submitted}/approve", {"approver"}, 200,
     lambda: {"seen_version": 2}),
    ("broadcast_api.reject", "POST", "/api/v1/broadcasts/{submitted}/reject", {"approver"}, 200,
     lambda: {"comment": "改", "seen_version": 2}),
]
# the provider's webhooks are authorised by their signature, tested in tests/broadcast/test_sending.py
CHIEF = {"chief_analyst"}
CASES += [
    ("broadcast.report_csv", "GET", "/broadcasts/{scheduled}/report.csv", {"chief_analyst", "approver"}, 200, None),
    ("broadcast.progress", "GET", "/broadcasts/progress?ids={scheduled}", VIEWERS, 200, None),
    ("broadcast.schedule", "POST", "/broadcasts/{approved}/schedule", CHIEF, 302,
     lambda: {"when": "now", "confirm_duplicate": "1"}),
    ("broadcast.pause", "POST", "/broadcasts/{scheduled}/pause", CHIEF, 302, lambda: {}),
    ("broadcast.resume", "POST", "/broadcasts/{paused}/resume", CHIEF, 302, lambda: {}),
    ("broadcast.cancel", "POST", "/broadcasts/{scheduled}/cancel", CHIEF, 302, lambda: {}),
    ("broadcast_api.schedule", "POST", "/api/v1/broadcasts/{approved}/schedule", CHIEF, 200,
     lambda: {"send_at": None, "confirm_duplicate": True}),
    ("broadcast_api.pause", "POST", "/api/v1/broadcasts/{scheduled}/pause", CHIEF, 200, None),
    ("broadcast_api.resume", "POST", "/api/v1/broadcasts/{paused}/resume", CHIEF, 200, None),
    ("broadcast_api.cancel", "POST", "/api/v1/broadcasts/{scheduled}/cancel", CHIEF, 200, None),
    ("broadcast_api.report", "GET", "/api/v1/broadcasts/{scheduled}/report", {"chief_analyst", "approver"}, 200,
     None),
]
# follow-ups: every role has a queue (admins triage); what each may do with one item is decided by the item:
# here a research question, assigned to the researcher, and a transfer question of business_staff's client
EVERYONE = ALL
RESEARCH_HANDS = {"chief_analyst", "researcher"}
BUSINESS_HANDS = {"chief_analyst", "business_staff"}
CASES += [
    ("followups.queue", "GET", "/followups", EVERYONE, 200, None),
    ("followups.rows", "GET", "/followups/rows", EVERYONE, 200, None),
    ("followups.summary", "GET", "/followups/summary", EVERYONE, 200, None),
    ("followups.duty", "POST", "/followups/duty", {"researcher"}, 302, lambda: {"on": "1"}),
    ("followups.item", "GET", "/followups/{research_item}", RESEARCH_HANDS | {"approver"}, 200, None),
    ("followups.thread", "GET", "/followups/{business_item}/thread", BUSINESS_HANDS | {"approver"}, 200, None),
    ("followups.note", "POST", "/followups/{business_item}/note", BUSINESS_HANDS | {"approver"}, 302,
     lambda: {"body": "电话回访过"}),
    ("followups.claim", "POST", "/followups/{research_item}/claim", RESEARCH_HANDS, 302, lambda: {}),
    ("followups.assign", "POST", "/followups/{research_item}/assign", RESEARCH_HANDS, 302,
     lambda: {"user": "researcher@example.com"}),
    ("followups.reroute", "POST", "/followups/{business_item}/reroute", BUSINESS_HANDS, 302,
     lambda: {"queue": "research", "reason": "问的是走势"}),
    ("followups.reply", "POST", "/followups/{business_item}/reply", BUSINESS_HANDS, 302,
     lambda: {"body": "您好，请在交易软件中操作。"}),
    ("followups.resolve", "POST", "/followups/{business_item}/resolve", BUSINESS_HANDS, 302, lambda: {}),
    ("followups.reopen", "POST", "/followups/{resolved_item}/reopen", BUSINESS_HANDS, 302, lambda: {}),
    ("followups.category", "POST", "/followups/{research_item}/category", RESEARCH_HANDS, 302,
     lambda: {"category": "feedback"}),
    ("followups.rules", "GET", "/followups/rules", {"admin"}, 200, None),
    ("followups.rules", "POST", "/followups/rules", {"admin"}, 302,
     lambda: {"category": "complaint", "keywords": "投诉\n滑点", "patterns": ""}),
    ("followups.canned", "GET", "/followups/canned", {"admin"}, 200, None),
    ("followups.canned", "POST", "/followups/canned", {"admin"}, 302, lambda: {"title": "开户", "body": "请带身份证。"}),
    ("phone.phone", "GET", "/sms/phone?account=83001", {"admin"}, 200, None),
    ("phone.send", "POST", "/sms/phone/send", {"admin"}, 302, lambda: {"account": "83001", "body": "你好"}),
    ("followups_api.list_items", "GET", "/api/v1/followups", EVERYONE, 200, None),
    # "show" the sender's number: whoever sees the item and may see its client (never researchers)
    ("followups.mobile", "POST", "/followups/{business_item}/mobile", BUSINESS_HANDS | {"approver"}, 200,
     lambda: {}),
    ("followups_api.show_number", "POST", "/api/v1/followups/{business_item}/mobile", BUSINESS_HANDS | {"approver"},
     200, None),
    ("followups_api.get_item", "GET", "/api/v1/followups/{research_item}", RESEARCH_HANDS | {"approver"}, 200, None),
    ("followups_api.claim", "POST", "/api/v1/followups/{research_item}/claim", RESEARCH_HANDS, 200, None),
    ("followups_api.assign", "POST", "/api/v1/followups/{research_item}/assign", RESEARCH_HANDS, 200,
     lambda: {"user": "researcher@example.com"}),
    ("followups_api.reroute", "POST", "/api/v1/followups/{business_item}/reroute", BUSINESS_HANDS, 200,
     lambda: {"queue": "research", "reason": "问的是走势"}),
    ("followups_api.add_note", "POST", "/api/v1/followups/{business_item}/notes", BUSINESS_HANDS | {"approver"}, 201,
     lambda: {"body": "电话回访过"}),
    ("followups_api.reply", "POST", "/api/v1/followups/{business_item}/reply", BUSINESS_HANDS, 201,
     lambda: {"body": "您好，请在交易软件中操作。"}),
    ("followups_api.resolve", "POST", "/api/v1/followups/{business_item}/resolve", BUSINESS_HANDS, 200, None),
    ("followups_api.reopen", "POST", "/api/v1/followups/{resolved_item}/reopen", BUSINESS_HANDS, 200, None),
    ("followups_api.set_category", "PATCH", "/api/v1/followups/{research_item}/category", RESEARCH_HANDS, 200,
     lambda: {"category": "feedback"}),
]
# the research note behind a short link is for the client who got the link (an unguessable token)
# the OpenAPI description of /api/v1 is public, so that tools read it without a token (it holds no data)
# the steps of a sign-in under way (second factor, enrolment, a new password owed) belong to the browser that gave
# the password a moment ago (tests/staff); without one they go back to the sign-in page
PUBLIC = {"static", "staff.login", "staff.logout", "staff.set_language", "sms.status", "sms.inbound", "notes.note",
          "openapi.openapi_json", "staff.second_factor", "staff.enrol", "staff.new_password", "core.favicon"}


def test_every_endpoint_is_in_the_table(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert endpoints - PUBLIC == {case[0] for case in CASES}, "add new endpoints to CASES with their roles"


@pytest.fixture
def world(app, make_staff, make_client):
    from broadcast import scheduling
    from broadcast import service as broadcast_service
    from broadcast.settings import Settings
    from clients.models import ImportKind, ImportRun
    from clients.reviews import create_review
    from core import clock as app_clock
    from core.calendar import calendar_for
    from core.extensions import db

    people = {role.value: make_staff(role.value, email=f"{role.value}@example.com") for role in Role}
    make_client("83001", owner_id=people["business_staff"].id, tier=Tier.gold)
    run = ImportRun(kind=ImportKind.clients, filename="x.csv", rejected=[])
    db.session.add(run)
    review = create_review(db.session, "2026Q3")
    settings = Settings.from_config(app.config)
    draft = broadcast_service.create_draft(db.session, dict(COMMENT_JSON), people["chief_analyst"], settings)
    submitted = broadcast_service.create_draft(db.session, dict(COMMENT_JSON), people["chief_analyst"], settings)
    broadcast_service.submit(db.session, submitted, people["chief_analyst"], settings)
    made = {}
    for name in ("approved", "scheduled", "paused"):
        b = broadcast_service.create_draft(db.session, dict(COMMENT_JSON), people["chief_analyst"], settings)
        broadcast_service.submit(db.session, b, people["chief_analyst"], settings)
        broadcast_service.approve(db.session, b, people["approver"])
        if name != "approved":
            scheduling.schedule(db.session, b, people["chief_analyst"], None, settings, app_clock.now(), calendar_for({"QUIET_HOURS": ""}),
                                       confirm_duplicate=True)
        if name == "paused":
            scheduling.pause(db.session, b, people["chief_analyst"])
        made[name] = b.id
    db.session.commit()
    made.update(_followups(app, people, make_client))
    made.update(_staff_things(people, make_staff))
    return people, {"run": run.id, "review": review.id, "someone": people["researcher"].id, "draft": draft.id,
                    "submitted": submitted.id, **made}


def _staff_things(people, make_staff) -> dict[str, int]:
    """An API token of the researcher's, and the approver role for the researcher asked for by a second admin."""
    from core import clock as app_clock
    from core.extensions import db
    from staff import grants
    from staff.models import ApiToken
    from staff.tokens import issue_token

    other_admin = make_staff("admin", email="admin2@example.com")
    issue_token(db.session, people["researcher"], label="script")
    grant = grants.request(db.session, people["researcher"], Role.approver, other_admin, app_clock.now())
    db.session.commit()
    token = db.session.scalar(sa.select(ApiToken.id).where(ApiToken.staff_id == people["researcher"].id))
    return {"token": token, "grant": grant.id}


def _followups(app, people, make_client) -> dict[str, int]:
    """A research item assigned to the researcher, an open business item of business_staff's client and a
    resolved one in their branch's pool."""
    from core import clock as app_clock
    from core.extensions import db
    from followups import intake
    from followups.models import FollowUp, Status
    from followups.settings import FollowUpSettings

    people["researcher"].on_duty = True
    other = make_client("83002", owner_id=None, mobile="+8613800000902")  # in the branch pool
    settings = FollowUpSettings.from_config(app.config)
    ids = {}
    for n, (name, mobile, text) in enumerate([("research_item", "+8613800000901", "螺纹止损设多少？"),
                                               ("business_item", "+8613800000001", "银期转账怎么操作"),
                                               ("resolved_item", other.mobile, "密码忘了")]):
        if name == "research_item":
            make_client("83003", mobile=mobile)
        message = inbound.store(db.session, inbound.parse_webhook(
            {"MessageSid": f"SM{n:032d}", "From": mobile, "To": "x", "Body": text}), app_clock.now())
        ids[name] = intake.route_or_triage(db.session, message.id, settings, app_clock.now()).item.id
    resolved = db.session.get(FollowUp, ids["resolved_item"])
    resolved.status, resolved.resolved_at = Status.resolved, app_clock.now()
    db.session.commit()
    return ids


@pytest.mark.parametrize("case", CASES, ids=[f"{c[1]} {c[2]}" for c in CASES])
@pytest.mark.parametrize("role", sorted(ALL) + [None])
def test_access(client, auth, api_token, world, case, role):
    people, ids = world
    endpoint, method, path, allowed, success, body = case
    path = path.format(**ids)
    is_api = path.startswith("/api/")
    headers: dict[str, str] = {}
    if role is not None and is_api:
        headers = api_token(people[role])
    elif role is not None:
        auth.login(f"{role}@example.com")
    else:
        auth.token = csrf_from(client.get("/login").get_data(as_text=True))

    if method == "GET":
        response = client.get(path, headers=headers)
    elif is_api:
        payload = body() if body else None
        if payload and "file" in payload:
            response = client.post(path, headers=headers, data=payload, content_type="multipart/form-data")
        else:
            response = client.open(path, method=method, headers=headers, json=payload)
    else:
        response = auth.post(path, body() if body else {}, content_type="multipart/form-data")

    if role is None:
        if is_api:
            assert response.status_code == 401
        else:
            assert response.status_code == 302 and "/login" in response.headers["Location"]
    elif role in allowed:
        assert response.status_code == success, f"{role} on {method} {path}: {response.status_code}"
    else:
        assert response.status_code == 403, f"{role} reached {method} {path}: {response.status_code}"


def test_business_staff_may_not_filter_on_someone_elses_clients(client, auth, api_token, world, make_staff):
    people, _ = world
    other = make_staff("business_staff", email="other@example.com", staff_code="S77", branch="北京朝阳营业部")
    headers = api_token(people["business_staff"])
    assert client.get(f"/api/v1/clients?staff_code={other.staff_code}", headers=headers).status_code == 403
    assert client.get("/api/v1/clients?branch=北京朝阳营业部", headers=headers).status_code == 403
    own = client.get(f"/api/v1/clients?staff_code={people['business_staff'].staff_code}", headers=headers)
    assert own.status_code == 200 and [c["account_no"] for c in own.json["items"]] == ["83001"]
    auth.login("business_staff@example.com")
    assert client.get(f"/clients?staff_code={other.staff_code}").status_code == 403
