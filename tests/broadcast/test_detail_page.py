"""The broadcast page while and after it is sent: send-now confirmation, the schedule form after a refusal and
in quiet hours, one truth from the snapshot, progress, no empty card, the list's delivered / total."""
from __future__ import annotations

import html
import re
from datetime import datetime, time, timezone
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from broadcast import scheduling
from broadcast.models import Broadcast, BroadcastState
from broadcast.report import report
from clients.models import Client
from core.calendar import Calendar
from core.extensions import db
from messaging.models import MessageState, OutboundMessage
from tests.broadcast.helpers import start_now

SHANGHAI = ZoneInfo("Asia/Shanghai")
NIGHT = datetime(2026, 11, 25, 14, 30, tzinfo=timezone.utc)  # 22:30 in Shanghai, a Wednesday


def page(client, b) -> str:
    response = client.get(f"/broadcasts/{b.id}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def attribute(text: str, element_id: str, name: str) -> str | None:
    tag = re.search(rf'<[^>]*\bid="{element_id}"[^>]*>', text, re.S)
    assert tag, f"no element #{element_id}"
    value = re.search(rf'\b{name}="([^"]*)"', tag.group(0))
    return html.unescape(value.group(1)) if value else None


def radio(text: str, value: str) -> str:
    return re.search(rf'<input type="radio" name="when" value="{value}"[^>]*>', text).group(0)


@pytest.fixture
def signed_in(auth, approved):
    auth.login(approved.chief.email)
    return auth


def test_send_now_asks_first_naming_the_recipients_and_the_cost(client, signed_in, approved, clock):
    text = page(client, approved)
    asked = attribute(text, "schedule-form", "data-confirm")
    assert asked == attribute(text, "schedule-form", "data-confirm-now")
    assert "5" in asked and "¥0.25" in asked, asked  # five gold clients, one segment each at ¥0.05
    assert "checked" in radio(text, "now")


def test_a_refused_schedule_keeps_the_choice_and_the_time(client, signed_in, approved, clock):
    past = "2026-11-24T09:15"  # the day before the clock's today: refused
    refused = signed_in.post(f"/broadcasts/{approved.id}/schedule",
                             {"when": "at", "send_at": past, "version": str(approved.version)})
    assert refused.status_code == 302 and "when=at" in refused.headers["Location"]
    text = client.get(refused.headers["Location"]).get_data(as_text=True)
    assert 'class="flash error"' in text
    assert "checked" in radio(text, "at") and "checked" not in radio(text, "now")
    assert f'name="send_at" value="{past}"' in text
    assert attribute(text, "schedule-form", "data-confirm") is None  # "at" chosen: nothing to confirm for now
    db.session.expire_all()
    assert db.session.get(Broadcast, approved.id).state == BroadcastState.approved


@pytest.mark.parametrize("local, expected", [
    (datetime(2026, 11, 25, 22, 30), datetime(2026, 11, 26, 8, 0)),  # evening: tomorrow morning
    (datetime(2026, 11, 26, 3, 0), datetime(2026, 11, 26, 8, 0)),  # after midnight: this morning
    (datetime(2026, 11, 26, 21, 0), datetime(2026, 11, 27, 8, 0)),  # the first quiet minute
    (datetime(2026, 11, 26, 8, 0), datetime(2026, 11, 26, 8, 0)),  # the end of quiet hours is allowed
    (datetime(2026, 11, 26, 14, 0), datetime(2026, 11, 26, 14, 0)),  # afternoon: now
])
def test_the_earliest_time_outside_quiet_hours(local, expected):
    calendar = Calendar(quiet=(time(21, 0), time(8, 0)))
    moment = local.replace(tzinfo=SHANGHAI).astimezone(timezone.utc)
    assert scheduling.next_allowed(calendar, moment) == expected.replace(tzinfo=SHANGHAI)


def test_quiet_hours_not_spanning_midnight():
    calendar = Calendar(quiet=(time(12, 0), time(13, 30)))
    noon = datetime(2026, 11, 26, 12, 10, tzinfo=SHANGHAI)
    assert scheduling.next_allowed(calendar, noon) == datetime(2026, 11, 26, 13, 30, tzinfo=SHANGHAI)


def test_schedule_choices_keep_what_was_sent_and_never_offer_now_in_quiet_hours():
    calendar = Calendar(quiet=(time(21, 0), time(8, 0)))
    day, night = datetime(2026, 11, 25, 2, 0, tzinfo=timezone.utc), NIGHT
    assert scheduling.schedule_choices({}, calendar, day)["when"] == "now"
    kept = scheduling.schedule_choices({"when": "daily", "daily_at": "09:10"}, calendar, day)
    assert (kept["when"], kept["daily_at"], kept["quiet_now"]) == ("daily", "09:10", False)
    quiet = scheduling.schedule_choices({"when": "now"}, calendar, night)
    assert (quiet["when"], quiet["send_at"], quiet["quiet_now"]) == ("at", "2026-11-26T08:00", True)
    assert scheduling.schedule_choices({"when": "bogus"}, calendar, day)["when"] == "now"


def test_in_quiet_hours_now_is_refused_and_the_earliest_time_is_one_click(app, client, signed_in, approved, clock,
                                                                          monkeypatch):
    monkeypatch.setitem(app.config, "QUIET_HOURS", "21:00-08:00")
    clock.set(NIGHT)
    text = page(client, approved)
    assert "disabled" in radio(text, "now") and "checked" in radio(text, "at")
    offer = re.search(r'<form[^>]*class="earliest".*?</form>', text, re.S).group(0)
    assert 'name="send_at" value="2026-11-26T08:00"' in offer and 'name="when" value="at"' in offer

    refused = signed_in.post(f"/broadcasts/{approved.id}/schedule", {"when": "now", "version": str(approved.version)})
    shown = client.get(refused.headers["Location"]).get_data(as_text=True)
    assert "2026-11-26 08:00" in re.search(r'<p class="flash error"[^>]*>(.*?)</p>', shown, re.S).group(1)
    db.session.expire_all()
    assert db.session.get(Broadcast, approved.id).state == BroadcastState.approved

    fields = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', offer))
    done = signed_in.post(f"/broadcasts/{approved.id}/schedule", {k: v for k, v in fields.items() if k != "csrf_token"})
    assert done.status_code == 302
    db.session.expire_all()
    b = db.session.get(Broadcast, approved.id)
    assert b.state == BroadcastState.scheduled
    assert b.send_at == datetime(2026, 11, 26, 8, 0, tzinfo=SHANGHAI)


def _sent(app, approved, clock, worker):
    start_now(app, approved, clock, worker)
    worker.send_batch()
    worker.tick()
    db.session.expire_all()
    return db.session.get(Broadcast, approved.id)


def test_a_finished_broadcast_shows_one_truth_from_its_snapshot(app, client, signed_in, approved, clock, worker):
    b = _sent(app, approved, clock, worker)
    assert b.state == BroadcastState.completed
    for account in ("1", "2"):  # two clients opt out after it went: today's book has three
        db.session.scalar(sa.select(Client).where(Client.account_no == account)).opted_out = True
    db.session.commit()
    text = page(client, b)
    card = re.search(r'id="card-recipients">(\d+)<', text).group(1)
    reported = re.search(r'<td>[^<]*</td><td class="num">(\d+)</td></tr>', text.split('id="report"')[1]).group(1)
    assert card == reported == "5"
    assert re.search(r'id="card-tiers">.*?<td class="num">(\d+)</td>', text, re.S).group(1) == "5"
    assert re.search(r'data-tier-total="gold">(\d+)<', text).group(1) == "5"
    assert 'id="as-sent"' in text
    assert re.search(r'id="card-cost">([^<]*)<', text).group(1) == "¥0.25"


def test_the_snapshot_costs_only_what_is_handed_over_or_still_to_be(app, client, signed_in, approved, clock,
                                                                   worker):
    """A message suppressed (the client opted out before its turn) or cancelled is never paid for."""
    from messaging.models import MessageState, OutboundMessage

    b = _sent(app, approved, clock, worker)
    first = db.session.scalars(sa.select(OutboundMessage).where(OutboundMessage.broadcast_id == b.id)
                               .order_by(OutboundMessage.id)).first()
    first.state = MessageState.suppressed
    db.session.commit()
    text = page(client, b)
    assert re.search(r'id="card-recipients">(\d+)<', text).group(1) == "5"  # the snapshot, all of it
    assert re.search(r'id="card-cost">([^<]*)<', text).group(1) == "¥0.20"  # four paid for


def test_the_progress_follows_the_state_with_counts_and_times(app, client, signed_in, approved, clock, worker):
    scheduled = client.get(f"/broadcasts/progress?ids={approved.id}").json[str(approved.id)]
    assert scheduled["state"] == "approved" and scheduled["recipients"] == 0
    b = _sent(app, approved, clock, worker)
    item = client.get(f"/broadcasts/progress?ids={b.id}").json[str(b.id)]
    assert {k: item[k] for k in ("state", "live", "recipients", "handed_over", "delivered", "undelivered",
                                 "failed")} == {"state": "completed", "live": False, "recipients": 5,
                                                "handed_over": 5, "delivered": 0, "undelivered": 0, "failed": 0}
    assert item["awaiting"] == 5  # handed over, no delivery report yet: the page keeps reading
    assert item["started_at"] == "2026-11-25 10:00:00" and item["finished_at"] == "2026-11-25 10:00:00"
    assert item["state_label"] and item["state_note"]
    text = page(client, b)
    assert re.search(r'<progress id="progress-bar" max="5" value="5"', text)
    assert 'data-count="delivered">0<' in text and "2026-11-25 10:00:00" in text


def test_a_finished_commentary_has_no_empty_card(app, client, auth, approved, clock, worker, make_staff):
    b = _sent(app, approved, clock, worker)
    make_staff("approver", email="reader@example.com")
    auth.login("reader@example.com")
    text = page(client, b)
    assert 'id="side"' not in text
    for card in re.findall(r'<(?:div|section) class="card[^"]*"[^>]*>(.*?)</(?:div|section)>', text, re.S):
        assert card.strip(), "an empty card"


def test_its_author_gets_no_card_holding_only_the_clone_button(app, client, auth, approved, clock, worker):
    """The author may clone it: the button sits under the title, not alone in an otherwise empty card."""
    b = _sent(app, approved, clock, worker)
    auth.login(approved.chief.email)
    text = page(client, b)
    assert 'id="side"' not in text and 'class="page-actions"' in text and f"/broadcasts/{b.id}/clone" in text


def test_the_list_shows_delivered_over_total_for_finished_broadcasts(app, client, signed_in, approved, clock,
                                                                     worker):
    b = _sent(app, approved, clock, worker)
    db.session.execute(sa.update(OutboundMessage).where(OutboundMessage.client_id.in_(
        sa.select(Client.id).where(Client.account_no.in_(["1", "2", "3"])))).values(state=MessageState.delivered))
    db.session.commit()
    text = client.get("/broadcasts").get_data(as_text=True)
    cell = re.search(rf'<td data-progress="{b.id}"[^>]*>(.*?)</td>', text, re.S).group(1)
    assert "3 / 5" in cell


def test_errors_by_code_say_what_they_mean(app, client, signed_in, approved, clock, worker, gateway):
    from sms.gateway import GatewayError

    gateway.script["+8613800000001"] = [GatewayError("unknown", retryable=False, code="30005", status=400)]
    b = _sent(app, approved, clock, worker)
    assert report(db.session, b)["errors"] == {"30005": 1}
    text = page(client, b)
    errors = text.split("Errors by code")[-1] if "Errors by code" in text else text.split('id="report"')[1]
    assert re.search(r"<td>30005 [^<]+</td>", errors), "the code alone, without what it means"


def test_the_per_tier_tables_are_headed_so_they_do_not_read_as_one(app, client, signed_in, approved, make_client):
    """Recipients by tier and who appropriateness leaves out by tier sit one above the other: each has its own
    heading row, or the two 黄金 rows read as one table with a duplicate."""
    from clients.tiers import Tier

    make_client("88001", tier=Tier.gold, risk_assessed_on=None)  # never assessed: left out
    text = page(client, approved)
    card = re.search(r'<table class="compact tiers" id="card-tiers">(.*?)</table>', text, re.S).group(1)
    left_out = re.search(r'id="preview-excluded">.*?<table class="compact tiers">(.*?)</table>', text, re.S).group(1)
    for table, column in ((card, "接收人数"), (left_out, "未发送原因及人数")):
        assert re.search(rf"<thead><tr><th>客户等级</th><th[^>]*>{column}</th></tr></thead>", table), table
    assert text.index('id="card-tiers"') < text.index('id="preview-excluded"')
