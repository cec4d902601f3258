"""A broadcast's risk level by kind, the retired risk notice, and sending under appropriateness: nobody the rule
leaves out ever gets a message, one-off or recurring; the preview, the pages, the report and the API count who
was left out and why (the rule itself: test_appropriateness.py)."""
from __future__ import annotations

from datetime import date, datetime, timezone

import pytest
import sqlalchemy as sa

from broadcast import scheduling, service, texts
from broadcast.appropriateness import KIND_DEFAULTS, Fit, fit_of, kind_default
from broadcast.models import Broadcast, BroadcastKind, BroadcastState
from broadcast.report import report
from broadcast.settings import Settings
from clients.appropriateness import (
    InvestorType,
    RiskLevel,
    RiskTolerance,
)
from clients.tiers import Tier
from core.calendar import calendar_for
from core.config import ConfigError, check
from core.extensions import db
from messaging.models import OutboundMessage
from tests.broadcast.helpers import T0, start_now

ORDINARY, PROFESSIONAL = InvestorType.ordinary, InvestorType.professional
DAY = date(2026, 11, 25)  # T0's day in Shanghai
RECENT = date(2026, 6, 1)
ASSESSED = date(2023, 11, 25)  # three years before DAY


# ---- the broadcast's risk level -------------------------------------------------------------------------------

def test_every_kind_has_a_default_in_one_table():
    assert set(KIND_DEFAULTS) == set(BroadcastKind)
    assert kind_default(BroadcastKind.trade_suggestion, RiskLevel.R4) == RiskLevel.R4
    assert kind_default(BroadcastKind.trade_suggestion, RiskLevel.R5) == RiskLevel.R5
    assert {kind_default(k, RiskLevel.R4) for k in (BroadcastKind.daily_comment, BroadcastKind.weekly_comment,
                                                    BroadcastKind.monthly_report)} == {RiskLevel.R2}
    assert kind_default(BroadcastKind.seminar_invite, RiskLevel.R4) == RiskLevel.R1


SUGGESTION = {"contract": "rb2510", "direction": "long", "entry": "3150", "stop": "3098", "targets": ["3260"],
              "position_pct": 10, "risk_statement": "期货有风险"}


def draft(chief, settings, kind="daily_comment", **data):
    fields = {"kind": kind, "title": "t", "body": "{name}您好", "audience": {"tiers": ["gold"]}, **data}
    if kind == "trade_suggestion":
        fields.setdefault("suggestion", SUGGESTION)
    return service.create_draft(db.session, fields, chief, settings)


@pytest.mark.parametrize(("kind", "level"), [("trade_suggestion", "R4"), ("daily_comment", "R2"),
                                             ("weekly_comment", "R2"), ("monthly_report", "R2"),
                                             ("seminar_invite", "R1")])
def test_a_new_broadcast_carries_its_kinds_default(app, make_staff, kind, level):
    b = draft(make_staff("chief_analyst"), Settings.from_config(app.config), kind)
    assert b.risk_level == RiskLevel(level)


def test_the_suggestion_default_is_the_setting(app, make_staff, monkeypatch):
    monkeypatch.setitem(app.config, "SUGGESTION_RISK_LEVEL", "R5")
    settings = Settings.from_config(app.config)
    chief = make_staff("chief_analyst")
    assert draft(chief, settings, "trade_suggestion").risk_level == RiskLevel.R5
    with pytest.raises(service.BroadcastError) as info:
        draft(chief, settings, "trade_suggestion", risk_level="R4")
    assert "R5" in str(info.value)


def test_the_author_may_raise_the_level_never_lower_it(app, make_staff):
    settings, chief = Settings.from_config(app.config), make_staff("chief_analyst")
    assert draft(chief, settings, risk_level="R3").risk_level == RiskLevel.R3
    assert draft(chief, settings, "seminar_invite", risk_level="r5").risk_level == RiskLevel.R5
    with pytest.raises(service.BroadcastError) as info:
        draft(chief, settings, "trade_suggestion", risk_level="R3")
    assert (info.value.code, info.value.field) == ("broadcast.risk_level_too_low", "risk_level")
    assert "at least R4" in str(info.value)
    with pytest.raises(service.BroadcastError) as info:
        draft(chief, settings, risk_level="R9")
    assert info.value.field == "risk_level"


def test_a_new_kind_raises_the_level_to_its_default_and_keeps_a_higher_one(app, make_staff):
    settings, chief = Settings.from_config(app.config), make_staff("chief_analyst")
    b = draft(chief, settings)
    service.update_draft(db.session, b, {"kind": "trade_suggestion", "suggestion": SUGGESTION}, chief, settings)
    assert b.risk_level == RiskLevel.R4
    service.update_draft(db.session, b, {"kind": "seminar_invite"}, chief, settings)
    assert b.risk_level == RiskLevel.R4  # an invitation may carry R4; the author lowers it by saying so
    service.update_draft(db.session, b, {"risk_level": None}, chief, settings)
    assert b.risk_level == RiskLevel.R1


def test_a_raised_suggestion_setting_applies_to_suggestions_approved_before(app, make_staff, monkeypatch):
    settings, chief = Settings.from_config(app.config), make_staff("chief_analyst")
    b = draft(chief, settings, "trade_suggestion")
    assert fit_of(b, settings, T0).level == RiskLevel.R4
    monkeypatch.setitem(app.config, "SUGGESTION_RISK_LEVEL", "R5")
    assert fit_of(b, Settings.from_config(app.config), T0) == Fit(RiskLevel.R5, DAY, 3)


@pytest.mark.parametrize(("setting", "value"), [("SUGGESTION_RISK_LEVEL", "R6"), ("SUGGESTION_RISK_LEVEL", "C4"),
                                                ("SUGGESTION_RISK_LEVEL", 4), ("RISK_ASSESSMENT_YEARS", 0),
                                                ("RISK_ASSESSMENT_YEARS", "three"), ("RISK_ASSESSMENT_YEARS", 11)])
def test_bad_appropriateness_settings_stop_the_start(setting, value):
    with pytest.raises(ConfigError) as info:
        check({setting: value})
    assert info.value.setting == setting


def test_good_appropriateness_settings_pass():
    check({"SUGGESTION_RISK_LEVEL": "r5", "RISK_ASSESSMENT_YEARS": "1"})


# ---- risk notices retire -------------------------------------------------------------------------------------

def test_no_new_risk_notice_through_the_service_or_the_api(app, client, make_staff, api_token):
    settings, chief = Settings.from_config(app.config), make_staff("chief_analyst")
    with pytest.raises(service.BroadcastError) as info:
        draft(chief, settings, "risk_notice")
    assert info.value.code == "broadcast.retired_kind"
    answer = client.post("/api/v1/broadcasts", headers=api_token(chief),
                         json={"kind": "risk_notice", "title": "t", "body": "x", "audience": {"tiers": ["gold"]}})
    assert answer.status_code == 400 and answer.json["field"] == "kind"
    b = draft(chief, settings)
    with pytest.raises(service.BroadcastError):
        service.update_draft(db.session, b, {"kind": "risk_notice"}, chief, settings)


def test_a_stored_risk_notice_still_shows_but_cannot_be_submitted(app, client, auth, make_staff, make_client):
    make_client("1", tier=Tier.gold)
    settings, chief = Settings.from_config(app.config), make_staff("chief_analyst", email="chief@example.com")
    b = draft(chief, settings)
    db.session.execute(sa.update(Broadcast).where(Broadcast.id == b.id).values(kind=BroadcastKind.risk_notice,
                                                                               risk_level=RiskLevel.R1))
    db.session.commit()
    db.session.expire_all()
    b = db.session.get(Broadcast, b.id)
    assert "kind" in [p.field for p in service.compliance_problems(b, settings)]
    with pytest.raises(service.NotCompliant):
        service.submit(db.session, b, chief, settings)
    db.session.rollback()
    auth.login("chief@example.com")
    page = client.get(f"/broadcasts/{b.id}")
    assert page.status_code == 200 and "R1" in page.get_data(as_text=True)
    service.update_draft(db.session, db.session.get(Broadcast, b.id), {"kind": "daily_comment"}, chief, settings)
    assert db.session.get(Broadcast, b.id).risk_level == RiskLevel.R2


# ---- preview, sending, report ---------------------------------------------------------------------------------

@pytest.fixture
def mixed_book(make_client):
    """Five gold clients: three may receive R3 on T0's day, two may not (C2; an assessment three years old)."""
    return {
        "c3": make_client("1", mobile="+8613800000001", tier=Tier.gold, risk_tolerance=RiskTolerance.C3),
        "pro": make_client("2", mobile="+8613800000002", tier=Tier.gold, investor_type=PROFESSIONAL,
                           risk_tolerance=None, risk_assessed_on=None),
        "c5": make_client("3", mobile="+8613800000003", tier=Tier.gold),
        "c2": make_client("4", mobile="+8613800000004", tier=Tier.gold, risk_tolerance=RiskTolerance.C2),
        "expired": make_client("5", mobile="+8613800000005", tier=Tier.gold, risk_assessed_on=ASSESSED),
    }


@pytest.fixture
def approved_r3(app, make_staff, mixed_book, clock):
    settings = Settings.from_config(app.config)
    chief, ok = make_staff("chief_analyst"), make_staff("approver")
    b = draft(chief, settings, risk_level="R3")
    service.submit(db.session, b, chief, settings, now=T0)
    service.approve(db.session, b, ok)
    db.session.commit()
    b.chief = chief
    return b


def test_the_preview_counts_who_is_left_out_and_why(app, approved_r3):
    p = texts.preview(db.session, approved_r3, Settings.from_config(app.config))
    assert p["recipients"] == 3 and p["risk_level"] == "R3"
    assert p["excluded"] == {"total": 2, "by_reason": {"too_low": 1, "expired": 1, "no_assessment": 0},
                             "by_tier": {"gold": {"too_low": 1, "expired": 1}}}


def test_an_inappropriate_client_gets_no_message(app, approved_r3, clock, worker, gateway, mixed_book):
    start_now(app, approved_r3, clock, worker)
    worker.send_batch()
    reached = {"+8613800000001", "+8613800000002", "+8613800000003"}
    assert set(gateway.calls) == reached
    rows = db.session.scalars(sa.select(OutboundMessage.to).where(OutboundMessage.broadcast_id == approved_r3.id))
    assert set(rows) == reached
    r = report(db.session, db.session.get(Broadcast, approved_r3.id))
    assert r["recipients"] == 3
    assert r["excluded"]["by_reason"] == {"too_low": 1, "expired": 1, "no_assessment": 0}


def test_each_occurrence_of_a_recurring_commentary_judges_its_own_day(app, approved_r3, clock, worker, gateway,
                                                                     mixed_book):
    """c3's assessment is three years old on Monday 30 November: Thursday's message reaches them, Monday's not."""
    c3 = mixed_book["c3"]
    c3.risk_assessed_on = date(2023, 11, 30)
    db.session.commit()
    b = db.session.get(Broadcast, approved_r3.id)
    scheduling.schedule(db.session, b, approved_r3.chief, None, Settings.from_config(app.config), clock(),
                        calendar_for({"QUIET_HOURS": ""}), recurrence="trading_days@08:30")
    db.session.commit()
    for day in range(26, 31):  # Thursday 26th to Monday 30th, at 08:31 local each day
        clock.set(datetime(2026, 11, day, 0, 31, tzinfo=timezone.utc))
        worker.tick()
        worker.send_batch()
    db.session.expire_all()
    children = db.session.scalars(sa.select(Broadcast).where(Broadcast.parent_id == b.id).order_by(Broadcast.id)).all()
    assert [child.risk_level for child in children] == [RiskLevel.R3] * 3  # Thursday, Friday, Monday
    to = [set(db.session.scalars(sa.select(OutboundMessage.to).where(OutboundMessage.broadcast_id == child.id)))
          for child in children]
    assert "+8613800000001" in to[0] and "+8613800000001" in to[1] and "+8613800000001" not in to[2]
    assert not {"+8613800000004", "+8613800000005"} & set().union(*to)
    assert not {"+8613800000004", "+8613800000005"} & set(gateway.calls)
    assert report(db.session, children[2])["excluded"]["by_reason"] == {"too_low": 1, "expired": 2,
                                                                         "no_assessment": 0}


# ---- pages and the API ----------------------------------------------------------------------------------------

def test_the_api_takes_and_returns_the_level_and_refuses_a_lower_one(app, client, make_staff, api_token,
                                                                     mixed_book):
    chief = api_token(make_staff("chief_analyst"))
    body = {"kind": "trade_suggestion", "title": "rb", "body": "{name}：{contract}{direction}",
            "audience": {"tiers": ["gold"]}, "suggestion": SUGGESTION}
    low = client.post("/api/v1/broadcasts", headers=chief, json={**body, "risk_level": "R3"})
    assert low.status_code == 400 and low.json["code"] == "broadcast.risk_level_too_low"
    assert low.json["field"] == "risk_level" and "R4" in low.json["error"]
    made = client.post("/api/v1/broadcasts", headers=chief, json=body)
    assert made.status_code == 201 and made.json["risk_level"] == "R4"
    url = f"/api/v1/broadcasts/{made.json['id']}"
    raised = client.patch(url, headers=chief, json={"risk_level": "R5", "version": made.json["version"]})
    assert raised.status_code == 200 and raised.json["risk_level"] == "R5"
    assert client.get(url, headers=chief).json["risk_level"] == "R5"
    preview = client.get(f"{url}/preview", headers=chief).json
    assert preview["recipients"] == 2 and preview["excluded"]["total"] == 3  # professional and C5 only


def test_the_compose_page_offers_the_level_and_the_detail_page_shows_exclusions(app, client, auth, make_staff,
                                                                                approved_r3):
    make_staff("chief_analyst", email="chief2@example.com")
    auth.login("chief2@example.com")
    compose = client.get("/broadcasts/new").get_data(as_text=True)
    assert 'name="risk_level"' in compose and "R4 中高风险" in compose
    assert 'value="risk_notice"' not in compose
    refused = auth.post("/broadcasts/new", data={"kind": "trade_suggestion", "title": "rb", "body": "x",
                                                 "risk_level": "R2", "tiers": ["gold"], **SUGGESTION,
                                                 "targets": "3260"})
    assert refused.status_code == 400
    live = auth.post("/broadcasts/live-preview", data={"kind": "daily_comment", "title": "t", "body": "x",
                                                       "risk_level": "R3", "tiers": ["gold"]}).json
    assert live["recipients"] == 3 and live["excluded"]["by_reason"] == {"too_low": 1, "expired": 1,
                                                                         "no_assessment": 0}
    page = client.get(f"/broadcasts/{approved_r3.id}").get_data(as_text=True)
    assert "R3 中风险" in page and 'id="preview-excluded"' in page


def test_the_report_on_the_page_counts_exclusions(app, client, auth, make_staff, approved_r3, clock, worker):
    start_now(app, approved_r3, clock, worker)
    make_staff("chief_analyst", email="chief2@example.com")
    auth.login("chief2@example.com")
    page = client.get(f"/broadcasts/{approved_r3.id}").get_data(as_text=True)
    section = page[page.index('id="report-excluded"'):]
    assert "<strong>2</strong>" in section[:400]
    api = report(db.session, db.session.get(Broadcast, approved_r3.id))
    assert api["excluded"]["total"] == 2 and api["recipients"] == 3
    assert db.session.get(Broadcast, approved_r3.id).state in (BroadcastState.sending, BroadcastState.completed)


def test_the_level_is_named_in_the_readers_language(app, client, auth, make_staff, approved_r3):
    make_staff("chief_analyst", email="chief2@example.com")
    auth.login("chief2@example.com")
    page = client.get(f"/broadcasts/{approved_r3.id}").get_data(as_text=True)
    level = page[page.index('id="risk-level"'):][:120]
    assert "R3" in level and "中风险" in level
    auth.post("/language/en")
    level = client.get(f"/broadcasts/{approved_r3.id}").get_data(as_text=True)
    level = level[level.index('id="risk-level"'):][:120]
    assert "R3 Medium risk" in level and "风险" not in level


# ---- migration 0011 -----------------------------------------------------------------------------------------

@pytest.mark.skipif(bool(__import__("os").environ.get("TEST_DATABASE_URL")),
                    reason="the migration's data step is checked on a SQLite file of its own")
def test_migration_0011_gives_levels_by_kind_and_sends_unstarted_risk_notices_back_to_draft(tmp_path):
    from flask_migrate import upgrade

    from app import create_app

    other = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'm.db'}",
                        "SECRET_KEY": "x", "QUIET_HOURS": "", "RATELIMIT_ENABLED": False})
    with other.app_context():
        upgrade(revision="0010")
        rows = [("trade_suggestion", "approved", None), ("daily_comment", "completed", None),
                ("seminar_invite", "draft", None), ("risk_notice", "approved", None),
                ("risk_notice", "scheduled", None), ("risk_notice", "paused", "scheduled"),
                ("risk_notice", "paused", "sending"), ("risk_notice", "sending", None),
                ("risk_notice", "completed", None), ("risk_notice", "draft", None)]
        with db.engine.begin() as conn:
            for i, (kind, state, reason) in enumerate(rows, start=1):
                conn.execute(sa.text(
                    "INSERT INTO broadcasts (id, kind, title, body, language, state, audience, author_id, created_at, "
                    "updated_at, submitted_at, decided_at, send_at, state_reason, version) VALUES (:id, :kind, 't', "
                    "'b', 'zh', :state, '{}', 1, '2026-11-01 00:00:00', '2026-11-01 00:00:00', '2026-11-01 00:00:00', "
                    "'2026-11-01 00:00:00', '2026-11-02 00:00:00', :reason, 3)"),
                    {"id": i, "kind": kind, "state": state, "reason": reason})
        upgrade(revision="0011")
        with db.engine.connect() as conn:
            got = conn.execute(sa.text("SELECT id, risk_level, state, version, send_at IS NULL, decided_at IS NULL "
                                       "FROM broadcasts ORDER BY id")).all()
        db.engine.dispose()
    assert [(level, state) for _, level, state, *_ in got] == [
        ("R4", "approved"), ("R2", "completed"), ("R1", "draft"), ("R1", "draft"), ("R1", "draft"), ("R1", "draft"),
        ("R1", "paused"), ("R1", "sending"), ("R1", "completed"), ("R1", "draft")]
    # the ones sent back lose their approval and schedule, and their version moves on
    assert [tuple(row[3:]) for row in got[3:6]] == [(4, 1, 1)] * 3
    assert got[6][3] == 3 and got[9][3] == 3
