"""The admin's quarter: a settlement export with bad rows imported through the page, then a tier review made and
published."""
from __future__ import annotations

import sqlalchemy as sa
from playwright.sync_api import expect

from clients.models import Client
from clients.tiers import Tier
from core.extensions import db
from tests.e2e.conftest import zh

HEADER = "资金账号,客户名称,手机号码,营业部,开户日期"
BOOK = [
    "88001,周好,13812345001,上海浦东营业部,2021-03-01",  # line 2: good
    "88002,吴号码,999,上海浦东营业部,2021-03-01",  # line 3: not a mobile number
    "88003,,13812345003,上海浦东营业部,2021-03-01",  # line 4: no name
    "88004,郑日期,13812345004,上海浦东营业部,2021-13-45",  # line 5: not a date
    "88005,王重复,13812345005,上海浦东营业部,2021-03-01",  # lines 6 and 7: the same account twice
    "88005,王重复,13812345006,上海浦东营业部,2021-03-01",
]
BAD = {3: "88002", 4: "88003", 5: "88004", 6: "88005", 7: "88005"}


def test_admin_imports_a_file_with_bad_rows_then_publishes_a_tier_review(app, site, users, screenshot, tmp_path,
                                                                        make_staff, make_client, add_figures):
    make_staff("admin", email="admin@example.com", name="管理员")
    rising = make_client("86001", name="升级客户", tier=Tier.quality)
    falling = make_client("86002", name="降级客户", tier=Tier.diamond)
    for month in ("2026-07", "2026-08", "2026-09"):
        add_figures(rising, month, avg_equity="2000000")
        add_figures(falling, month, avg_equity="20000")
    export = tmp_path / "结算导出.csv"
    export.write_text("\n".join([HEADER, *BOOK]) + "\n", encoding="utf-8-sig")

    admin = users.sign_in("admin@example.com")
    admin.locator("header nav").get_by_role("link", name=zh("Imports")).click()
    clients_form = admin.locator("form", has=admin.locator("input[name=kind][value=clients]"))
    clients_form.locator("input[type=file]").set_input_files(export)
    clients_form.get_by_role("button", name=zh("Import clients")).click()

    expect(admin.get_by_role("heading", name=zh("Import report"))).to_contain_text("结算导出.csv")
    expect(admin.locator("ul.counts")).to_contain_text(zh("Created: %(n)s", n=1))
    expect(admin.locator("ul.counts")).to_contain_text(zh("Rejected: %(n)s", n=len(BAD)))
    rows = admin.locator("table tbody tr")
    expect(rows).to_have_count(len(BAD))
    for n, (line, account) in enumerate(BAD.items()):
        cells = rows.nth(n).locator("td")
        expect(cells.nth(0)).to_have_text(str(line))
        expect(cells.nth(1)).to_have_text(account)
        expect(cells.nth(2)).not_to_be_empty()
    reasons = [rows.nth(n).locator("td").nth(2).inner_text() for n in range(len(BAD))]
    assert "999" in reasons[0] and "2021-13-45" in reasons[2], reasons
    assert "6" in reasons[4], reasons  # the second copy of 88005 names the line of the first
    assert len(set(reasons)) == len(BAD), reasons  # each row its own reason
    screenshot(admin, "import")
    db.session.expire_all()
    assert db.session.scalars(sa.select(Client.account_no).where(Client.account_no.like("88%"))).all() == ["88001"]

    admin.locator("header nav").get_by_role("link", name=zh("Tier reviews")).click()
    admin.locator("input[name=quarter]").fill("2026Q3")
    admin.get_by_role("button", name=zh("Make a draft review")).click()
    expect(admin.get_by_role("heading", level=1)).to_contain_text("2026Q3")
    expect(admin.locator("h1 .badge")).to_have_text(zh("Draft"))
    changes = admin.locator(".card", has=admin.get_by_role("heading", name=zh("Changes against the published tiers")))
    for change, count in (("Upgrade", 1), ("Downgrade", 1), ("New", 1)):
        expect(changes.locator("tr", has=admin.get_by_role("link", name=zh(change), exact=True))
               .locator("td.num")).to_have_text(str(count))
    changes.get_by_role("link", name=zh("Upgrade"), exact=True).click()
    expect(admin.locator("table").last.locator("tbody tr")).to_contain_text(["升级客户"])

    admin.once("dialog", lambda dialog: dialog.accept())
    admin.get_by_role("button", name=zh("Publish these tiers")).click()
    expect(admin.locator("h1 .badge")).to_have_text(zh("Published"))
    expect(admin.get_by_role("button", name=zh("Publish these tiers"))).to_have_count(0)
    screenshot(admin)

    db.session.expire_all()
    tiers = dict(db.session.execute(sa.select(Client.account_no, Client.tier)).all())
    assert tiers["86001"] == Tier.gold and tiers["86002"] != Tier.diamond and tiers["88001"] is not None
