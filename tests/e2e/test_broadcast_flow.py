"""The chief analyst's trade suggestion, from the compose page to the delivery report, with compliance between."""
from __future__ import annotations

import re
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from playwright.sync_api import Page, expect

from broadcast.models import Broadcast, BroadcastState
from clients.tiers import Tier
from core.extensions import db
from messaging.models import MessageState, OutboundMessage
from tests.e2e.conftest import SENDING_MS, zh

SHORT_BODY = "{name}您好：{contract}建议{direction}，入场{entry}，目标{target}。"
LONGER = "库存连续三周下降，现货升水扩大，基差修复有望带动盘面上行；请控制仓位，严格执行止损，切勿满仓操作。"
FIXED_BODY = "{name}您好：{contract}建议{direction}，入场{entry}，止损{stop}，目标{target}。" + LONGER
REJECTION = "短信正文没有写止损位，请补上止损再提交。"


def reload_until(page: Page, condition, timeout_ms: int, what: str) -> None:
    """Reload `page` (as a person would) until `condition()` holds."""
    deadline = time.monotonic() + timeout_ms / 1000
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        page.wait_for_timeout(500)
        page.reload()


def number(text: str) -> float:
    match = re.search(r"\d+(?:\.\d+)?", text.replace(",", ""))
    assert match, f"no number in {text!r}"
    return float(match.group())


def test_chief_analyst_suggestion_rejected_fixed_approved_sent(app, site, users, screenshot, make_staff,
                                                               make_client):
    make_staff("chief_analyst", email="chief@example.com", name="陈首席")
    make_staff("approver", email="compliance@example.com", name="合规林")
    vip = [make_client(f"7100{i}", name=name, mobile=f"+8613900000{i:03d}", tier=tier)
           for i, (name, tier) in enumerate([("赵钻石", Tier.diamond), ("钱白金", Tier.platinum),
                                             ("孙黄金", Tier.gold)], 1)]
    make_client("71009", name="李有效", mobile="+8613900000009", tier=Tier.effective)  # not a VIP: not sent to
    valid_until = (datetime.now(ZoneInfo("Asia/Shanghai")) + timedelta(days=2)).strftime("%Y-%m-%dT15:00")

    # the analyst writes the suggestion; the preview follows the typing
    analyst = users.sign_in("chief@example.com")
    analyst.locator("header nav").get_by_role("link", name=zh("Broadcasts")).click()
    analyst.get_by_role("link", name=zh("New broadcast")).click()
    expect(analyst.get_by_role("heading", name=zh("New broadcast"))).to_be_visible()
    form = analyst.locator("#compose")
    form.locator("select[name=kind]").select_option("trade_suggestion")
    form.locator("input[name=title]").fill("螺纹钢多单建议")
    for name, value in {"contract": "rb2605", "entry": "3150-3170", "stop": "3098", "targets": "3260, 3320",
                        "position_pct": "20", "valid_until": valid_until}.items():
        form.locator(f"input[name={name}]").fill(value)
    form.locator("select[name=direction]").select_option("long")
    form.locator("textarea[name=risk_statement]").fill("期货交易有风险，入市需谨慎。")
    form.get_by_role("button", name=zh("All VIP tiers")).click()
    for tier in ("diamond", "platinum", "gold"):
        expect(form.locator(f"input[name=tiers][value={tier}]")).to_be_checked()
    body = form.locator("textarea[name=body]")
    body.fill(SHORT_BODY)
    preview = analyst.locator("#preview")
    expect(preview.locator("#pv-recipients")).to_have_text("3")
    expect(preview.locator("#pv-text")).to_contain_text("rb2605")
    segments, cost = preview.locator("#pv-segments").inner_text(), preview.locator("#pv-cost").inner_text()

    body.press("End")
    body.press_sequentially(LONGER)
    expect(preview.locator("#pv-text")).to_contain_text(LONGER)  # the preview of the whole text has arrived
    expect(preview.locator("#pv-segments")).not_to_have_text(segments)
    assert number(preview.locator("#pv-segments").inner_text()) > number(segments)
    assert number(preview.locator("#pv-cost").inner_text()) > number(cost)
    expect(preview.locator("#pv-problems li")).to_have_count(0)
    vip_labels = [zh("Diamond"), zh("Platinum"), zh("Gold")]  # by rank, highest first
    expect(preview.locator("#pv-tiers")).to_have_text("(" + ", ".join(f"{t} 1" for t in vip_labels) + ")")
    screenshot(analyst, "compose")

    form.get_by_role("button", name=zh("Save draft")).click()
    expect(analyst.locator(".flash.success")).to_have_text(zh("Draft saved."))
    analyst.get_by_role("button", name=zh("Submit for approval")).click()
    expect(analyst.locator(".flash.success")).to_have_text(zh("Submitted for approval."))
    expect(analyst.get_by_text(zh("Waiting for an approver other than you."))).to_be_visible()
    detail_url = analyst.url

    # compliance rejects it with a comment
    approver = users.sign_in("compliance@example.com")
    approver.locator("header nav").get_by_role("link", name=zh("Broadcasts")).click()
    approver.get_by_role("link", name="螺纹钢多单建议").click()
    decide = approver.locator("form.decide")
    decide.locator("textarea[name=comment]").fill(REJECTION)
    decide.get_by_role("button", name=zh("Reject")).click()
    expect(approver.locator(".flash.success")).to_have_text(zh("Rejected; the author sees your comment."))

    # the analyst reads the comment, fixes the text and submits again
    analyst.reload()
    expect(analyst.locator("h1 .badge")).to_have_text(zh("Rejected"))
    expect(analyst.locator(".flash.error")).to_have_text(zh("Rejected: %(comment)s", comment=REJECTION))
    analyst.get_by_role("link", name=zh("Edit")).click()
    analyst.locator("#compose textarea[name=body]").fill(FIXED_BODY)
    expect(analyst.locator("#pv-text")).to_contain_text("3098")
    analyst.locator("#compose").get_by_role("button", name=zh("Save draft")).click()
    analyst.get_by_role("button", name=zh("Submit for approval")).click()
    expect(analyst.locator(".flash.success")).to_have_text(zh("Submitted for approval."))

    # compliance approves
    approver.reload()
    expect(approver.locator("h1 .badge")).to_have_text(zh("Submitted"))
    expect(approver.locator(".sms")).to_contain_text("3098")
    approver.locator("form.decide").get_by_role("button", name=zh("Approve")).click()
    expect(approver.locator(".flash.success")).to_have_text(zh("Approved."))

    # the analyst sends it now, and the report fills with delivery states
    analyst.goto(detail_url)
    expect(analyst.locator("h1 .badge")).to_have_text(zh("Approved"))
    schedule = analyst.locator("form", has=analyst.locator("input[name=when]"))
    expect(schedule.locator("input[name=when][value=now]")).to_be_checked()
    analyst.once("dialog", lambda dialog: dialog.accept())  # "send to 3 clients now, at a cost of about ...?"
    schedule.get_by_role("button", name=zh("Schedule")).click()
    expect(analyst.locator(".flash.success")).to_have_text(
        zh("Sending now: the worker starts handing the messages over within seconds."))
    report = analyst.locator("section", has=analyst.get_by_role("heading", name=zh("Delivery report")))
    delivered = report.locator("tr", has=analyst.locator("td", has_text=zh("Delivered"))).first.locator("td.num")
    badge = analyst.locator("h1 .badge")
    reload_until(analyst, lambda: delivered.count() == 1 and delivered.inner_text() == "3"
                 and badge.inner_text() == zh("Completed"), SENDING_MS, "three deliveries in the report")
    expect(report.locator("tr", has=analyst.locator("td", has_text=zh("Recipients"))).locator("td.num")) \
        .to_have_text("3")
    by_tier = report.locator("table").last
    expect(by_tier.locator("td:first-child")).to_have_text(vip_labels)
    expect(by_tier.locator("td:nth-child(2)")).to_have_text([f"{zh('Delivered')} 1"] * 3)
    expect(analyst.locator("section.grid2 .card").first.locator("table td:first-child")).to_have_text(vip_labels)
    screenshot(analyst)

    db.session.expire_all()
    b = db.session.scalar(sa.select(Broadcast))
    assert b.state == BroadcastState.completed
    sent = db.session.execute(sa.select(OutboundMessage.client_id, OutboundMessage.state)
                              .where(OutboundMessage.broadcast_id == b.id)).all()
    assert sorted(sent) == sorted((c.id, MessageState.delivered) for c in vip)
    bodies = [text for _sid, _to, text in site.gateway.sent]
    assert len(bodies) == 3 and all("止损3098" in text and LONGER in text for text in bodies)
