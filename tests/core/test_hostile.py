"""Hostile input at every door, as users rely on it:

- script and HTML in client names, branches, staff names, reply bodies, internal notes, broadcast titles,
  file names and research notes are shown as text on every page they appear on; the research note page
  keeps only harmless markup;
- every HTML form refuses a POST without a valid CSRF token (the list comes from the URL map, so a new
  form is covered without anyone remembering to add it);
- the session cookie is HttpOnly and SameSite=Lax, and Secure when the site is served over https;
- uploads: larger than MAX_CONTENT_LENGTH is 413 (page and API); a workbook that is a zip bomb, an entity
  bomb or broken inside is refused with a clear error and nothing imported;
- filters and searches carrying SQL are harmless: no 500, no extra rows, every table intact;
- NUL characters, page numbers and ids too large for the database are refused at the door (400 or 404),
  never a database error (PostgreSQL refuses NUL in text; SQLite overflows past 64-bit integers).
"""
from __future__ import annotations

import io
import re
import zipfile
from datetime import timedelta

import pytest
import sqlalchemy as sa
from markupsafe import escape
from openpyxl import Workbook
from werkzeug.routing import IntegerConverter

from app import create_app
from broadcast import sending
from clients.models import Client, ImportRun
from clients.tiers import Tier
from core.calendar import calendar_for
from core.extensions import db
from core.roles import Role
from tests.conftest import Auth, _ContextPerRequest, csrf_from
from tests.followups.helpers import reply_from

SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(1)>"
REPLY = "<script>alert('reply')</script>螺纹止损设在哪里？"
NOTE = "<img src=x onerror=alert('note')>电话回访过"
TITLE = "<script>alert('title')</script>早评"
BRANCH = "<b onmouseover=alert(5)>浦东</b>"
STAFF_NAME = "<svg onload=alert('staff')>"
FILE_NAME = "<script>alert('file')</script>.csv"
LOGIN_NAME = "<script>alert('login')</script>@example.com"
RESEARCH_NOTE = """## 早评正文

<script>alert('research')</script>
<img src=x onerror=alert('research')>
<a href="javascript:alert('research')" onclick="alert(4)">看这里</a>
[链接](javascript:alert('md'))

**止损** 3500
"""
# markup that may never reach a browser as markup, whatever page it is on
RAW = re.compile(r"<script>alert|<img src=x onerror|<svg onload|<b onmouseover|javascript:alert|onclick=", re.I)


def _page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, f"{url}: {response.status_code}"
    html = response.get_data(as_text=True)
    found = RAW.search(html)
    assert found is None, f"{url} shows {found.group(0)!r} as markup: {html[max(0, found.start() - 200):found.end() + 80]}"
    return html


def _shown_as_text(html: str, *texts: str) -> None:
    for text in texts:
        assert str(escape(text)) in html, f"{text!r} is not shown (escaped) on the page"


@pytest.fixture
def everyone(make_staff):
    return make_staff(*[r.value for r in Role], email="all@example.com", staff_code="S900", branch="上海浦东营业部")


@pytest.fixture
def signed_in(client, auth, everyone):
    assert auth.login("all@example.com").status_code == 302
    auth.post("/language/en")
    return auth


def _csv_upload(text: str, filename: str = "clients.csv"):
    return (io.BytesIO(text.encode()), filename)


@pytest.fixture
def hostile_world(app, client, signed_in, everyone, make_staff):
    """Clients imported through the page with script in their names, a reply and a note with script, a
    broadcast with a script title and a research note full of it, sent to those clients."""
    from broadcast import scheduling
    from broadcast import service as broadcast_service
    from broadcast.settings import Settings
    from clients.reviews import create_review
    from core import clock as app_clock
    from followups.models import FollowUp
    from messaging.models import OutboundMessage

    chief = make_staff("chief_analyst", email="chief@example.com", name=STAFF_NAME)
    assessed = (app_clock.now().date() - timedelta(days=30)).isoformat()  # appropriate for the broadcast below
    rows = ("account_no,name,mobile,branch,staff_code,risk_tolerance,risk_assessed_on\n"
            f'83101,{SCRIPT},13800000101,"{BRANCH}",S900,C5,{assessed}\n'
            f"83102,{IMG},13800000102,上海浦东营业部,S900,C5,{assessed}\n"
            f"<svg onload=alert(7)>,坏账号,13800000103,,,C5,{assessed}\n")
    imported = signed_in.post("/imports", {"kind": "clients", "clients-file": _csv_upload(rows, FILE_NAME)},
                              content_type="multipart/form-data")
    assert imported.status_code == 302
    run = db.session.scalar(sa.select(ImportRun))
    assert run.created == 2 and len(run.rejected) == 1
    review = create_review(db.session, "2026Q2")
    db.session.commit()

    assert reply_from(app, "+8613800000101", REPLY).status_code == 200
    db.session.expire_all()
    item = db.session.scalar(sa.select(FollowUp).join(Client).where(Client.account_no == "83101"))
    assert signed_in.post(f"/followups/{item.id}/note", {"body": NOTE}).status_code == 302
    # the sign-in page takes any name; a failed sign-in is audited under it
    Auth(app.test_client()).login(LOGIN_NAME, "whatever-1")

    settings = Settings.from_config(app.config)
    b = broadcast_service.create_draft(db.session, {
        "kind": "daily_comment", "title": TITLE, "body": "{name}您好，早评见{note_link}",
        "note_markdown": RESEARCH_NOTE, "audience": {"include": ["83101", "83102"]}}, chief, settings)
    broadcast_service.submit(db.session, b, chief, settings)
    broadcast_service.approve(db.session, b, everyone)
    scheduling.schedule(db.session, b, chief, None, settings, app_clock.now(), calendar_for({"QUIET_HOURS": ""}))
    sending.snapshot(db.session, b, settings, app_clock.now())
    db.session.commit()
    token = db.session.scalar(sa.select(OutboundMessage.note_token).where(OutboundMessage.broadcast_id == b.id))
    return {"run": run.id, "review": review.id, "item": item.id, "broadcast": b.id, "token": token}


def test_script_in_names_replies_notes_and_titles_is_shown_as_text_everywhere(client, hostile_world):
    w = hostile_world
    _shown_as_text(_page(client, "/clients"), SCRIPT, IMG, BRANCH)
    _shown_as_text(_page(client, "/clients?q=" + SCRIPT), SCRIPT)
    _shown_as_text(_page(client, "/clients/83101"), SCRIPT, BRANCH)
    _shown_as_text(_page(client, "/clients/83102"), IMG)
    _shown_as_text(_page(client, "/imports"), FILE_NAME)
    _shown_as_text(_page(client, f"/imports/{w['run']}"), "<svg onload=alert(7)>")
    _shown_as_text(_page(client, f"/tier-reviews/{w['review']}?change=new"), SCRIPT, IMG)
    _shown_as_text(_page(client, "/followups?status=all"), SCRIPT, REPLY)
    _shown_as_text(_page(client, "/followups/rows?status=all"), SCRIPT, REPLY)
    _shown_as_text(_page(client, f"/followups/{w['item']}"), SCRIPT, REPLY, NOTE)
    _shown_as_text(_page(client, f"/followups/{w['item']}/thread"), REPLY, NOTE)
    _page(client, "/followups/summary")
    _shown_as_text(_page(client, "/sms/phone?account=83101"), SCRIPT, REPLY)
    _shown_as_text(_page(client, "/sms/phone?account=83101&part=thread"), REPLY)
    _shown_as_text(_page(client, "/broadcasts"), TITLE)
    detail = _page(client, f"/broadcasts/{w['broadcast']}")
    _shown_as_text(detail, TITLE, SCRIPT)  # the preview's sample recipient is 83101
    assert "早评正文" in detail and "<strong>止损</strong>" in detail  # the note, with its harmless markup
    _shown_as_text(_page(client, "/staff"), STAFF_NAME)
    audit = _page(client, "/audit")
    assert "alert(&#39;login&#39;)" in audit or "alert('login')" in audit.replace("\\u0027", "'")


def test_the_research_note_page_keeps_only_harmless_markup(client, hostile_world):
    page = client.get(f"/n/{hostile_world['token']}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "早评正文" in html and "<strong>止损</strong>" in html
    body = html.split("</head>")[1]
    tags = re.findall(r"<[^>]*>", body)
    assert not [t for t in tags if re.search(r"script|\bon\w+\s*=|javascript:|<img", t, re.I)], tags
    assert "alert('research')</script>" not in body  # the script is gone, not merely disabled
    assert "看这里" in html and "链接" in html  # the link texts stay, without their scripts


# ---- CSRF ---------------------------------------------------------------------------------------------------

SIGNED = {"/sms/status", "/sms/inbound"}  # the provider's webhooks: signed instead (tests/broadcast, tests/followups)
CSRF_MESSAGE = "The form expired or was sent from elsewhere"


def _form_posts(app) -> list[str]:
    """Every POST route of the pages, with its variables filled: derived from the URL map, so a new form
    is covered without anyone adding it here."""
    urls = []
    for rule in app.url_map.iter_rules():
        if "POST" not in rule.methods or rule.rule.startswith("/api/") or rule.rule in SIGNED:
            continue
        values = {arg: 1 if isinstance(rule._converters[arg], IntegerConverter)
                  else ("en" if arg == "lang" else "83001") for arg in rule.arguments}
        urls.append(re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", lambda m, v=values: str(v[m.group(1)]), rule.rule))
    return sorted(set(urls))


def test_every_form_refuses_a_post_without_a_valid_csrf_token(app, client, signed_in, make_client):
    make_client("83001")
    urls = _form_posts(app)
    assert {"/login", "/logout", "/imports", "/broadcasts/new", "/followups/1/reply", "/staff"} <= set(urls)
    for url in urls:
        for token in (None, "forged-token", signed_in.token + "x"):
            data = {"csrf_token": token} if token else {}
            response = client.post(url, data=data, headers={"Accept-Language": "en"})
            assert response.status_code == 400, f"POST {url} with token {token!r}: {response.status_code}"
            assert CSRF_MESSAGE in response.get_data(as_text=True), url
    # still signed in: none of the refused posts did anything (not even signing out)
    assert client.get("/").status_code == 200


# ---- cookies ------------------------------------------------------------------------------------------------

def _session_cookie(response) -> str:
    cookies = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("session=")]
    assert cookies, "no session cookie set"
    return cookies[-1]


@pytest.mark.parametrize("base_url, secure", [("https://sms.example.com", True), ("http://127.0.0.1:5000", False)])
def test_session_cookie_flags(app, make_staff, base_url, secure):
    make_staff("admin", email="a@example.com")
    other = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
                        "SECRET_KEY": "test-secret", "RATELIMIT_ENABLED": False, "PUBLIC_BASE_URL": base_url})
    other.test_client_class = _ContextPerRequest
    try:
        client = other.test_client()
        page = client.get("/login", base_url=base_url)
        signed = client.post("/login", base_url=base_url, headers={"Referer": base_url + "/login"}, data={
            "email": "a@example.com", "password": "correct-horse-1",
            "csrf_token": csrf_from(page.get_data(as_text=True))})
        assert signed.status_code == 302
        for response in (page, signed):
            cookie = _session_cookie(response)
            assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
            assert ("Secure" in cookie) is secure, cookie
    finally:
        with other.app_context():
            db.engine.dispose()


def test_the_test_apps_cookie_is_httponly_and_samesite(client, auth, make_staff):
    make_staff("admin", email="a@example.com")
    cookie = _session_cookie(auth.login("a@example.com"))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie


# ---- uploads ------------------------------------------------------------------------------------------------

def _nothing_imported() -> None:
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Client)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ImportRun)) == 0


def test_an_upload_over_the_limit_is_413_on_the_page_and_the_api(app, client, signed_in, everyone, api_token,
                                                                 monkeypatch):
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 64 * 1024)
    big = "account_no,name\n" + "".join(f"{80000 + n},客户{n}\n" for n in range(8000))
    assert len(big.encode()) > 64 * 1024
    page = signed_in.post("/imports", {"kind": "clients", "clients-file": _csv_upload(big)},
                          content_type="multipart/form-data")
    assert page.status_code == 413 and "The upload is too large." in page.get_data(as_text=True)
    headers = api_token(everyone)
    api = client.post("/api/v1/clients/import", headers=headers, data={"file": _csv_upload(big)},
                      content_type="multipart/form-data")
    assert api.status_code == 413 and api.json == {"error": "the upload is too large", "code": "request.too_large",
                                                "field": None}
    raw = client.post("/api/v1/clients/import", headers={**headers, "Content-Type": "text/csv"}, data=big.encode())
    assert raw.status_code == 413
    _nothing_imported()


def _workbook() -> bytes:
    wb = Workbook()
    wb.active.append(["account_no", "name"])
    wb.active.append(["83001", "王芳"])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


SHEET = "xl/worksheets/sheet1.xml"
SHEET_HEAD = (b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
              b'<dimension ref="A1:B2"/><sheetData>'
              b'<row r="1"><c r="A1" t="inlineStr"><is><t>account_no</t></is></c>'
              b'<c r="B1" t="inlineStr"><is><t>name</t></is></c></row>'
              b'<row r="2"><c r="A2" t="inlineStr"><is><t>83001</t></is></c>'
              b'<c r="B2" t="inlineStr"><is><t>Wang Fang</t></is></c></row>')
SHEET_TAIL = b"</sheetData></worksheet>"


def _with_sheet(write_sheet) -> bytes:
    """A valid workbook whose first sheet is written by `write_sheet(file)`."""
    source = zipfile.ZipFile(io.BytesIO(_workbook()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for info in source.infolist():
            if info.filename == SHEET:
                with archive.open(SHEET, "w") as sheet:
                    write_sheet(sheet)
            else:
                archive.writestr(info.filename, source.read(info.filename))
    return out.getvalue()


def _expanding_sheet(megabytes: int):
    spaces = b" " * (1 << 20)

    def write(sheet):
        sheet.write(SHEET_HEAD)
        for _ in range(megabytes):
            sheet.write(spaces)
        sheet.write(SHEET_TAIL)

    return write


def _declare_size(data: bytes, name: str, size: int) -> bytes:
    """The archive with `name`'s uncompressed size rewritten (local header and central directory)."""
    buf = bytearray(data)
    encoded = name.encode()
    for signature, size_at, name_at in ((b"PK\x03\x04", 22, 30), (b"PK\x01\x02", 24, 46)):
        start = 0
        while (start := buf.find(signature, start)) >= 0:
            if buf[start + name_at:start + name_at + len(encoded)] == encoded:
                buf[start + size_at:start + size_at + 4] = size.to_bytes(4, "little")
            start += 4
    return bytes(buf)


BILLION_LAUGHS = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
                  + b"".join(b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10)
                             for i in range(1, 10))
                  + b"]>" + SHEET_HEAD.replace(b"<t>Wang Fang</t>", b"<t>&lol9;</t>") + SHEET_TAIL)


def test_a_zip_bomb_declaring_a_huge_sheet_is_refused_on_the_import_page(client, signed_in):
    bomb = _declare_size(_workbook(), SHEET, 3_000_000_000)  # about 10 KB on the wire, 3 GB declared
    assert len(bomb) < 20_000
    page = signed_in.post("/imports", {"kind": "clients", "clients-file": (io.BytesIO(bomb), "clients.xlsx")},
                          content_type="multipart/form-data")
    assert page.status_code == 200  # the import page again, with the reason
    assert "the workbook expands to more than 200 MB; refused" in page.get_data(as_text=True)
    _nothing_imported()


@pytest.mark.parametrize("kind", ["expands", "lies about its size", "entity bomb", "broken sheet"])
def test_hostile_workbooks_are_refused_by_the_api_with_a_clear_error(client, everyone, api_token, kind):
    if kind == "entity bomb":
        data = _with_sheet(lambda sheet: sheet.write(BILLION_LAUGHS))
    elif kind == "broken sheet":  # well-formed where openpyxl looks when opening it, broken further on
        data = _with_sheet(lambda sheet: sheet.write(SHEET_HEAD + b"<row><c"))
    else:
        data = _with_sheet(_expanding_sheet(210))  # 210 MB of sheet in about 200 KB
        if kind == "lies about its size":
            data = _declare_size(data, SHEET, 10_000)
    assert len(data) < 1_000_000
    response = client.post("/api/v1/clients/import", headers=api_token(everyone),
                           data={"file": (io.BytesIO(data), "clients.xlsx")}, content_type="multipart/form-data")
    assert response.status_code == 400 and response.json["field"] == "file"
    reason = response.json["error"]
    assert reason.startswith("The file cannot be read: the workbook")
    assert response.json["code"] == "import.unreadable_file"
    if kind == "expands":
        assert "200 MB" in reason
    _nothing_imported()


def test_text_files_that_are_not_csv_are_refused_with_a_clear_error(client, everyone, api_token):
    headers = api_token(everyone)
    for data, reason in ((b"account_no,name\n83001,\xe7\x8e\x8b\x00\xe8\x8a\xb3\n", "NUL characters"),
                         ("account_no,name\n83001,".encode() + b"x" * 200_000 + b"\n", "cannot be read as CSV"),
                         ("account_no,name\n".encode("utf-16"), "neither UTF-8 nor GBK")):
        response = client.post("/api/v1/clients/import", headers=headers,
                               data={"file": (io.BytesIO(data), "clients.csv")}, content_type="multipart/form-data")
        assert response.status_code == 400 and reason in response.json["error"]
    _nothing_imported()


# ---- SQL in filters and searches ------------------------------------------------------------------------------

SQL = ["' OR 1=1 --", "%", "_", "\\", "'; DROP TABLE clients; --", "%' OR '1'='1", "\") OR 1=1 --", "王' --"]


@pytest.fixture
def book(make_staff, make_client):
    own = make_staff("business_staff", email="bs@example.com", staff_code="S100", branch="上海浦东营业部")
    make_staff("admin", "chief_analyst", "approver", email="boss@example.com")
    make_client("83001", name="王芳", owner_id=own.id, tier=Tier.gold)
    make_client("83002", name="李强", tier=Tier.diamond, branch="北京朝阳营业部")
    make_client("83003", name="百分之百%_\\", tier=None)
    return own


def _tables() -> dict[str, int]:
    """Rows per table (but the audit log, its queue for sealing (records/), and the sessions, which sign-ins add
    to): every table still there, none changed."""
    db.session.expire_all()
    names = set(sa.inspect(db.engine).get_table_names()) - {"audit_log", "seal_queue", "staff_sessions"}
    return {name: db.session.scalar(sa.select(sa.func.count()).select_from(sa.table(name))) for name in names}


def _accounts_on(html: str) -> set[str]:
    return set(re.findall(r'href="/clients/(\d+)"', html))


def test_sql_in_client_filters_and_searches_is_harmless(client, auth, api_token, book):
    boss, own = api_token(_staff("boss@example.com")), api_token(book)
    before = _tables()
    for text in SQL:
        literal = {"83003"} if text in ("%", "_", "\\") else set()  # matched as the characters they are
        for field in ("q", "branch", "staff_code", "tier"):
            response = client.get("/api/v1/clients", query_string={field: text}, headers=boss)
            assert response.status_code in (200, 400), (field, text, response.status_code)
            if response.status_code == 200:
                found = {c["account_no"] for c in response.json["items"]}
                assert found == (literal if field == "q" else set()), (field, text, found)
            mine = client.get("/api/v1/clients", query_string={field: text}, headers=own)
            assert mine.status_code in (200, 400, 403), (field, text, mine.status_code)
            if mine.status_code == 200:  # never someone else's client
                assert {c["account_no"] for c in mine.json["items"]} <= {"83001"}
        assert client.get(f"/api/v1/clients/{text}", headers=boss).status_code in (404, 405)
    auth.login("boss@example.com")
    for text in SQL:
        literal = {"83003"} if text in ("%", "_", "\\") else set()
        for field in ("q", "branch", "staff_code", "tier"):
            response = client.get("/clients", query_string={field: text})
            assert response.status_code == 200, (field, text, response.status_code)
            if field in ("q", "branch", "staff_code"):
                assert _accounts_on(response.get_data(as_text=True)) == (literal if field == "q" else set())
    auth.post("/logout")
    auth.login("bs@example.com")
    for text in SQL:
        response = client.get("/clients", query_string={"q": text})
        assert response.status_code == 200 and _accounts_on(response.get_data(as_text=True)) <= {"83001"}
    assert _tables() == before


def _staff(email: str):
    from staff.models import Staff

    return db.session.scalar(sa.select(Staff).where(Staff.email == email))


def test_sql_in_follow_up_and_broadcast_filters_is_harmless(client, auth, api_token, book):
    headers = api_token(_staff("boss@example.com"))
    auth.login("boss@example.com")
    before = _tables()
    for text in SQL:
        for field in ("queue", "status", "assignee", "category"):
            api = client.get("/api/v1/followups", query_string={field: text}, headers=headers)
            assert api.status_code == 400 and api.json["error"], (field, text, api.status_code)
            page = client.get("/followups", query_string={field: text})
            assert page.status_code == 400, (field, text, page.status_code)
            assert client.get("/followups/rows", query_string={field: text}).status_code == 400
        page = client.get("/broadcasts", query_string={"state": text})
        assert page.status_code == 200
        assert client.get("/audit", query_string={"action": text}).status_code == 200
        assert client.get("/broadcasts/progress", query_string={"ids": text}).json == {}
    assert _tables() == before


# ---- at the door: NUL characters, page numbers, ids --------------------------------------------------------

def test_nul_characters_are_refused_at_the_door(client, auth, api_token, book):
    headers = {**api_token(_staff("boss@example.com")), "Accept-Language": "en"}
    for url in ("/api/v1/clients?q=a%00b", "/api/v1/clients?branch=%00", "/api/v1/followups?queue=%00",
                "/api/v1/clients/830%0001"):
        response = client.get(url, headers=headers)
        assert response.status_code == 400 and "NUL" in response.json["error"], url
    created = client.post("/api/v1/broadcasts", headers=headers, json={
        "kind": "daily_comment", "title": "日评\x00", "body": "您好", "audience": {"tiers": ["gold"]}})
    assert created.status_code == 400 and "NUL" in created.json["error"]
    consent = client.post("/api/v1/clients/83001/consent", headers=headers, json={"opted_out": True, "how": "\x00"})
    assert consent.status_code == 400
    auth.login("boss@example.com")
    assert client.get("/clients?q=%00").status_code == 400
    assert auth.post("/clients/83001/consent", {"how": "电话\x00", "opted_out": "1"}).status_code == 400
    db.session.expire_all()
    assert not db.session.scalar(sa.select(Client).where(Client.account_no == "83001")).opted_out


def test_page_numbers_and_ids_past_the_database_are_refused(client, auth, api_token, book):
    headers = api_token(_staff("boss@example.com"))
    huge = "99999999999999999999"
    for url in (f"/api/v1/clients?page={huge}", f"/api/v1/followups?page={huge}",
                f"/api/v1/clients?per_page={huge}"):
        response = client.get(url, headers=headers)
        assert response.status_code == 400 and response.json["field"] in ("page", "per_page"), url
    for method, url in (("GET", f"/api/v1/broadcasts/{huge}"), ("PATCH", f"/api/v1/broadcasts/{huge}"),
                        ("POST", f"/api/v1/followups/{huge}/claim"), ("GET", f"/api/v1/tier-reviews/{huge}")):
        response = client.open(url, method=method, headers=headers, json={})
        assert response.status_code == 404 and response.json["error"] == "not found", (method, url)
    auth.login("boss@example.com")
    for url in (f"/clients?page={huge}", f"/followups?page={huge}", f"/broadcasts?page={huge}",
                f"/audit?page={huge}"):
        assert client.get(url).status_code == 400, url
    assert client.get(f"/broadcasts/{huge}").status_code == 404
    assert client.get("/clients?page=2").status_code == 200
