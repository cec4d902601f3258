"""The compose page's risk level in a browser: it follows the kind, never offers a level below the kind's
least, and the running preview says who appropriateness leaves out."""
from __future__ import annotations

from datetime import date

from playwright.sync_api import expect

from clients.appropriateness import RiskTolerance
from clients.tiers import Tier
from tests.e2e.conftest import zh


def test_the_risk_level_follows_the_kind_and_the_preview_counts_who_is_left_out(app, site, users, screenshot,
                                                                                make_staff, make_client):
    make_staff("chief_analyst", email="chief@example.com", name="陈首席")
    make_client("72001", name="赵激进", tier=Tier.gold)  # C5, assessed a month ago
    make_client("72002", name="钱稳健", tier=Tier.gold, risk_tolerance=RiskTolerance.C3)
    make_client("72003", name="孙过期", tier=Tier.gold, risk_assessed_on=date(2020, 1, 1))
    make_client("72004", name="李未测", tier=Tier.gold, risk_tolerance=None, risk_assessed_on=None)

    page = users.sign_in("chief@example.com")
    page.goto(f"{site.base}/broadcasts/new")
    form = page.locator("#compose")
    level = form.locator("select[name=risk_level]")
    form.locator("select[name=kind]").select_option("trade_suggestion")
    expect(level).to_have_value("R4")
    expect(level.locator("option[value=R3]")).to_be_disabled()
    form.locator("select[name=kind]").select_option("daily_comment")
    expect(level).to_have_value("R2")  # the suggestion's default follows the kind
    expect(level.locator("option[value=R1]")).to_be_disabled()
    expect(level.locator("option[value=R3]")).to_be_enabled()

    form.locator("input[name=title]").fill("早评")
    form.locator("textarea[name=body]").fill("{name}您好，今日早评：螺纹钢震荡。")
    form.locator("input[name=tiers][value=gold]").check()
    preview = page.locator("#preview")
    expect(preview.locator("#pv-recipients")).to_have_text("2")  # C5 and C3; not the expired nor the unassessed
    expect(preview.locator("#pv-excluded")).to_have_text("2")
    level.select_option("R4")
    expect(preview.locator("#pv-recipients")).to_have_text("1")
    expect(preview.locator("#pv-excluded")).to_have_text("3")
    expect(preview.locator("#pv-excluded-why")).to_contain_text(zh("Risk tolerance too low"))
    form.locator("select[name=kind]").select_option("seminar_invite")
    expect(level).to_have_value("R4")  # a level the author raised stays
    screenshot(page, "compose")
