"""What clients receive and what it costs, as people read it: a note link is never glued to the text after it
(the SMS sent, its segment count and the preview), costs carry their currency, error codes say what they mean."""
from __future__ import annotations

from decimal import Decimal

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from broadcast import texts
from broadcast.settings import Settings
from core.extensions import db
from messaging.labels import error_label
from messaging.models import OutboundMessage
from sms.segments import measure
from tests.broadcast.helpers import start_now


def test_the_note_link_in_a_chinese_sms_is_followed_by_a_space(app, approved, clock, worker):
    # the approved fixture's body ends with {note_link}, as the README's example does: the opt-out line follows
    start_now(app, approved, clock, worker)
    worker.send_batch()
    sent = db.session.scalars(sa.select(OutboundMessage).where(OutboundMessage.broadcast_id == approved.id)).all()
    assert sent
    for m in sent:
        link = f"/n/{m.note_token}"
        assert f"{link} 拒收请回复R" in m.body, m.body
        assert m.segments == measure(m.body).segments  # the space is counted


def test_the_preview_shows_the_same_separator(app, approved):
    p = texts.preview(db.session, approved, Settings.from_config(app.config))
    assert p["text"].endswith(" 拒收请回复R") and "/n/" in p["text"]
    assert p["segments"] == measure(p["text"]).segments


@pytest.mark.parametrize(("price", "language", "shown"), [
    ("0.05", "zh", "¥"), ("0.05 CNY", "en", "CN¥"), ("USD 0.0079", "zh", "US$"), ("0.0079 USD", "en", "US$"),
])
def test_the_cost_carries_the_price_setting_currency(app, approved, price, language, shown, monkeypatch):
    monkeypatch.setitem(app.config, "SMS_PRICE_PER_SEGMENT", price)
    settings = Settings.from_config(app.config)
    with app.test_request_context(), force_locale(language):
        p = texts.preview(db.session, approved, settings)
    amount = (settings.price_per_segment * p["total_segments"]).quantize(Decimal("0.01"))
    assert p["cost"] == str(amount) and p["currency"] == settings.currency
    assert p["cost_display"] == f"{shown}{amount}"


def test_the_detail_page_shows_the_cost_with_its_currency(app, client, auth, approved, monkeypatch):
    monkeypatch.setitem(app.config, "SMS_PRICE_PER_SEGMENT", "0.5 USD")
    auth.login(approved.chief.email)
    page = client.get(f"/broadcasts/{approved.id}").get_data(as_text=True)
    assert "US$" in page


@pytest.mark.parametrize(("code", "language", "shown"), [
    ("30005", "zh", "30005 未知号码或已停机"), ("30005", "en", "30005 unknown or inactive number"),
    ("21610", "zh", "21610 客户已在运营商处退订"), ("30007", "en", "30007 filtered by the carrier as spam"),
    ("49999", "zh", "49999"), (None, "en", ""),
])
def test_an_error_code_says_what_it_means(app, code, language, shown):
    with app.test_request_context(), force_locale(language):
        assert error_label(code) == shown
