"""A broadcast's page follows its send without a reload: the badge and the progress bar move from scheduled to
sending to completed, and "send now" asks first, naming the recipients and the cost."""
from __future__ import annotations

import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from broadcast import scheduling, service
from broadcast.models import Broadcast, BroadcastState
from broadcast.settings import Settings
from clients.tiers import Tier
from core import clock
from core.calendar import calendar_for
from core.extensions import db
from tests.e2e.conftest import SENDING_MS, zh

CLIENTS = 4


@pytest.fixture
def approved(app, make_staff, make_client):
    chief = make_staff("chief_analyst", email="chief@example.com", name="陈首席")
    approver = make_staff("approver", email="compliance@example.com", name="合规林")
    for i in range(1, CLIENTS + 1):
        make_client(f"8200{i}", name=f"客户{i}", mobile=f"+8613700000{i:03d}", tier=Tier.gold)
    settings = Settings.from_config(app.config)
    b = service.create_draft(db.session, {"kind": "daily_comment", "title": "今日早评", "body": "{name}您好，早盘偏强。",
                                          "audience": {"tiers": ["gold"]}}, chief, settings)
    service.submit(db.session, b, chief, settings)
    service.approve(db.session, b, approver)
    db.session.commit()
    return b.id


def test_send_now_asks_naming_the_recipients_and_the_cost(app, site, users, approved, screenshot):
    analyst = users.sign_in("chief@example.com")
    analyst.goto(f"/broadcasts/{approved}")
    # each radio button on one line with its label (and its time field), not stacked in a column
    for choice in ("now", "at", "daily"):
        radio, label = analyst.locator(f"#when-{choice}"), analyst.locator(f"label[for=when-{choice}]")
        r, t = radio.bounding_box(), label.bounding_box()
        assert abs((r["y"] + r["height"] / 2) - (t["y"] + t["height"] / 2)) < 6 and r["x"] < t["x"]
    screenshot(analyst, "schedule")
    asked: list[str] = []

    def answer(dialog, accept: bool) -> None:
        asked.append(dialog.message)
        dialog.accept() if accept else dialog.dismiss()

    analyst.once("dialog", lambda d: answer(d, False))
    schedule = analyst.locator("#schedule-form")
    schedule.get_by_role("button", name=zh("Schedule")).click()
    expected = zh("Send to %(n)s clients now, at a cost of about %(cost)s?", n=CLIENTS, cost="¥0.20")
    assert asked == [expected]
    expect(analyst.locator("#state-badge")).to_have_text(zh("Approved"))  # dismissed: nothing happened

    # another time is not "now": no question (the choice is read when the form is sent)
    schedule.locator("#when-at").check()
    assert schedule.get_attribute("data-confirm") is None
    schedule.locator("#when-now").check()
    analyst.once("dialog", lambda d: answer(d, True))
    schedule.get_by_role("button", name=zh("Schedule")).click()
    expect(analyst.locator("#state-badge")).not_to_have_text(zh("Approved"))
    assert asked == [expected, expected]
    # the flash says what was done, once; when the state moves on it goes, and the state note says where it is
    flash = analyst.locator("main > .flash.success")
    if flash.count():
        assert flash.inner_text() == zh("Sending now: the worker starts handing the messages over within seconds.")
    expect(analyst.locator("#state-badge")).to_have_text(zh("Completed"), timeout=20_000)
    expect(flash).to_have_count(0)
    expect(analyst.locator("#state-note")).to_have_text(
        zh("Completed: every message was handed over; delivery reports may still come in."))


def test_badge_and_progress_bar_follow_the_send_without_a_reload(app, site, users, approved, screenshot):
    gate = threading.Event()
    hand_over = site.gateway.send

    def held(to, body, status_callback):  # the provider answers only when the test lets it
        gate.wait(SENDING_MS / 1000)
        return hand_over(to, body, status_callback)

    site.gateway.send = held
    try:
        b = db.session.get(Broadcast, approved)
        chief = b.author
        scheduling.schedule(db.session, b, chief, clock.now() + timedelta(seconds=4), Settings.from_config(app.config),
                            clock.now(), calendar_for(app.config))
        db.session.commit()

        analyst = users.sign_in("chief@example.com")
        analyst.goto(f"/broadcasts/{approved}")
        analyst.evaluate("window.notReloaded = true")
        badge, bar = analyst.locator("#state-badge"), analyst.locator("#progress-bar")
        expect(badge).to_have_text(zh("Scheduled"))
        expect(analyst.locator("#progress")).to_be_visible()
        assert bar.get_attribute("value") == "0"

        expect(badge).to_have_text(zh("Sending"), timeout=SENDING_MS)
        expect(analyst.locator("#state-note")).to_have_text(zh("Sending: the worker is handing the messages over."))
        expect(analyst.locator('[data-count="recipients"]')).to_have_text(str(CLIENTS))
        expect(analyst.locator('[data-time="started_at"]')).not_to_have_text("—")
        assert bar.evaluate("b => b.value") == 0  # the provider has taken none yet

        gate.set()
        expect(badge).to_have_text(zh("Completed"), timeout=SENDING_MS)
        expect(analyst.locator('[data-count="handed_over"]')).to_have_text(str(CLIENTS))
        assert bar.evaluate("b => [b.value, b.max]") == [CLIENTS, CLIENTS]
        expect(analyst.locator('[data-time="finished_at"]')).not_to_have_text("—")
        expect(analyst.locator('[data-count="delivered"]')).to_have_text(str(CLIENTS), timeout=SENDING_MS)
        # the report below followed too: its delivered row, taken from the page again
        report = analyst.locator("#report")
        expect(report.locator("tr", has=analyst.locator("td", has_text=zh("Delivered"))).first.locator("td.num")) \
            .to_have_text(str(CLIENTS), timeout=SENDING_MS)
        expect(analyst.locator("#as-sent")).to_be_visible()  # what clients received: now counted on the snapshot
        expect(analyst.locator("#card-recipients")).to_have_text(str(CLIENTS))
        assert analyst.evaluate("window.notReloaded") is True
        expect(analyst.locator("#controls")).to_have_count(0)  # nothing left to pause or cancel

        for language in ("zh", "en"):
            if language == "en":
                analyst.set_viewport_size({"width": 1366, "height": 768})
                analyst.locator("header form[action$='/language/en'] button").click()
                expect(badge).to_have_text("Completed")
            for width, height in ((1366, 768), (375, 812)):
                analyst.set_viewport_size({"width": width, "height": height})
                screenshot(analyst, f"report-{language}-{width}")
        db.session.expire_all()
        assert db.session.scalar(sa.select(Broadcast.state).where(Broadcast.id == approved)) \
            == BroadcastState.completed
    finally:
        gate.set()
