"""The frame of every page, as people meet it in Chromium: the header folds into a menu on a phone, no page is
wider than a 375 px screen, no page logs an error or asks for something that is not there (a favicon
included), and the delivery report downloads as a CSV that Excel reads with Chinese headers."""
from __future__ import annotations

import csv
import io
import time

from playwright.sync_api import Page, expect

from broadcast import scheduling, service
from broadcast.models import Broadcast, BroadcastState
from broadcast.settings import Settings
from clients.tiers import Tier
from core import clock
from core.calendar import calendar_for
from core.extensions import db
from tests.e2e.conftest import OUTPUT, SENDING_MS, zh

PHONE = {"width": 375, "height": 812}
LONG_NAME = "欧阳上海浦东新区陆家嘴金融贸易区期货投资有限公司客户名称很长的一位"


def _book(app, make_staff, make_client) -> Broadcast:
    """An admin, a chief analyst, a few clients (one with a very long name) and a daily comment sent to them."""
    make_staff("admin", email="admin@example.com", name="管理员")
    chief = make_staff("chief_analyst", email="chief@example.com", name="陈首席")
    approver = make_staff("approver", email="compliance@example.com", name="合规林")
    for i, (name, tier) in enumerate([("赵钻石", Tier.diamond), ("钱白金", Tier.platinum), (LONG_NAME, Tier.gold)], 1):
        make_client(f"8800{i}", name=name, mobile=f"+8613900088{i:03d}", tier=tier)
    settings = Settings.from_config(app.config)
    b = service.create_draft(db.session, {"kind": "daily_comment", "title": "螺纹钢早评",
                                          "body": "{name}您好，今日螺纹钢震荡，注意控制仓位。",
                                          "audience": {"tiers": ["diamond", "platinum", "gold"]}}, chief, settings)
    service.submit(db.session, b, chief, settings, now=clock.now())
    service.approve(db.session, b, approver)
    scheduling.schedule(db.session, b, chief, None, settings, clock.now(), calendar_for(app.config))
    db.session.commit()
    deadline = time.monotonic() + SENDING_MS / 1000
    while True:
        db.session.expire_all()
        if db.session.get(Broadcast, b.id).state == BroadcastState.completed:
            return b
        assert time.monotonic() < deadline, "the broadcast was not sent"
        time.sleep(0.3)


def _watch(page: Page) -> list[str]:
    """Everything going wrong on `page` from now on: console errors, failed requests, answers of 400 or more."""
    problems: list[str] = []
    page.on("console", lambda m: problems.append(f"console {m.type} at {page.url}: {m.text}")
            if m.type == "error" else None)
    # a request the browser itself abandoned (net::ERR_ABORTED: the test went to the next page before the icon
    # came) is no fault of the page; every other failure is
    page.on("requestfailed", lambda r: None if "ERR_ABORTED" in (r.failure or "") else problems.append(
        f"failed request {r.url}: {r.failure}"))
    page.on("response", lambda r: problems.append(f"{r.status} for {r.url}") if r.status >= 400 else None)
    return problems


ADMIN_PAGES = ["/", "/followups", "/broadcasts", "/clients", "/clients/88003", "/tier-reviews", "/imports",
               "/audit", "/staff", "/account", "/sms/phone", "/followups/rules", "/followups/canned"]
CHIEF_PAGES = ["/", "/followups", "/broadcasts", "/broadcasts/new", "/broadcasts/{b}", "/clients", "/clients/88003",
               "/tier-reviews", "/account"]


def _visit_all(page: Page, paths: list[str], b: Broadcast) -> list[str]:
    """Visits each page on a desktop and at 375 px; returns those wider than the phone's screen."""
    too_wide = []
    for path in paths:
        url = path.format(b=b.id)
        page.set_viewport_size({"width": 1280, "height": 900})
        page.goto(url)
        page.wait_for_load_state("networkidle")
        page.set_viewport_size(PHONE)
        page.goto(url)
        page.wait_for_load_state("networkidle")
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > PHONE["width"]:
            too_wide.append(f"{url}: {width} px")
    return too_wide


def test_every_main_page_fits_a_phone_and_logs_no_error(app, site, users, screenshot, make_staff, make_client):
    b = _book(app, make_staff, make_client)
    for email, paths in (("admin@example.com", ADMIN_PAGES), ("chief@example.com", CHIEF_PAGES)):
        page = users.sign_in(email)
        problems = _watch(page)
        too_wide = _visit_all(page, paths, b)
        assert problems == [], f"as {email}: " + "\n".join(problems)
        assert too_wide == [], f"as {email}, wider than 375 px: {too_wide}"
    page.goto("/clients")
    screenshot(page, "clients-375")


def test_the_header_folds_into_a_menu_on_a_phone(app, site, users, screenshot, make_staff, make_client):
    make_staff("admin", email="admin@example.com", name="管理员")
    page = users.sign_in("admin@example.com")
    page.set_viewport_size(PHONE)
    page.goto("/clients")
    header = page.locator("header.top")
    menu = header.get_by_role("button", name=zh("Menu"))
    links = [zh(t) for t in ("Follow-ups", "Broadcasts", "Clients", "Tier reviews", "Imports", "Audit log",
                             "Staff")]
    expect(menu).to_be_visible()
    expect(menu).to_have_attribute("aria-expanded", "false")
    for name in links:
        expect(header.get_by_role("link", name=name, exact=True)).to_be_hidden()
    assert header.bounding_box()["height"] < 70, "the closed header is one line"
    OUTPUT.mkdir(parents=True, exist_ok=True)
    header.screenshot(path=OUTPUT / "test_the_header_folds_into_a_menu_on_a_phone-closed.png")

    menu.click()
    expect(menu).to_have_attribute("aria-expanded", "true")
    boxes = []
    for name in links:
        link = header.get_by_role("link", name=name, exact=True)
        expect(link).to_be_visible()
        boxes.append(link.bounding_box())
    # one link a line, each on one line (never "审计" over "日志")
    assert all(box["height"] < 45 for box in boxes), boxes
    assert [box["y"] for box in boxes] == sorted(box["y"] for box in boxes)
    expect(header.get_by_role("button", name=zh("Sign out"))).to_be_visible()
    header.screenshot(path=OUTPUT / "test_the_header_folds_into_a_menu_on_a_phone-open.png")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    header.get_by_role("link", name=zh("Broadcasts"), exact=True).click()
    expect(page).to_have_url(f"{site.base}/broadcasts")
    expect(header.get_by_role("link", name=zh("Broadcasts"), exact=True)).to_be_hidden()  # closed on the new page

    page.set_viewport_size({"width": 1280, "height": 900})  # a desktop shows the links and no menu button
    expect(menu).to_be_hidden()
    for name in links:
        expect(header.get_by_role("link", name=name, exact=True)).to_be_visible()
    screenshot(page)


def test_the_report_downloads_as_csv_with_chinese_headers(app, site, users, screenshot, make_staff, make_client):
    b = _book(app, make_staff, make_client)
    page = users.sign_in("chief@example.com")
    page.goto(f"/broadcasts/{b.id}")
    report = page.locator("#report")
    with page.expect_download() as download:
        report.get_by_role("link", name="CSV").click()
    data = download.value.path().read_bytes()
    assert data.startswith(b"\xef\xbb\xbf"), "no byte-order mark: Excel would read the Chinese as GBK"
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0][:5] == [zh("Account"), zh("Name"), zh("Mobile"), zh("Tier"), zh("State")]
    assert rows[0][:2] == ["资金账号", "客户名称"]
    assert sorted(r[0] for r in rows[1:]) == ["88001", "88002", "88003"]
    assert {r[3] for r in rows[1:]} == {zh("Diamond"), zh("Platinum"), zh("Gold")}
    with page.expect_download() as download:
        report.get_by_role("link", name="Excel").click()
    assert download.value.suggested_filename == f"broadcast-{b.id}.xlsx"
    screenshot(page)
