"""A client opens the research note from their SMS: the page shows the note, its analyst and qualification
number, and a watermark of their masked account and the time of opening over the text, drawn by the
stylesheet alone (the Content-Security-Policy allows no inline script or style)."""
from __future__ import annotations

import sqlalchemy as sa

from broadcast import sending, service
from broadcast.settings import Settings
from clients.tiers import Tier
from core import clock
from core.extensions import db
from messaging.models import OutboundMessage
from tests.e2e.conftest import OUTPUT, _full_page


def test_a_forwarded_note_shows_whose_it_was(app, site, browser, make_staff, make_client):
    make_client("83000001", name="王芳", tier=Tier.gold)
    settings = Settings.from_config(app.config)
    chief, approver = make_staff("chief_analyst", name="陈首席", qualification_no="Z0012345"), make_staff("approver")
    b = service.create_draft(db.session, {
        "kind": "daily_comment", "title": "螺纹钢早评", "body": "{name}您好，早评见{note_link}",
        "note_markdown": "## 观点\n\n库存连续三周下降，现货升水扩大。\n\n" + "基差修复有望带动盘面上行。\n\n" * 12,
        "audience": {"tiers": ["gold"]}}, chief, settings)
    service.submit(db.session, b, chief, settings)
    service.approve(db.session, b, approver, seen=service.submission_mark(b))
    sending.snapshot(db.session, b, settings, clock.now())
    db.session.commit()
    token = db.session.scalar(sa.select(OutboundMessage.note_token))

    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", base_url=site.base,
                                  viewport={"width": 390, "height": 844})  # a phone, where notes are read
    refused = []
    page = context.new_page()
    page.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None)
    try:
        response = page.goto(f"/n/{token}")
        assert response.status == 200 and response.headers["x-robots-tag"].startswith("noindex")
        assert "陈首席" in page.locator(".analyst").inner_text() and "Z0012345" in page.locator(".analyst").inner_text()
        marks = page.locator(".watermark span")
        assert marks.count() >= 10
        assert marks.first.inner_text().startswith("83***001 ")
        # drawn over the text, faint but there, and it lets the reader's clicks and selection through
        style = marks.first.evaluate("e => { const s = getComputedStyle(e.parentElement); "
                                     "return [s.position, s.pointerEvents, s.zIndex, s.color] }")
        assert style[:3] == ["fixed", "none", "10"] and style[3].startswith("rgba(")
        visible = page.evaluate("""() => [...document.querySelectorAll('.watermark span')].filter(s => {
            const r = s.getBoundingClientRect();
            return r.width > 0 && r.bottom > 0 && r.right > 0 && r.top < innerHeight && r.left < innerWidth; }).length""")
        assert visible >= 3, "the watermark is not on the screen"
        assert "83***001" in page.locator(".watermark-line").inner_text()
        OUTPUT.mkdir(parents=True, exist_ok=True)
        _full_page(page, OUTPUT / "test_a_forwarded_note_shows_whose_it_was.png")
        assert refused == []
    finally:
        context.close()
