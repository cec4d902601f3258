"""The Chinese catalogue is the code's, whole: every message the code marks is in it with a Chinese translation
(none fuzzy), it holds nothing the code no longer says, and the main pages rendered in Chinese, with demo-like
data, show none of the app's own English messages (an untranslated string, a label shown by its key)."""
from __future__ import annotations

import html
import re

import pytest
import sqlalchemy as sa
from babel.messages.pofile import read_po

from core.extensions import db
from tests.core.test_i18n import FIX, TRANSLATIONS, _source_messages

PO = TRANSLATIONS / "zh" / "LC_MESSAGES" / "messages.po"
CJK = re.compile(r"[\u3400-\u9fff]")


def _catalogue():
    with open(PO, "rb") as f:
        return read_po(f, locale="zh")


def _id(message) -> str:
    return message.id if isinstance(message.id, str) else message.id[0]


def test_every_message_has_a_chinese_translation_and_none_is_fuzzy():
    untranslated = [_id(m) for m in _catalogue() if m.id and (m.fuzzy or not all(
        (m.string if isinstance(m.string, (list, tuple)) else [m.string]))
        or not any(CJK.search(s or "") for s in (m.string if isinstance(m.string, (list, tuple)) else [m.string]))
        and CJK.search(_id(m)) is None and re.search(r"[A-Za-z]{2}", _id(m)))]
    # a msgstr without a Chinese character is English left in the Chinese UI (unless the msgid has none either)
    allowed = {m for m in untranslated if not re.search(r"[a-z]{3}", re.sub(r"%\(\w+\)s", "", m))}
    assert sorted(set(untranslated) - allowed) == [], FIX


def test_the_catalogue_holds_exactly_what_the_code_says():
    source = {(msgid if isinstance(msgid, str) else msgid[0], context) for msgid, context in _source_messages()}
    catalogue = {(_id(m), m.context) for m in _catalogue() if m.id}
    assert sorted(source - catalogue) == [], "messages missing from the catalogue:\n" + FIX
    assert sorted(catalogue - source) == [], "messages the code no longer has (run pybabel update):\n" + FIX


# ---- pages in Chinese ----------------------------------------------------------------------------------

def _english_messages() -> list[tuple[str, re.Pattern]]:
    """The app's own English messages worth looking for in a page: a message of one word of five letters or more
    ("Broadcasts"), and each literal run of two words or more between placeholders ("is not in the client book"),
    matched as whole words and case-sensitively, so that a client named "Li" or the word "account" in a rule's
    keywords is no hit."""
    found = []
    for message in _catalogue():
        if not message.id:
            continue
        parts = re.split(r"%\(\w+\)[sd]|%[sd]", _id(message))
        for part in parts:
            part = part.strip(" :：,.;()[]\"'·-—/")
            words = re.findall(r"[A-Za-z]+", part)
            if CJK.search(part) or not words or (len(words) == 1 and (len(parts) > 1 or len(words[0]) < 5)):
                continue
            found.append((_id(message), re.compile(r"(?<![A-Za-z])" + re.escape(part) + r"(?![A-Za-z])")))
    return found


def visible_text(page: str) -> str:
    """What a reader sees of the app's words: the body without scripts, styles, form fields' contents, tags or
    attributes, entities decoded."""
    body = page[page.find("<body"):]
    # a textarea holds what people typed (a rule's English keywords are data, not the app's words)
    body = re.sub(r"<(script|style|template|textarea)\b.*?</\1>", " ", body, flags=re.S | re.I)
    body = re.sub(r"<[^>]+>", " ", body)
    return html.unescape(body)


def _around(text: str, match: re.Match) -> str:
    return " ".join(text[max(0, match.start() - 40):match.end() + 40].split())


@pytest.fixture
def demo_book(app):
    """The demo's book, small: every role, clients of every tier, a published review and a draft (its staff are
    named in Chinese only, as clients see them on a research note)."""
    from broadcast import service
    from broadcast.settings import Settings
    from clients.demo import seed
    from staff.models import Staff
    from tests.conftest import PASSWORD

    made = seed(db.session, clients=60, password=PASSWORD)
    chief = db.session.scalar(sa.select(Staff).where(Staff.email == "chief@demo.local"))
    settings = Settings.from_config(app.config)
    drafted = service.create_draft(db.session, {"kind": "daily_comment", "title": "螺纹钢早评",
                                                "body": "{name}您好，今日螺纹钢震荡偏强，注意控制仓位。",
                                                "audience": {"tiers": ["gold"]}}, chief, settings)
    submitted = service.create_draft(db.session, {"kind": "daily_comment", "title": "铁矿石早评",
                                                  "body": "{name}您好，铁矿石today震荡，注意风险。",
                                                  "audience": {"tiers": ["diamond"]}}, chief, settings)
    service.submit(db.session, submitted, chief, settings)
    db.session.commit()
    made["broadcasts"] = (drafted.id, submitted.id)
    made["account"] = db.session.scalar(sa.select(sa.text("account_no FROM clients ORDER BY id LIMIT 1")))
    return made


ADMIN_PAGES = ["/", "/followups", "/broadcasts", "/clients", "/clients/{account}", "/tier-reviews",
               "/tier-reviews/{review}", "/imports", "/audit", "/staff", "/account", "/followups/rules",
               "/followups/canned"]
CHIEF_PAGES = ["/", "/followups", "/broadcasts", "/broadcasts/new", "/broadcasts/{draft}", "/broadcasts/{submitted}",
               "/clients", "/clients/{account}", "/tier-reviews", "/tier-reviews/{review}", "/account"]


@pytest.mark.parametrize(("email", "paths"), [("admin@demo.local", ADMIN_PAGES), ("chief@demo.local", CHIEF_PAGES)],
                         ids=["admin", "chief_analyst"])
def test_main_pages_in_chinese_show_no_english_message(app, client, auth, demo_book, email, paths):
    english = _english_messages()
    assert len(english) > 300, "the catalogue was not read"
    auth.login(email)
    values = {"account": demo_book["account"], "review": demo_book["published"].id,
              "draft": demo_book["broadcasts"][0], "submitted": demo_book["broadcasts"][1]}
    left = []
    for path in paths:
        url = path.format(**values)
        with app.app_context():  # a fresh g: the locale is chosen again, as for every request in production
            response = client.get(url, headers={"Accept-Language": "zh-CN"})
        assert response.status_code == 200, url
        text = visible_text(response.get_data(as_text=True))
        left += [f"{url}: {msgid!r} in {_around(text, match)!r}" for msgid, pattern in english
                 if (match := pattern.search(text))]
    assert left == [], "English left in the Chinese pages (untranslated, or a key shown as is):\n" + "\n".join(left)
