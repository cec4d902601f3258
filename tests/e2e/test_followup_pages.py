"""The follow-up queue and an item as staff see them on a desktop and on a phone, in Chinese and English: nothing
scrolls sideways at 375 px, a long unbroken reply wraps inside its bubble, and screenshots of each are saved
(test-output/e2e/) for a person to look at."""
from __future__ import annotations

import sqlalchemy as sa
from playwright.sync_api import Page, expect

from clients.tiers import Tier
from core.extensions import db
from followups.models import FollowUp
from tests.e2e.conftest import zh
from tests.followups.helpers import reply_from

LONG_URL = "http://example.com/" + "a1b2c3d4e5" * 28  # 300 characters without a break
DIGITS = "8" * 120


def desk(app, make_staff, make_client) -> FollowUp:
    """A researcher and two business staff; replies of several clients, one of them a long unbroken URL."""
    researcher = make_staff("researcher", email="res@example.com", name="研究员甲")
    make_staff("chief_analyst", email="chief@example.com", name="陈首席")
    owner = make_staff("business_staff", email="a@example.com", name="业务甲", branch="上海浦东营业部")
    researcher.on_duty = True
    db.session.commit()
    texts = [("83001", "王芳", f"螺纹止损设在哪里？看了这个链接 {LONG_URL}"), ("83002", "李强", "出金什么时候到账"),
             ("83003", "赵敏", DIGITS), ("83004", "Alexandra Montgomery-Whitfield", "I want to complain about fees")]
    for n, (account, name, body) in enumerate(texts):
        c = make_client(account, name=name, mobile=f"+86138000{account}", owner_id=owner.id, tier=Tier.gold)
        assert reply_from(app, c.mobile, body).status_code == 200
        if n == 0:
            first = c
    db.session.expire_all()
    return db.session.scalar(sa.select(FollowUp).where(FollowUp.client_id == first.id))


def no_sideways_scroll(page: Page, width: int) -> None:
    scroll = page.evaluate("document.documentElement.scrollWidth")
    assert scroll <= width, f"{page.url} is {scroll} px wide at {width} px"


def within_viewport(page: Page, selector: str, width: int) -> None:
    for box in [page.locator(selector).nth(i).bounding_box() for i in range(page.locator(selector).count())]:
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width, (selector, box)


def test_queue_and_item_fit_a_phone_and_long_replies_wrap(app, site, users, screenshot, make_staff, make_client):
    """As the chief analyst, who sees every queue."""
    item = desk(app, make_staff, make_client)
    page = users.sign_in("chief@example.com")
    for language in ("zh", "en"):
        if language == "en":
            page.set_viewport_size({"width": 1366, "height": 768})
            page.goto("/followups")
            with page.expect_navigation():
                page.locator("header form button", has_text="English").click()
        for width, height in ((1366, 768), (375, 812)):
            page.set_viewport_size({"width": width, "height": height})
            page.goto("/followups")
            expect(page.locator("#followup-rows")).to_contain_text("王芳")
            rows = page.locator("#followup-rows tr")
            assert rows.count() == 4
            no_sideways_scroll(page, width)
            within_viewport(page, "#followup-rows tr", width)
            if width == 375:  # cards: the labelled lines, not a table header that cannot fit
                expect(page.locator("table.queue thead")).to_be_hidden()
            screenshot(page, f"queue-{language}-{width}")

            page.goto(f"/followups/{item.id}")
            bubble = page.locator("#thread .entry-in").first
            expect(bubble).to_contain_text(LONG_URL[:40])
            no_sideways_scroll(page, width)
            within_viewport(page, "#thread .entry", width)
            box = bubble.bounding_box()
            assert box["height"] > 60  # the URL wrapped onto several lines instead of running off the bubble
            expected = zh("Follow-up #%(id)s", id=item.id) if language == "zh" else f"Follow-up #{item.id}"
            expect(page.locator("h1")).to_contain_text(expected)
            screenshot(page, f"item-{language}-{width}")

    page.goto(f"/followups/{item.id}")  # a reply claims the item, and the item says so
    page.set_viewport_size({"width": 1366, "height": 768})
    page.locator("#reply-body").fill("王女士您好，螺纹止损建议设在3098。")
    with page.expect_navigation():
        page.locator("section.reply button.primary").click()
    expect(page.locator("dd .held")).to_have_text("(claimed when they replied)")
    expect(page.locator("#thread")).to_contain_text("claimed by 陈首席 when they replied")
    screenshot(page, "item-replied-en-1366")
