"""Drafts, audiences, four-eyes approval and the preview, through the service functions on a real database."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from broadcast import audience as audiences
from broadcast import service, texts
from broadcast.fields import COMMENT_MAX
from broadcast.models import BroadcastState
from broadcast.settings import Settings
from clients.tiers import Tier
from core.audit import AuditEntry
from core.extensions import db
from core.templating import problem_text

SUGGESTION = {"contract": "rb2510", "direction": "long", "entry": "3150-3170", "stop": "3098",
              "targets": ["3260", "3320"], "position_pct": 20,
              "valid_until": (datetime.now(timezone.utc) + timedelta(days=1)).isoformat(),
              "risk_statement": "期货交易有风险，本建议不保证盈利。"}
BODY = "{name}您好：{contract}建议{direction}，入场{entry}，止损{stop}，目标{target}。{note_link}"


@pytest.fixture
def settings(app):
    return Settings.from_config(app.config)


@pytest.fixture
def people(make_staff):
    return {"chief": make_staff("chief_analyst", email="chief@example.com"),
            "approver": make_staff("approver", email="ok@example.com"),
            "both": make_staff("chief_analyst", "approver", email="both@example.com")}


def new_suggestion(actor, settings, **changes):
    data = {"kind": "trade_suggestion", "title": "螺纹钢", "body": BODY, "note_markdown": "## 理由\n库存下降。",
            "suggestion": dict(SUGGESTION), "audience": {"tiers": ["vip"]}, **changes}
    b = service.create_draft(db.session, data, actor, settings)
    db.session.commit()
    return b


def test_audience_never_reaches_opted_out_mobileless_or_unchosen_dormant_clients(app, make_client):
    make_client("1", tier=Tier.gold)
    make_client("2", tier=Tier.gold, opted_out=True)
    make_client("3", tier=Tier.gold, mobile=None)
    make_client("4", tier=Tier.dormant, branch="北京朝阳营业部")
    make_client("5", tier=Tier.effective, branch="北京朝阳营业部")
    make_client("6", tier=None, branch="北京朝阳营业部")

    def accounts(data):
        query = audiences.recipients_query(audiences.parse(data))
        return sorted(c.account_no for c in db.session.scalars(query))

    assert accounts({"tiers": ["vip"]}) == ["1"]
    assert accounts({"branches": ["北京朝阳营业部"]}) == ["5", "6"]
    assert accounts({"branches": ["北京朝阳营业部"], "include_dormant": True}) == ["4", "5", "6"]
    assert accounts({"tiers": ["dormant"]}) == ["4"]
    assert accounts({"tiers": ["vip"], "include": ["4", "2", "999"]}) == ["1", "4"]
    assert accounts({"tiers": ["vip", "effective"], "exclude": ["1"]}) == ["5"]
    assert accounts({}) == []
    assert audiences.count_by_tier(db.session, audiences.parse({"branches": ["北京朝阳营业部"]})) == \
        {"effective": 1, "none": 1}


@pytest.mark.parametrize("data, field", [
    ({"tiers": ["bronze"]}, "tiers"),
    ({"tiers": "gold"}, None),
    ({"include": [1, 2]}, "include"),
    ({"include_dormant": "yes"}, "include_dormant"),
])
def test_audience_input_is_checked(data, field):
    if field is None:
        assert audiences.parse(data).tiers == ("gold",)
        return
    with pytest.raises(audiences.AudienceError) as info:
        audiences.parse(data)
    assert info.value.field == field


def test_draft_submit_approve_with_audit_trail(app, people, settings, make_client):
    make_client("1", tier=Tier.gold)
    b = new_suggestion(people["chief"], settings)
    assert b.state == BroadcastState.draft and b.targets == ["3260", "3320"]
    service.submit(db.session, b, people["chief"], settings)
    service.approve(db.session, b, people["approver"])
    db.session.commit()
    assert b.state == BroadcastState.approved and b.decided_by_id == people["approver"].id
    actions = db.session.scalars(sa.select(AuditEntry.action).where(AuditEntry.object_type == "broadcast")
                                 .order_by(AuditEntry.id)).all()
    assert actions == ["broadcast.create", "broadcast.submit", "broadcast.approve"]


def test_four_eyes_even_for_someone_who_holds_both_roles(app, people, settings, make_client):
    make_client("1", tier=Tier.gold)
    b = new_suggestion(people["both"], settings)
    service.submit(db.session, b, people["both"], settings)
    with pytest.raises(service.BroadcastError) as info:
        service.approve(db.session, b, people["both"])
    assert info.value.status == 403 and "four eyes" in str(info.value)


def test_reject_needs_a_comment_and_the_author_can_fix_and_resubmit(app, people, settings, make_client):
    make_client("1", tier=Tier.gold)
    b = new_suggestion(people["chief"], settings)
    service.submit(db.session, b, people["chief"], settings)
    with pytest.raises(service.BroadcastError):
        service.reject(db.session, b, people["approver"], "  ")
    with pytest.raises(service.BroadcastError) as too_long:
        service.reject(db.session, b, people["approver"], "长" * (COMMENT_MAX + 1))
    with app.test_request_context(), force_locale("zh"):  # named by its label, never "comment"
        assert problem_text(too_long.value.template, too_long.value.args_) == f"意见超过 {COMMENT_MAX} 个字符"
    service.reject(db.session, b, people["approver"], "止损太近")
    assert b.state == BroadcastState.rejected and b.decision_comment == "止损太近"
    with pytest.raises(service.BroadcastError) as again:  # the state named as the pages name it, never "rejected"
        service.approve(db.session, b, people["approver"])
    with app.test_request_context(), force_locale("zh"):
        assert "被拒" in problem_text(again.value.template, again.value.args_)
        assert "rejected" not in problem_text(again.value.template, again.value.args_)
    service.update_draft(db.session, b, {"suggestion": {"stop": "3080"}}, people["chief"], settings)
    service.submit(db.session, b, people["chief"], settings)
    assert b.state == BroadcastState.submitted


@pytest.mark.parametrize("state_after", ["submitted", "approved"])
def test_editing_sends_a_submitted_or_approved_broadcast_back_to_draft(app, people, settings, make_client, state_after):
    make_client("1", tier=Tier.gold)
    b = new_suggestion(people["chief"], settings)
    service.submit(db.session, b, people["chief"], settings)
    if state_after == "approved":
        service.approve(db.session, b, people["approver"])
    service.update_draft(db.session, b, {"title": "螺纹钢（修订）"}, people["chief"], settings)
    assert b.state == BroadcastState.draft and b.decided_by_id is None
    with pytest.raises(service.BroadcastError):
        service.approve(db.session, b, people["approver"])


def test_submission_runs_every_compliance_check(app, people, settings, make_client):
    make_client("1", tier=Tier.gold)
    bad = dict(SUGGESTION, stop="", position_pct=50, risk_statement="")
    b = new_suggestion(people["chief"], settings, suggestion=bad, body="{name}：保证盈利！{contract}",
                       audience={})
    with pytest.raises(service.NotCompliant) as info:
        service.submit(db.session, b, people["chief"], settings)
    assert {p.field for p in info.value.problems} == {"stop", "position_pct", "risk_statement", "body", "audience"}
    assert b.state == BroadcastState.draft


@pytest.mark.parametrize("data, field", [
    ({"body": "{nmae}您好"}, "body"),
    ({"kind": "horoscope"}, "kind"),
    ({"title": ""}, "title"),
    ({"suggestion": {"direction": "up"}}, "suggestion.direction"),
    ({"suggestion": {"position_pct": "abc"}}, "suggestion.position_pct"),
    ({"suggestion": {"valid_until": "tomorrow"}}, "suggestion.valid_until"),
    ({"audience": {"tiers": ["bronze"]}}, "audience.tiers"),
])
def test_bad_input_is_refused_at_save_time_naming_the_field(app, people, settings, data, field):
    with pytest.raises(service.BroadcastError) as info:
        new_suggestion(people["chief"], settings, **data)
    assert info.value.field == field


def test_a_time_without_offset_is_local(app, people, settings):
    b = new_suggestion(people["chief"], settings, suggestion=dict(SUGGESTION, valid_until="2030-01-02T15:00"))
    assert b.valid_until == datetime(2030, 1, 2, 7, 0, tzinfo=timezone.utc)


def test_preview_counts_text_segments_cost_and_time(app, people, settings, make_client):
    make_client("1", name="王芳", tier=Tier.gold)
    make_client("2", tier=Tier.diamond)
    make_client("3", tier=Tier.effective)
    b = new_suggestion(people["chief"], settings)
    p = texts.preview(db.session, b, settings, viewer=people["chief"])
    assert p["text"].startswith(f"【{app.config['COMPANY_NAME']}】王芳您好：rb2510建议做多")
    assert p["text"].endswith("拒收请回复R") and "/n/" in p["text"]
    assert p["encoding"] == "UCS-2" and p["recipients"] == 2 and p["by_tier"] == {"gold": 1, "diamond": 1}
    assert p["segments"] == 2 and p["total_segments"] == 4
    assert p["cost"] == "0.20" and p["send_seconds"] == 0.2


def test_english_broadcast_uses_the_english_opt_out_line(app, people, settings, make_client):
    make_client("1", name="Li Lei", tier=Tier.gold)
    b = new_suggestion(people["chief"], settings, kind="daily_comment", body="Dear {name}, markets are calm.",
                       language="en", note_markdown="")
    p = texts.preview(db.session, b, settings)
    assert p["encoding"] == "UCS-2"  # the 【】 signature is not GSM-7
    assert p["text"].endswith("markets are calm. Reply STOP to opt out")


def test_four_eyes_covers_whoever_edited_or_submitted(app, people, settings, make_client, make_staff):
    make_client("1", tier=Tier.gold)
    writer = make_staff("researcher", email="writer@example.com")
    b = new_suggestion(writer, settings)
    service.update_draft(db.session, b, {"title": "改过"}, people["both"], settings)
    service.submit(db.session, b, people["chief"], settings)
    with pytest.raises(service.BroadcastError) as info:
        service.approve(db.session, b, people["both"])
    assert info.value.status == 403
    service.approve(db.session, b, people["approver"])


def test_an_approval_applies_to_the_submission_the_approver_read(app, people, settings, make_client):
    make_client("1", tier=Tier.gold)
    b = new_suggestion(people["chief"], settings)
    service.submit(db.session, b, people["chief"], settings)
    seen = service.submission_mark(b)
    service.update_draft(db.session, b, {"title": "偷偷改了"}, people["chief"], settings)
    service.submit(db.session, b, people["chief"], settings, now=datetime(2026, 11, 25, 9, 0, tzinfo=timezone.utc))
    with pytest.raises(service.BroadcastError) as info:
        service.approve(db.session, b, people["approver"], seen=seen)
    assert info.value.status == 409
    service.approve(db.session, b, people["approver"], seen=service.submission_mark(b))
    assert b.state == BroadcastState.approved


def test_note_link_without_a_note_is_refused_at_save_time(app, people, settings):
    with pytest.raises(service.BroadcastError) as info:
        new_suggestion(people["chief"], settings, note_markdown="")
    assert info.value.field == "body" and "note_link" in str(info.value)


def test_a_researcher_edits_only_their_own_broadcasts(app, people, settings, make_staff):
    researcher = make_staff("researcher")
    b = new_suggestion(people["chief"], settings)
    with pytest.raises(service.BroadcastError) as info:
        service.update_draft(db.session, b, {"title": "x"}, researcher, settings)
    assert info.value.status == 403
    own = new_suggestion(researcher, settings)
    service.update_draft(db.session, own, {"title": "y"}, researcher, settings)
    service.update_draft(db.session, own, {"title": "z"}, people["chief"], settings)
    assert own.title == "z"


def test_the_segment_limit_holds_for_every_recipient_not_only_the_sample(app, people, settings, make_client):
    make_client("1", name="王", tier=Tier.gold)
    make_client("2", name="欧阳" * 50, tier=Tier.gold)  # a 100-character name
    body = "{name}您好：" + "市" * 370
    b = service.create_draft(db.session, {"kind": "daily_comment", "title": "长", "body": body,
                                          "audience": {"tiers": ["gold"]}}, people["chief"], settings)
    p = texts.preview(db.session, b, settings, viewer=people["chief"])
    assert p["segments"] == 6 and p["max_segments"] == 8 and p["total_segments"] == 14 and p["exact"]
    with pytest.raises(service.NotCompliant) as info:
        service.submit(db.session, b, people["chief"], settings)
    assert [problem.field for problem in info.value.problems] == ["body"]
    assert "8 segments" in str(info.value.problems[0])
