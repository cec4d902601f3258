"""Every change to a broadcast is conditional on the version its actor saw (broadcast/versions.py).

What users rely on: an approver's decision applies to the text they read and to nothing else; an action
decided on what a page or an API answer showed is refused as stale (409, nothing changed, nothing audited as
done) when someone, or the worker, changed the broadcast since; the version is answered by every read.
"""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from broadcast import scheduling, sending, service, tick, versions
from broadcast.models import Broadcast, BroadcastState
from broadcast.settings import Settings
from clients.tiers import Tier
from core import clock as app_clock
from core.audit import AuditEntry
from core.calendar import calendar_for
from core.extensions import db

COMMENT = {"kind": "daily_comment", "title": "早评", "body": "{name}您好，今日早评：螺纹钢震荡。",
           "audience": {"tiers": ["gold"]}}
NO_QUIET = calendar_for({"QUIET_HOURS": ""})


@pytest.fixture
def desk(app, make_staff, make_client):
    make_client("1", tier=Tier.gold)
    return {"chief": make_staff("chief_analyst", email="chief@example.com"),
            "approver": make_staff("approver", email="ok@example.com")}


def in_state(app, desk, state: str) -> Broadcast:
    """A daily comment brought to `state` by the service, committed."""
    settings = Settings.from_config(app.config)
    b = service.create_draft(db.session, dict(COMMENT), desk["chief"], settings)
    if state != "draft":
        service.submit(db.session, b, desk["chief"], settings)
    if state in ("approved", "scheduled", "sending", "paused"):
        service.approve(db.session, b, desk["approver"])
    if state in ("scheduled", "sending", "paused"):
        scheduling.schedule(db.session, b, desk["chief"], app_clock.now() + timedelta(hours=1), settings,
                            app_clock.now(), NO_QUIET)
    if state == "sending":  # as the worker starts it
        b.state, b.started_at = BroadcastState.sending, app_clock.now()
    if state == "paused":
        scheduling.pause(db.session, b, desk["chief"])
    db.session.commit()
    return b


def someone_else_changes(broadcast_id: int) -> None:
    """Another request's committed change of the broadcast, on its own connection (a new title, as an edit
    that kept the state would leave it)."""
    with db.engine.begin() as conn:
        conn.execute(sa.update(Broadcast).where(Broadcast.id == broadcast_id)
                     .values(title="别人改过的标题", version=Broadcast.version + 1))


def row(broadcast_id: int):
    db.session.rollback()
    return db.session.execute(sa.select(Broadcast.state, Broadcast.title, Broadcast.version)
                              .where(Broadcast.id == broadcast_id)).one()


def audited(broadcast_id: int, action: str) -> int:
    db.session.rollback()
    return db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry).where(
        AuditEntry.object_type == "broadcast", AuditEntry.object_id == str(broadcast_id),
        AuditEntry.action == action))


@pytest.mark.parametrize("sent, read", [
    (3, 3), ("3", 3), (' "3" ', 3), ('W/"3"', 3), (None, None), ("", None), ("*", None), (999_999_999, 999_999_999),
    (0, "refused"), ("0", "refused"), (-1, "refused"), ("three", "refused"), (True, "refused"), ("３", "refused"),
    ("1234567890", "refused"), (1_000_000_000, "refused"), ('"3", "4"', "refused"), (3.0, "refused"),
])
def test_a_version_is_read_as_forms_json_and_if_match_send_it(sent, read):
    if read == "refused":
        with pytest.raises(service.BroadcastError) as info:
            versions.parse(sent, "If-Match")
        assert info.value.status == 400 and info.value.field == "If-Match"
    else:
        assert versions.parse(sent) == read


# action: (state it acts on, HTTP method, path after /api/v1/broadcasts/ID, body, audit action)
ACTIONS = {
    "edit": ("submitted", "PATCH", "", {"title": "改了"}, "broadcast.edit"),
    "submit": ("draft", "POST", "/submit", {}, "broadcast.submit"),
    "approve": ("submitted", "POST", "/approve", {}, "broadcast.approve"),
    "reject": ("submitted", "POST", "/reject", {"comment": "止损太近"}, "broadcast.reject"),
    "schedule": ("approved", "POST", "/schedule", {"send_at": None}, "broadcast.schedule"),
    "pause": ("scheduled", "POST", "/pause", {}, "broadcast.pause"),
    "resume": ("paused", "POST", "/resume", {}, "broadcast.resume"),
    "cancel": ("scheduled", "POST", "/cancel", {}, "broadcast.cancel"),
}


def token_for(action: str, desk, api_token) -> dict:
    return api_token(desk["approver"] if action in ("approve", "reject") else desk["chief"])


@pytest.mark.parametrize("action", ACTIONS)
def test_an_api_action_on_a_version_someone_changed_since_is_refused_and_changes_nothing(
        app, client, desk, api_token, action):
    state, method, path, body, audit_action = ACTIONS[action]
    b = in_state(app, desk, state)
    headers = token_for(action, desk, api_token)
    read = client.get(f"/api/v1/broadcasts/{b.id}", headers=headers)
    seen = read.json["version"]
    assert read.headers["ETag"] == f'"{seen}"'
    before = audited(b.id, audit_action)
    someone_else_changes(b.id)

    refused = client.open(f"/api/v1/broadcasts/{b.id}{path}", method=method, headers=headers,
                          json={**body, "version": seen})
    assert refused.status_code == 409, refused.json
    assert refused.json["code"] == "broadcast.stale_version"
    assert "Reload" in refused.json["error"]
    assert row(b.id) == (BroadcastState(state), "别人改过的标题", seen + 1)
    assert audited(b.id, audit_action) == before

    # read again, and the same action on what is there now goes through, bumping the version by one
    now_seen = client.get(f"/api/v1/broadcasts/{b.id}", headers=headers).json["version"]
    done = client.open(f"/api/v1/broadcasts/{b.id}{path}", method=method, headers=headers,
                       json={**body, "seen_version": now_seen})
    assert done.status_code == 200, done.json
    assert done.json["version"] == now_seen + 1 and done.headers["ETag"] == f'"{now_seen + 1}"'
    assert audited(b.id, audit_action) == before + 1


SERVICE_CALLS = {
    "edit": lambda b, d, s: service.update_draft(db.session, b, {"title": "改了"}, d["chief"], s,
                                                 seen_version=b.version),
    "submit": lambda b, d, s: service.submit(db.session, b, d["chief"], s, seen_version=b.version),
    "approve": lambda b, d, s: service.approve(db.session, b, d["approver"], seen_version=b.version),
    "reject": lambda b, d, s: service.reject(db.session, b, d["approver"], "止损太近", seen_version=b.version),
    "schedule": lambda b, d, s: scheduling.schedule(db.session, b, d["chief"], None, s, app_clock.now(), NO_QUIET,
                                                    seen_version=b.version),
    "pause": lambda b, d, s: scheduling.pause(db.session, b, d["chief"], seen_version=b.version),
    "resume": lambda b, d, s: scheduling.resume(db.session, b, d["chief"], seen_version=b.version),
    "cancel": lambda b, d, s: scheduling.cancel(db.session, b, d["chief"], app_clock.now(),
                                                seen_version=b.version),
}


@pytest.mark.parametrize("action", SERVICE_CALLS)
def test_a_change_that_lands_between_the_read_and_the_write_makes_the_update_match_no_row(app, desk, action):
    """The actor saw the version this request read; another change commits before the write: the UPDATE's
    `WHERE version = :seen` matches nothing, and the row count turns it into the same refusal."""
    state, _method, _path, _body, audit_action = ACTIONS[action]
    b = in_state(app, desk, state)
    settings = Settings.from_config(app.config)
    b = db.session.get(Broadcast, b.id, populate_existing=True)
    seen, before = b.version, audited(b.id, audit_action)
    b = db.session.get(Broadcast, b.id)
    assert b.version == seen
    someone_else_changes(b.id)

    with pytest.raises(versions.StaleVersion) as info:
        SERVICE_CALLS[action](b, desk, settings)
    assert info.value.status == 409 and info.value.code == "broadcast.stale_version"
    db.session.rollback()
    assert row(b.id) == (BroadcastState(state), "别人改过的标题", seen + 1)
    assert audited(b.id, audit_action) == before


def test_if_match_names_the_version_and_places_that_disagree_are_refused(app, client, desk, api_token):
    b = in_state(app, desk, "scheduled")
    chief = api_token(desk["chief"])
    seen = client.get(f"/api/v1/broadcasts/{b.id}", headers=chief).json["version"]
    stale = client.post(f"/api/v1/broadcasts/{b.id}/pause", headers={**chief, "If-Match": f'"{seen - 1}"'})
    assert stale.status_code == 409 and stale.json["code"] == "broadcast.stale_version"
    mixed = client.post(f"/api/v1/broadcasts/{b.id}/pause", headers={**chief, "If-Match": f'"{seen}"'},
                        json={"version": seen + 1})
    assert mixed.status_code == 400
    bad = client.post(f"/api/v1/broadcasts/{b.id}/pause", headers={**chief, "If-Match": "yesterday"})
    assert bad.status_code == 400 and bad.json["field"] == "If-Match"
    assert row(b.id).state == BroadcastState.scheduled
    paused = client.post(f"/api/v1/broadcasts/{b.id}/pause", headers={**chief, "If-Match": f'W/"{seen}"'})
    assert paused.status_code == 200 and paused.json["state"] == "paused"


def test_every_change_bumps_the_version_and_every_answer_carries_it(app, client, desk, api_token, clock):
    chief, approver = api_token(desk["chief"]), api_token(desk["approver"])
    created = client.post("/api/v1/broadcasts", headers=chief, json=COMMENT).json
    assert created["version"] == 1
    url = f"/api/v1/broadcasts/{created['id']}"
    assert client.patch(url, headers=chief, json={"title": "午评", "version": 1}).json["version"] == 2
    assert client.post(f"{url}/submit", headers=chief, json={"version": 2}).json["version"] == 3
    assert client.post(f"{url}/approve", headers=approver, json={"seen_version": 3}).json["version"] == 4
    scheduled = client.post(f"{url}/schedule", headers=chief, json={"recurrence": "trading_days@10:30",
                                                                   "version": 4}).json
    assert scheduled["version"] == 5
    # the worker's own moves bump it too: each occurrence of the series moves the parent on
    clock.set(clock() + timedelta(minutes=30))
    cfg = tick.TickConfig.from_config({**app.config, "QUIET_HOURS": ""})
    parent = db.session.get(Broadcast, created["id"])
    assert tick.start_one(db.session, parent, clock(), cfg) is True
    assert client.get(url, headers=chief).json["version"] == 6
    child = db.session.scalar(sa.select(Broadcast).where(Broadcast.parent_id == created["id"]))
    assert (child.state, child.version, child.body) == (BroadcastState.sending, 1, COMMENT["body"])


def test_approve_and_reject_need_what_the_approver_read(app, client, desk, api_token):
    b = in_state(app, desk, "submitted")
    approver = api_token(desk["approver"])
    url = f"/api/v1/broadcasts/{b.id}"
    for path, body in (("/approve", {}), ("/reject", {"comment": "改"})):
        refused = client.post(url + path, headers=approver, json=body)
        assert refused.status_code == 400 and refused.json["code"] == "broadcast.seen_required"
    assert client.post(url + "/approve", headers=approver).status_code == 400  # no body at all
    assert row(b.id).state == BroadcastState.submitted
    assert audited(b.id, "broadcast.approve") == audited(b.id, "broadcast.reject") == 0
    seen_at = client.get(url, headers=approver).json["submitted_at"]
    done = client.post(url + "/approve", headers=approver, json={"seen_submitted_at": seen_at})
    assert done.status_code == 200 and done.json["state"] == "approved"
    # the approval's audit entry (sealed into the record chain) names the version, so the text decided on
    entry = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "broadcast.approve",
                                                           AuditEntry.object_id == str(b.id))).one()
    assert entry.detail["version"] == done.json["version"] - 1


def test_a_submission_time_shared_by_two_submissions_names_no_text(app, client, desk, api_token, clock):
    """With the clock stopped, the author edits and submits again at the very time the approver read: the time
    no longer says which text was read, so it is refused; the version still is exact."""
    b = in_state(app, desk, "submitted")
    chief, approver = api_token(desk["chief"]), api_token(desk["approver"])
    url = f"/api/v1/broadcasts/{b.id}"
    read = client.get(url, headers=approver).json
    assert client.patch(url, headers=chief, json={"body": "{name}您好，稳赚不赔，满仓做多螺纹钢。"}).status_code == 200
    client.patch(url, headers=chief, json={"body": "{name}您好，今日早评：螺纹钢偏强。"})
    again = client.post(f"{url}/submit", headers=chief).json
    assert again["submitted_at"] == read["submitted_at"]  # the same frozen time

    ambiguous = client.post(f"{url}/approve", headers=approver, json={"seen_submitted_at": read["submitted_at"]})
    assert ambiguous.status_code == 409 and ambiguous.json["code"] == "broadcast.ambiguous_submission"
    stale = client.post(f"{url}/approve", headers=approver, json={"seen_version": read["version"]})
    assert stale.status_code == 409 and stale.json["code"] == "broadcast.stale_version"
    assert row(b.id).state == BroadcastState.submitted
    ok = client.post(f"{url}/approve", headers=approver, json={"seen_version": again["version"]})
    assert ok.status_code == 200 and ok.json["body"] == "{name}您好，今日早评：螺纹钢偏强。"


def test_scheduling_checks_the_approved_text_against_the_rules_of_today(app, client, desk, api_token,
                                                                      monkeypatch):
    b = in_state(app, desk, "approved")
    monkeypatch.setitem(app.config, "PROFIT_PHRASES_EXTRA", ["震荡"])  # a rule added after the approval
    chief = api_token(desk["chief"])
    refused = client.post(f"/api/v1/broadcasts/{b.id}/schedule", headers=chief, json={"send_at": None})
    assert refused.status_code == 400 and refused.json["code"] == "broadcast.not_compliant"
    assert [p["field"] for p in refused.json["problems"]] == ["body"]
    assert row(b.id).state == BroadcastState.approved
    assert audited(b.id, "broadcast.schedule") == 0


def test_a_pause_decided_on_the_scheduled_broadcast_does_not_land_on_the_started_one(app, desk, clock):
    b = in_state(app, desk, "scheduled")
    seen = b.version
    clock.set(b.send_at)
    assert tick.start_due(db.session, clock(), tick.TickConfig.from_config({**app.config, "QUIET_HOURS": ""})) \
        == [b.id]
    b = db.session.get(Broadcast, b.id, populate_existing=True)
    assert (b.state, b.version) == (BroadcastState.sending, seen + 1)
    with pytest.raises(versions.StaleVersion):
        scheduling.pause(db.session, b, desk["chief"], seen_version=seen)
    db.session.rollback()
    assert row(b.id).state == BroadcastState.sending and audited(b.id, "broadcast.pause") == 0


def test_the_worker_does_not_finish_a_broadcast_someone_paused_after_it_looked(app, desk, clock):
    b = in_state(app, desk, "sending")
    worker = sa.orm.Session(db.engine)
    try:
        looked = worker.get(Broadcast, b.id)  # the sweep read it while it was sending
        scheduling.pause(db.session, db.session.get(Broadcast, b.id), desk["chief"], seen_version=b.version)
        db.session.commit()
        assert sending.finish(worker, looked, clock()) is False
        worker.commit()
    finally:
        worker.close()
    assert row(b.id).state == BroadcastState.paused
    # resumed, it is finished by the worker as before, and that move bumps the version too
    b = db.session.get(Broadcast, b.id)
    scheduling.resume(db.session, b, desk["chief"], seen_version=b.version)
    db.session.commit()
    before = row(b.id).version
    sending.sweep(db.session, clock())
    db.session.commit()
    assert row(b.id)[0::2] == (BroadcastState.completed, before + 1)


# ---- pages -------------------------------------------------------------------------------------------------

def hidden_versions(html: str) -> list[int]:
    return [int(v) for v in re.findall(r'name="version" value="(\d+)"', html)]


def says_stale(app, html: str, seen: int, current: int) -> bool:
    """Whether the page flashes the stale-version refusal, in whichever language the page speaks."""
    from flask_babel import force_locale
    from markupsafe import escape

    from core.templating import problem_text

    refusal = versions.StaleVersion(seen, current)
    with app.test_request_context():
        texts = set()
        for locale in app.config["LANGUAGES"]:
            with force_locale(locale):
                texts.add(str(escape(problem_text(refusal.template, refusal.args_))))
    return any(text in html for text in texts)


PAGE_ACTIONS = {  # action: (state, who, form fields besides the version)
    "submit": ("draft", "chief", {}),
    "approve": ("submitted", "approver", {}),
    "reject": ("submitted", "approver", {"comment": "止损太近"}),
    "schedule": ("approved", "chief", {"when": "now"}),
    "pause": ("scheduled", "chief", {}),
    "resume": ("paused", "chief", {}),
    "cancel": ("scheduled", "chief", {}),
}
EMAILS = {"chief": "chief@example.com", "approver": "ok@example.com"}


@pytest.mark.parametrize("action", PAGE_ACTIONS)
def test_a_page_form_carries_the_version_shown_and_a_stale_one_shows_the_broadcast_as_it_is(
        app, client, auth, desk, action):
    state, who, fields = PAGE_ACTIONS[action]
    b = in_state(app, desk, state)
    auth.login(EMAILS[who])
    page = client.get(f"/broadcasts/{b.id}").get_data(as_text=True)
    shown = hidden_versions(page)
    assert shown and set(shown) == {b.version}, "every form acting on the broadcast carries its version"
    before = audited(b.id, ACTIONS[action][4])
    someone_else_changes(b.id)

    answer = auth.post(f"/broadcasts/{b.id}/{action}", {**fields, "version": str(shown[0])})
    assert answer.status_code == 302 and answer.headers["Location"].endswith(f"/broadcasts/{b.id}")
    after = client.get(answer.headers["Location"]).get_data(as_text=True)
    assert says_stale(app, after, shown[0], shown[0] + 1) and "别人改过的标题" in after
    assert row(b.id).state == BroadcastState(state)
    assert audited(b.id, ACTIONS[action][4]) == before


def test_the_edit_page_saves_only_onto_the_version_it_showed(app, client, auth, desk):
    b = in_state(app, desk, "submitted")
    auth.login("chief@example.com")
    form = client.get(f"/broadcasts/{b.id}/edit").get_data(as_text=True)
    assert hidden_versions(form) == [b.version]
    someone_else_changes(b.id)
    fields = {"kind": "daily_comment", "title": "改了", "body": "{name}您好，稳赚不赔。", "tiers": "gold",
              "version": str(b.version)}
    answer = auth.post(f"/broadcasts/{b.id}/edit", fields)
    assert answer.status_code == 302 and answer.headers["Location"].endswith(f"/broadcasts/{b.id}")
    assert says_stale(app, client.get(answer.headers["Location"]).get_data(as_text=True), b.version, b.version + 1)
    assert row(b.id)[:2] == (BroadcastState.submitted, "别人改过的标题")
