"""The report counts against the snapshot; the research-note link is counted, expires politely; the API
schedules and reports."""
from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from core.extensions import db
from messaging import inbound
from messaging.models import OutboundMessage
from tests.broadcast.helpers import start_now


def test_report_counts_by_state_tier_and_error(app, approved, clock, worker, gateway, api_token):
    from sms.gateway import GatewayError

    gateway.script["+8613800000001"] = [GatewayError("invalid", retryable=False, code="21211", status=400)]
    gateway.script["+8613800000002"] = [GatewayError("unsubscribed", retryable=False, code="21610", status=400)]
    start_now(app, approved, clock, worker)
    worker.send_batch()
    from broadcast.report import report

    r = report(db.session, approved)
    assert r["recipients"] == 5 and r["handed_over"] == 5 and r["opted_out"] == 1
    assert r["counts"]["queued"] == 3 and r["counts"]["failed"] == 2 and r["errors"] == {"21211": 1, "21610": 1}
    assert r["by_tier"] == {"gold": {"queued": 3, "failed": 2}}
    api = app.test_client().get(f"/api/v1/broadcasts/{approved.id}/report", headers=api_token(approved.chief)).json
    assert api["counts"] == r["counts"] and api["state"] == "sending"


def test_note_link_is_counted_and_expires_politely(app, client, approved, clock, worker, monkeypatch):
    start_now(app, approved, clock, worker)
    worker.send_batch()
    m = db.session.scalars(sa.select(OutboundMessage)).first()
    page = client.get(f"/n/{m.note_token}")
    assert page.status_code == 200 and "早评" in page.get_data(as_text=True)
    client.get(f"/n/{m.note_token}")
    db.session.expire_all()
    m = db.session.get(OutboundMessage, m.id)
    assert m.note_opens == 2 and m.note_first_opened_at is not None
    from broadcast.report import report

    assert report(db.session, approved)["note_readers"] == 1
    assert client.get("/n/not-a-token").status_code == 404
    m.handed_over_at = m.handed_over_at - timedelta(days=8)
    db.session.commit()
    gone = client.get(f"/n/{m.note_token}")
    assert gone.status_code == 410 and "早评" not in gone.get_data(as_text=True)


def test_csv_export_guards_against_formulas(app, client, auth, approved, clock, worker):
    from clients.models import Client

    db.session.scalar(sa.select(Client).where(Client.account_no == "1")).name = "=HYPERLINK(\"x\")"
    db.session.commit()
    start_now(app, approved, clock, worker)
    auth.login(approved.chief.email)
    body = client.get(f"/broadcasts/{approved.id}/report.csv").get_data(as_text=True)
    assert body.startswith("\ufeff资金账号,") and "'=HYPERLINK" in body and len(body.strip().splitlines()) == 6


def test_api_schedule_refuses_bad_recurrences_and_times(app, client, approved, api_token):
    headers = api_token(approved.chief)
    url = f"/api/v1/broadcasts/{approved.id}/schedule"
    assert client.post(url, headers=headers, json={"recurrence": "daily"}).json["field"] == "recurrence"
    assert client.post(url, headers=headers, json={"recurrence": 5}).json["field"] == "recurrence"
    assert client.post(url, headers=headers, json={"send_at": "soon"}).json["field"] == "send_at"
    assert client.post(url, headers=headers, json={"send_at": "2020-01-01T08:00:00+08:00"}).status_code == 400
    ok = client.post(url, headers=headers, json={"send_at": "2031-01-02T09:30:00+08:00"})
    assert ok.status_code == 200 and ok.json["state"] == "scheduled"
    assert client.post(url, headers=headers, json={}).status_code == 409


def test_api_schedules_a_recurring_commentary(app, client, approved, api_token):
    response = client.post(f"/api/v1/broadcasts/{approved.id}/schedule", headers=api_token(approved.chief),
                           json={"recurrence": "trading_days@08:30"})
    assert response.status_code == 200 and response.json["send_at"].endswith(":30:00+00:00")


def test_the_report_counts_replies_by_category(app, approved, clock, worker, client):
    from broadcast.report import report
    from followups import intake
    from followups.settings import FollowUpSettings

    start_now(app, approved, clock, worker)
    worker.send_batch()
    settings = FollowUpSettings.from_config(app.config)
    for n, (number, text) in enumerate([("+8613800000003", "螺纹止损设多少？"), ("+8613800000004", "退订"),
                                        ("+8613800000005", "谢谢老师")]):
        message = inbound.store(db.session, inbound.parse_webhook(
            {"MessageSid": f"SM{n:032d}", "From": number, "To": "x", "Body": text}), clock())
        intake.route_or_triage(db.session, message.id, settings, clock())
    assert report(db.session, approved)["replies"] == {"research_question": 1, "opt_out": 1, "feedback": 1}


def test_a_note_is_watermarked_for_its_reader_names_its_analyst_and_stays_out_of_search(app, client, approved, clock,
                                                                                        worker):
    from clients.models import Client

    db.session.scalar(sa.select(Client).where(Client.account_no == "1")).account_no = "83000001"
    db.session.commit()
    start_now(app, approved, clock, worker)
    m = db.session.scalar(sa.select(OutboundMessage).join(Client).where(Client.account_no == "83000001"))
    page = client.get(f"/n/{m.note_token}")
    html = page.get_data(as_text=True)
    # T0 is 10:00 in Shanghai: the time of opening by the app's clock, in TIMEZONE
    assert 'class="watermark"' in html and html.count("83***001 2026-11-25 10:00") >= 10
    assert "83000001" not in html
    chief = approved.chief
    assert chief.name in html and chief.qualification_no in html
    assert page.headers["X-Robots-Tag"].startswith("noindex") and '<meta name="robots" content="noindex' in html
    assert "<script" not in html and "style=" not in html  # the watermark is the stylesheet's, nothing inline
    gone = client.get("/n/not-a-token")
    assert gone.headers["X-Robots-Tag"].startswith("noindex")


def test_the_sms_names_the_analyst_and_their_qualification(app, make_staff, book, clock):
    from broadcast import sending, service, texts
    from broadcast.settings import Settings

    settings = Settings.from_config(app.config)
    chief = make_staff("chief_analyst", name="王首席", qualification_no="Z0012345")
    b = service.create_draft(db.session, {"kind": "daily_comment", "title": "早评", "body": "{name}：今日观点。{analyst}",
                                          "audience": {"tiers": ["gold"]}}, chief, settings)
    assert "分析师王首席（投资咨询从业资格号Z0012345）" in texts.render_for(b, None, settings)
    sending.snapshot(db.session, b, settings, clock())
    bodies = db.session.scalars(sa.select(OutboundMessage.body)).all()
    assert len(bodies) == 5 and all("分析师王首席（投资咨询从业资格号Z0012345）" in t for t in bodies)


@pytest.mark.parametrize("data", [
    {"kind": "daily_comment", "title": "早评", "body": "早评见{note_link}", "note_markdown": "## 早评"},
    {"kind": "trade_suggestion", "title": "rb", "body": "{contract}{direction}，止损{stop}",
     "suggestion": {"contract": "rb2510", "direction": "long", "entry": "3150", "stop": "3098", "targets": ["3260"],
                    "position_pct": 10, "valid_until": "2026-11-25T18:00", "risk_statement": "有风险"}},
])
def test_advice_from_an_analyst_without_a_qualification_is_not_submitted(app, make_staff, book, clock, data):
    from broadcast import service
    from broadcast.settings import Settings

    settings = Settings.from_config(app.config)
    unqualified = make_staff("chief_analyst", qualification_no=None)
    b = service.create_draft(db.session, {**data, "audience": {"tiers": ["gold"]}}, unqualified, settings)
    with pytest.raises(service.NotCompliant) as refused:
        service.submit(db.session, b, unqualified, settings, now=clock())
    assert [p.field for p in refused.value.problems] == ["author"]
    unqualified.qualification_no = "Z0099999"
    assert service.submit(db.session, b, unqualified, settings, now=clock()).state.value == "submitted"
