"""Every answer carries the headers that keep our pages to themselves, and no page holds script the
Content-Security-Policy would block (inline script, `on...=` handlers, `style=`): the policy forbids them, so
a page that has one is broken in the browser, and one that needs one would invite injected script back."""
from __future__ import annotations

import logging
import threading
from html.parser import HTMLParser
from pathlib import Path

import pytest
import requests
from werkzeug.serving import make_server

from core.accesslog import GUNICORN_ACCESS_LOG_FORMAT, PathOnlyRequestHandler, logged_path
from core.headers import HEADERS
from tests.core.test_access import CASES, world  # noqa: F401  (the fixture)

PAGES = sorted({(c[2], sorted(c[3])[0]) for c in CASES if c[1] == "GET" and not c[2].startswith("/api/")})


class InlineCode(HTMLParser):
    """Collects what a CSP of `script-src 'self'; style-src 'self'` would refuse to run."""

    def __init__(self):
        super().__init__()
        self.found: list[str] = []
        self._script_open = False

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        for name in attributes:
            if name.startswith("on") or name == "style":
                self.found.append(f"<{tag} {name}=...>")
        if tag == "script" and not attributes.get("src") and attributes.get("type") != "application/json":
            self._script_open = True
        if tag == "a" and (attributes.get("href") or "").strip().lower().startswith("javascript:"):
            self.found.append("<a href=javascript:...>")

    def handle_data(self, data):
        if self._script_open and data.strip():
            self.found.append(f"<script>{data.strip()[:40]}")

    def handle_endtag(self, tag):
        if tag == "script":
            self._script_open = False


def inline_code(html: str) -> list[str]:
    parser = InlineCode()
    parser.feed(html)
    return parser.found


def test_the_checker_finds_what_the_policy_blocks():
    assert inline_code('<form onsubmit="return confirm(1)"></form><p style="color:red">') == [
        "<form onsubmit=...>", "<p style=...>"]
    assert inline_code("<script>alert(1)</script>") == ["<script>alert(1)"]
    assert inline_code('<script src="/static/x.js"></script><script type="application/json">{"a": 1}</script>') == []


@pytest.mark.parametrize("path,role", PAGES, ids=[p for p, _ in PAGES])
def test_every_page_has_the_headers_and_no_inline_code(client, auth, world, path, role):  # noqa: F811
    _, ids = world
    auth.login(f"{role}@example.com")
    response = client.get(path.format(**ids))
    assert response.status_code == 200
    for name, value in HEADERS.items():
        assert response.headers.get(name) == value, name
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in response.headers["Content-Security-Policy"]
    assert inline_code(response.get_data(as_text=True)) == [], path


def test_sign_in_error_and_api_answers_have_them_too(client, api_token, make_staff):
    for response in (client.get("/login"), client.get("/no-such-page"), client.get("/api/v1/clients"),
                     client.get("/api/v1/openapi.json")):
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "same-origin"
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert inline_code(client.get("/login").get_data(as_text=True)) == []
    assert inline_code(client.get("/no-such-page").get_data(as_text=True)) == []


def test_the_access_log_keeps_the_path_not_the_query(app, caplog):
    """`flask serve` logs a search for a client by name or mobile without what was searched for."""
    assert logged_path("/clients?q=13800138000&page=2") == "/clients"
    assert logged_path("/clients/83001") == "/clients/83001"
    assert logged_path("/n/Xq3vT9kLm2") == "/n/…"  # a note's link is its reader's key
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=PathOnlyRequestHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with caplog.at_level(logging.INFO, logger="werkzeug"):
            base = f"http://127.0.0.1:{server.server_port}"
            requests.get(f"{base}/clients", params={"q": "13800138000 张三"}, allow_redirects=False, timeout=10)
            requests.get(f"{base}/login?next=/clients%3Fq%3D%E5%BC%A0%E4%B8%89", timeout=10)
    finally:
        server.shutdown()
        server.server_close()
    lines = [r.getMessage() for r in caplog.records if r.name == "werkzeug"]
    assert any('"GET /clients HTTP/1.1" 302' in line for line in lines), lines
    assert any('"GET /login HTTP/1.1" 200' in line for line in lines), lines
    joined = "\n".join(lines)
    assert "13800138000" not in joined and "张三" not in joined and "%E5" not in joined and "q=" not in joined


def test_the_deployment_guide_gives_gunicorn_the_same_rule():
    guide = (Path(__file__).resolve().parents[2] / "docs" / "deployment.md").read_text(encoding="utf-8")
    assert f"--access-logformat '{GUNICORN_ACCESS_LOG_FORMAT}'" in guide
    assert "%(r)s" not in GUNICORN_ACCESS_LOG_FORMAT and "%(q)s" not in GUNICORN_ACCESS_LOG_FORMAT
    assert "%(f)s" not in GUNICORN_ACCESS_LOG_FORMAT


def test_an_sql_error_is_logged_without_the_values_it_carried(app, make_client, caplog):
    """A failing statement is logged by its SQL, not by the client's mobile or name it carried: neither the
    bound parameters nor the database's own detail (PostgreSQL's "Failing row contains (...)")."""
    import sqlalchemy as sa

    from core.extensions import db

    secret = {"a": "83001", "n": "王秘密", "m": "+8613912345678"}  # (a traceback shows source lines: no literals)
    make_client(secret["a"], mobile=secret["m"], name=secret["n"])
    with pytest.raises(sa.exc.IntegrityError) as failure:
        db.session.execute(sa.text("INSERT INTO clients (account_no, name, mobile) VALUES (:a, :n, :m)"), secret)
        db.session.flush()
    db.session.rollback()
    assert secret["m"] not in str(failure.value).split("[SQL:")[1]  # the engine hides the parameters
    with caplog.at_level(logging.ERROR):
        try:
            raise failure.value
        except sa.exc.IntegrityError:
            app.logger.exception("Exception on /clients [POST]")  # as Flask logs an unhandled error
            logging.getLogger("messaging.worker").exception("tick failed")  # as the worker does
    logged = caplog.text
    assert logged.count("DatabaseErrorLogged: IntegrityError") == 2, logged
    assert logged.count("[SQL: INSERT INTO clients (account_no, name, mobile) VALUES") == 2
    assert "13912345678" not in logged and "王秘密" not in logged and "83001" not in logged


def test_flask_serve_on_another_port_is_its_own_public_address():
    """`flask serve --port 5077` without PUBLIC_BASE_URL: the simulator's callbacks and note links must reach
    the port it serves on, or every message stays queued at the provider for good."""
    from messaging.cli import served_base_url

    default = "http://127.0.0.1:5000"
    assert served_base_url(None, "127.0.0.1", 5077, default) == "http://127.0.0.1:5077"
    assert served_base_url("", "0.0.0.0", 8000, default) == "http://127.0.0.1:8000"
    assert served_base_url("https://sms.example.com", "0.0.0.0", 8000, "https://sms.example.com") == \
        "https://sms.example.com"
