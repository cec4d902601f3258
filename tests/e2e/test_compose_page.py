"""The compose page as an analyst meets it in Chromium: a form with every field wrong shows every problem, each next
to its field; the live preview sits beside the form on a desktop and below it on a phone, never over a field,
and a long SMS scrolls inside its own box. Screenshots at 1366 and 375 px, in Chinese and English."""
from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from clients.tiers import Tier
from tests.e2e.conftest import zh

WIDE, NARROW = {"width": 1366, "height": 768}, {"width": 375, "height": 812}
# what the browser lets one type wrong: the title left empty, an unknown placeholder and a lone brace, six
# targets, a position that is no number (the selects and the date picker offer only good values)
BROKEN = {"title": "", "body": "{oops}您好 {", "targets": "3260, 3270, 3280, 3290, 3300, 3310",
          "position_pct": "lots"}
GOOD = {"title": "螺纹钢多单建议", "body": "{name}您好：{contract}建议{direction}，入场{entry}，止损{stop}，目标{target}。",
        "contract": "rb2605", "entry": "3150-3170", "stop": "3098", "targets": "3260, 3320", "position_pct": "20"}
LONG = "库存连续三周下降，现货升水扩大，基差修复有望带动盘面上行；请控制仓位，严格执行止损。" * 12


def box(page: Page, selector: str) -> dict:
    found = page.locator(selector).first.bounding_box()
    assert found is not None, f"{selector} is not shown"
    return found


def overlaps(a: dict, b: dict) -> bool:
    return not (a["x"] + a["width"] <= b["x"] or b["x"] + b["width"] <= a["x"]
                or a["y"] + a["height"] <= b["y"] or b["y"] + b["height"] <= a["y"])


def fill(page: Page, values: dict) -> None:
    page.locator("#f-kind").select_option("trade_suggestion")
    page.locator("#f-direction").select_option("long")
    page.locator("input[name=tiers][value=gold]").check()
    for name, value in values.items():
        page.locator(f"#f-{name}").fill(value)


def preview_ready(page: Page) -> None:
    expect(page.locator("#pv-recipients")).not_to_have_text("–")
    expect(page.locator("#pv-text")).not_to_be_empty()


def check_errors(page: Page, language: str) -> None:
    """Every wrong field is marked and described by its own message, shown right under it; the summary names
    each by its label."""
    summary = page.locator("#error-summary")
    expect(summary).to_be_visible()
    for name in BROKEN:
        field, message = page.locator(f"#f-{name}"), page.locator(f"#error-{name}")
        expect(field).to_have_attribute("aria-invalid", "true")
        expect(field).to_have_attribute("aria-describedby", f"error-{name}")
        expect(message).to_be_visible()
        expect(message).not_to_be_empty()
        below = box(page, f"#error-{name}")["y"] - (box(page, f"#f-{name}")["y"] + box(page, f"#f-{name}")["height"])
        assert -1 <= below <= 24, f"the message of {name} is not next to its field ({below}px)"
    expect(page.locator("#f-contract")).not_to_have_attribute("aria-invalid", "true")
    labels = ("Title", "SMS text", "Targets", "Position (percent of equity)")
    for label in labels:
        expect(summary).to_contain_text(zh(label) if language == "zh" else label)
    text = summary.inner_text()
    assert "position_pct" not in text and "title" not in text and "body" not in text


def test_compose_shows_every_error_and_keeps_the_preview_clear_of_the_form(site, users, screenshot, make_staff,
                                                                           make_client):
    make_staff("chief_analyst", email="chief@example.com", name="陈首席")
    make_client("72001", name="赵黄金", mobile="+8613900000101", tier=Tier.gold)
    page = users.sign_in("chief@example.com")
    page.set_viewport_size(WIDE)
    for language in ("zh", "en"):
        if language == "en":
            with page.expect_navigation():
                page.locator("header form[action$='/language/en'] button").click()
        page.goto("/broadcasts/new")
        fill(page, {**GOOD, **BROKEN})
        with page.expect_navigation():
            page.locator("#save").click()
        check_errors(page, language)
        preview_ready(page)  # the figures are there even while the body cannot be saved
        screenshot(page, f"errors-{language}-1366")

        # fixed, the marks go as the preview follows the typing
        page.locator("#f-title").fill(GOOD["title"])
        expect(page.locator("#error-title")).to_have_count(0)
        expect(page.locator("#f-title")).not_to_have_attribute("aria-invalid", "true")

        # a desktop: the preview beside the fields, both in the first screen, apart
        page.goto("/broadcasts/new")
        fill(page, GOOD)
        preview_ready(page)
        page.evaluate("window.scrollTo(0, 0)")
        preview, fields = box(page, "#preview"), box(page, ".compose-fields")
        assert preview["x"] >= fields["x"] + fields["width"], "the preview is not beside the form"
        assert preview["y"] < WIDE["height"] and fields["y"] < WIDE["height"]
        for selector in ("#f-title", "#f-body", "#f-targets", "#save"):
            assert not overlaps(preview, box(page, selector)), selector
        # a long message scrolls inside the preview's box, which stays within the window
        page.locator("#f-body").fill(GOOD["body"] + LONG)
        expect(page.locator("#pv-text")).to_contain_text(LONG[:30])
        sms = page.locator("#pv-text")
        assert sms.evaluate("e => e.scrollHeight > e.clientHeight + 10"), "the long SMS is not in a scrolling box"
        assert sms.evaluate("e => getComputedStyle(e).overflowY") == "auto"
        assert box(page, "#preview")["height"] <= WIDE["height"]
        screenshot(page, f"{language}-1366")

        # a phone: the preview below the form (after the save button), in the flow, not sticky
        page.set_viewport_size(NARROW)
        page.evaluate("window.scrollTo(0, 0)")
        preview, save = box(page, "#preview"), box(page, "#save")
        assert preview["y"] >= save["y"] + save["height"], "the preview is not below the form"
        assert page.locator("#preview").evaluate("e => getComputedStyle(e).position") == "static"
        for selector in ("#f-title", "#f-body", "#f-position_pct", "#save"):
            assert not overlaps(preview, box(page, selector)), selector
        assert page.evaluate("document.documentElement.scrollWidth") <= NARROW["width"] + 1, "sideways scroll"
        screenshot(page, f"{language}-375")
        page.goto("/broadcasts/new")
        fill(page, {**GOOD, **BROKEN})
        with page.expect_navigation():
            page.locator("#save").click()
        check_errors(page, language)
        screenshot(page, f"errors-{language}-375")
        page.set_viewport_size(WIDE)


def test_a_note_link_in_a_chinese_sms_is_followed_by_a_separator(site, users, screenshot, make_staff, make_client):
    """The README's own example ends with {note_link}: phones take the Chinese after a link as part of it, so the
    opt-out line must not be glued to it, in the live preview and on the saved broadcast alike."""
    make_staff("chief_analyst", email="chief@example.com", name="陈首席")
    make_client("72002", name="钱铜", mobile="+8613900000102", tier=Tier.gold)
    page = users.sign_in("chief@example.com")
    page.set_viewport_size(WIDE)
    page.goto("/broadcasts/new")
    page.locator("#f-kind").select_option("daily_comment")
    page.locator("input[name=tiers][value=gold]").check()
    page.locator("#f-title").fill("今日早评")
    page.locator("#f-note_markdown").fill("## 早评\n\n螺纹钢偏强。")
    page.locator("#f-body").fill("{name}您好，今日早评详见{note_link}")
    expect(page.locator("#pv-text")).to_contain_text("/n/")
    link_then = r"/n/[A-Za-z0-9_-]+(\s)拒收请回复R"
    expect(page.locator("#pv-text")).to_have_text(re.compile(link_then))
    with page.expect_navigation():
        page.locator("#save").click()
    card = page.locator("#overview .sms").first
    expect(card).to_have_text(re.compile(link_then))
    screenshot(page, "note-link")
