"""A draft's fields are checked all at once: every problem is told, next to its field, under the field's label in
the reader's language (标题, 短信内容; never title, send_at), on the page, in the live preview and in the API."""
from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale, gettext

from broadcast import service
from broadcast.fields import InvalidDraft
from broadcast.models import Broadcast
from broadcast.settings import Settings
from clients.tiers import Tier
from core.extensions import db
from tests.broadcast.test_pages_and_api import FORM

# every field of the compose form wrong at once (and the title missing)
BROKEN = {**FORM, "title": "", "body": "{oops}您好 {", "direction": "up", "targets": "1, 2, 3, 4, 5, 6",
          "position_pct": "lots", "valid_until": "tomorrow", "risk_level": "R9"}
BROKEN_FIELDS = {"title", "body", "direction", "targets", "position_pct", "valid_until", "risk_level"}


class Elements(HTMLParser):
    """The page's elements by id: their attributes, and the text of each (for the error messages)."""

    def __init__(self, html: str):
        super().__init__()
        self.attrs: dict[str, dict[str, str | None]] = {}
        self.text: dict[str, str] = {}
        self.links: list[str] = []
        self._open: list[str | None] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        found = dict(attrs)
        if tag == "a" and found.get("href"):
            self.links.append(found["href"])
        if found.get("id"):
            self.attrs[found["id"]] = found
        if tag not in ("input", "br", "img", "meta", "link"):
            self._open.append(found.get("id"))

    def handle_endtag(self, tag):
        if tag not in ("input", "br", "img", "meta", "link") and self._open:
            self._open.pop()

    def handle_data(self, data):
        for element in self._open:
            if element:
                self.text[element] = self.text.get(element, "") + data


def in_language(language: str, template: str, **args) -> str:
    with current_app.test_request_context(), force_locale(language):
        return gettext(template, **args)


def label(language: str, english: str) -> str:
    return in_language(language, english)


@pytest.fixture
def desk(make_staff, make_client):
    make_client("1", name="王芳", tier=Tier.gold)
    return {"chief": make_staff("chief_analyst", email="chief@example.com", qualification_no="Z0012345")}


def test_every_problem_of_a_draft_is_told_at_once_the_first_as_the_refusal(app, desk):
    data = {"kind": "trade_suggestion", "title": "", "body": "{oops} {", "risk_level": "R9",
            "suggestion": {"direction": "up", "targets": [str(n) for n in range(6)], "position_pct": "lots",
                           "valid_until": "tomorrow"}}
    with pytest.raises(InvalidDraft) as refused:
        service.create_draft(db.session, data, desk["chief"], Settings.from_config(app.config))
    fields = [p.field for p in refused.value.problems]
    assert set(fields) == {"risk_level", "title", "body", "suggestion.direction", "suggestion.targets",
                           "suggestion.position_pct", "suggestion.valid_until"}
    assert fields.count("body") == 2  # the unknown placeholder and the lone brace
    assert (refused.value.field, refused.value.code) == (fields[0], refused.value.problems[0].code)
    assert str(refused.value) == str(refused.value.problems[0])
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Broadcast)) == 0


def test_a_new_draft_names_its_missing_kind_title_and_body_together(app, desk):
    with pytest.raises(InvalidDraft) as refused:
        service.create_draft(db.session, {}, desk["chief"], Settings.from_config(app.config))
    assert [p.field for p in refused.value.problems] == ["kind", "title", "body"]


@pytest.mark.parametrize("language", ["zh", "en"])
def test_the_compose_page_marks_every_wrong_field_with_its_label(client, auth, desk, language):
    auth.login("chief@example.com")
    auth.post(f"/language/{language}")
    response = auth.post("/broadcasts/new", BROKEN)
    assert response.status_code == 400
    page = Elements(response.get_data(as_text=True))
    for name in BROKEN_FIELDS:
        field = page.attrs[f"f-{name}"]
        assert field.get("aria-invalid") == "true", name
        assert field.get("aria-describedby") == f"error-{name}", name
        assert page.text[f"error-{name}"].strip(), name
    assert "error-contract" not in page.attrs and "aria-invalid" not in page.attrs["f-contract"]
    title, body = label(language, "Title"), label(language, "SMS text")
    assert page.text["error-title"].strip() == in_language(language, "%(field)s is required", field=title)
    assert language == "en" or (title, body) == ("标题", "短信内容")
    assert "oops" in page.text["error-body"]
    # the summary at the top lists them all, each a link to its field; no internal name is shown
    summary = page.text["error-summary"]
    links = [link for link in page.links if link.startswith("#f-")]
    assert {link[3:] for link in links} >= BROKEN_FIELDS
    assert title in summary and not re.search(r"\b(title|body|position_pct|valid_until|risk_level)\b", summary)
    assert "螺纹钢" not in summary and "3098" in page.attrs["f-stop"]["value"]  # what was typed stays


def test_an_empty_form_names_title_and_body_by_their_labels_in_chinese(client, auth, desk):
    auth.login("chief@example.com")
    auth.post("/language/zh")
    response = auth.post("/broadcasts/new", {"kind": "daily_comment", "title": "", "body": "", "language": "zh"})
    page = Elements(response.get_data(as_text=True))
    assert "标题" in page.text["error-title"] and "短信内容" in page.text["error-body"]
    assert "title" not in page.text["error-summary"] and "body" not in page.text["error-summary"]


def test_every_field_of_the_compose_form_has_a_label_for_its_messages(app, client, auth, desk):
    auth.login("chief@example.com")
    html = client.get("/broadcasts/new").get_data(as_text=True)
    names = set(re.findall(r'name="(\w+)"', html)) - {"csrf_token", "version", "broadcast_id", "language_code"}
    names = {n for n in names if f'id="f-{n}"' in html or n == "tiers"}
    labels = app.jinja_env.globals["FIELD_LABELS"]
    assert names and names <= set(labels), names - set(labels)
    assert {"kind", "title", "body", "send_at", "audience", "author"} <= set(labels)


def test_the_api_answers_the_first_problem_and_lists_them_all(client, desk, api_token):
    response = client.post("/api/v1/broadcasts", headers=api_token(desk["chief"]), json={
        "kind": "trade_suggestion", "title": "t", "body": "{oops}", "suggestion": {
            "position_pct": "lots", "targets": [str(n) for n in range(6)], "valid_until": "tomorrow"}})
    answer = response.json
    assert response.status_code == 400 and answer["code"] == "broadcast.invalid"
    assert [p["field"] for p in answer["problems"]] == ["body", "suggestion.targets", "suggestion.position_pct",
                                                        "suggestion.valid_until"]
    assert (answer["field"], answer["error"]) == ("body", answer["problems"][0]["error"])
    assert "Valid until" in answer["problems"][3]["error"]  # named as people read it; `field` is the key


def test_a_note_link_without_a_note_leaves_the_rest_of_the_preview(client, auth, desk):
    auth.login("chief@example.com")
    data = auth.post("/broadcasts/live-preview", {**FORM, "note_markdown": "", "stop": "", "tiers": "gold"}).json
    assert data["recipients"] == 1 and data["segments"] >= 1 and data["cost"] and data["text"]
    assert "王芳" in data["text"]
    problems = {(p["field"], p["blocks"]) for p in data["problems"]}
    assert ("body", "save") in problems and ("stop", "submit") in problems
    assert "note_link" in data["error"] and data["field"] == "body"


def test_a_preview_with_an_unknown_placeholder_shows_it_as_typed_and_counts_the_rest(client, auth, desk):
    auth.login("chief@example.com")
    data = auth.post("/broadcasts/live-preview", {**FORM, "title": "", "body": "{name}您好 {oops}",
                                                  "tiers": "gold"}).json
    assert "王芳您好 {oops}" in data["text"] and data["recipients"] == 1
    # the title that could not be read is not told twice (required, and compliance's "give it a title")
    assert [p["field"] for p in data["problems"]].count("title") == 1
