"""Browser tests: the app served for real on loopback, with the worker sending through the SMS simulator, and
Debian's Chromium driven by Playwright, each user in their own browser context, signed in through the login page.

The app is the session's app of tests/conftest.py (same database, tables emptied after each test); each test
gets its own server, on a free port that becomes PUBLIC_BASE_URL, and its own worker thread, as `flask serve`
runs them, both stopped before the tables are emptied. The simulator posts its signed delivery callbacks over
HTTP to that server, as a provider would.

Each test saves a full-page screenshot of its last page in test-output/e2e/<test name>.png (and, when it fails,
one of every page it had open, <test name>-failed-<n>.png), so that a person can look at what users see.
"""
from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field
from pathlib import Path

import pyotp
import pytest
from flask import current_app
from flask_babel import force_locale, gettext
from playwright.sync_api import Browser, Page, expect, sync_playwright
from werkzeug.serving import make_server

from core import clock
from core.extensions import db
from messaging.worker import Worker
from sms.gateway import SimulatorGateway, simulator_token
from tests.conftest import PASSWORD, totp_code

CHROMIUM = os.environ.get("E2E_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
OUTPUT = Path(__file__).resolve().parents[2] / "test-output" / "e2e"
WAIT_MS = 15_000  # a page, a click, an element: ordinary waits
SENDING_MS = 30_000  # what goes through the worker and the simulator's callbacks

expect.set_options(timeout=WAIT_MS)
_FAILED = pytest.StashKey[bool]()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.failed:
        item.stash[_FAILED] = True


def zh(text: str, **variables) -> str:
    """What the pages show for the English message `text` in Chinese, from the app's own catalogue."""
    with current_app.test_request_context(), force_locale("zh"):
        return gettext(text, **variables)


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).is_file():
        pytest.fail(f"The browser tests need Chromium at {CHROMIUM}, and it is not there. Install it (as root) with "
                    "`apt-get install -y chromium fonts-noto-cjk`, or set E2E_CHROMIUM to another Chromium binary.",
                    pytrace=False)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@dataclass
class Site:
    base: str
    gateway: SimulatorGateway
    worker: Worker


@pytest.fixture
def site(app, monkeypatch):
    """The app on a free loopback port, with a worker thread sending through the simulator (no failures, a
    short delay before each callback) and no quiet hours, so that nothing depends on the hour of the run."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    base = f"http://127.0.0.1:{server.server_port}"
    for key, value in {"PUBLIC_BASE_URL": base, "SMS_GATEWAY": "simulator", "QUIET_HOURS": "",
                       "SMS_RATE_PER_SECOND": 50}.items():
        monkeypatch.setitem(app.config, key, value)
    serving = threading.Thread(target=server.serve_forever, name="e2e-server", daemon=True)
    serving.start()
    gateway = SimulatorGateway(simulator_token(app.config["SECRET_KEY"]), delay=0.2, failure_share=0)
    worker = Worker(app, gateway)
    stop = threading.Event()
    working = threading.Thread(target=worker.run, args=(stop,), kwargs={"idle_sleep": 0.2}, name="e2e-worker",
                               daemon=True)
    working.start()
    try:
        assert worker.running.wait(15), "the worker did not start"
        yield Site(base, gateway, worker)
    finally:
        stop.set()
        working.join(timeout=20)
        # the simulator's callbacks still on their way, so that none arrives after the tables are emptied
        for thread in threading.enumerate():
            if isinstance(thread, threading.Timer):
                thread.join(timeout=5)
        server.shutdown()
        server.server_close()
        serving.join(timeout=10)
        db.session.remove()
    assert not working.is_alive(), "the worker did not stop"


@dataclass
class Users:
    """Signs people in, each in their own browser context (their own cookies, as on their own computer)."""

    browser: Browser
    base: str
    pages: list[Page] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)  # what the browser refused to run under the CSP

    def sign_in(self, email: str, password: str = PASSWORD) -> Page:
        context = self.browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", base_url=self.base,
                                           viewport={"width": 1280, "height": 900})
        context.set_default_timeout(WAIT_MS)
        page = context.new_page()
        self.pages.append(page)
        # a page that breaks the Content-Security-Policy (inline script, a handler attribute) fails its test
        page.on("console", lambda message: self.refused.append(f"{page.url}: {message.text}")
                if "Content Security Policy" in message.text else None)
        page.goto("/login")
        login = page.locator("main form")  # not the header's language switch, which is a form too
        login.locator("input[name=email]").fill(email)
        login.locator("input[name=password]").fill(password)
        with page.expect_navigation():
            login.locator("input[name=password]").press("Enter")
        if page.url.endswith("/login/code"):  # approvers and admins: the authenticator's code, as a person types it
            with page.expect_navigation():
                page.locator("main form input[name=code]").fill(totp_code(email, moving=True))
                page.locator("main form input[name=code]").press("Enter")
        elif page.url.endswith("/login/enrol"):  # not enrolled yet: the key the page shows, then the codes page
            secret = page.locator("code.secret").inner_text()
            with page.expect_navigation():
                page.locator("main form input[name=code]").fill(pyotp.TOTP(secret).at(clock.now()))
                page.locator("main form input[name=code]").press("Enter")
            with page.expect_navigation():
                page.locator("main a.button").click()
        if page.locator("header .who").count() == 0:
            shown = page.locator("main").inner_text()[:300]
            raise AssertionError(f"signing in as {email} failed (at {page.url}): {shown}")
        return page

    def close(self) -> None:
        for page in self.pages:
            page.context.close()


def _full_page(page: Page, path: Path) -> None:
    """The whole page, in a window as tall as the page, so that what sticks to the bottom of the window (the
    compose page's preview) is shown where it ends up rather than over the middle of the form."""
    size = page.viewport_size
    height = page.evaluate("document.documentElement.scrollHeight")
    page.set_viewport_size({"width": size["width"], "height": max(size["height"], height)})
    try:
        page.screenshot(path=path, full_page=True)
    finally:
        page.set_viewport_size(size)


def _clear_screenshots(name: str) -> None:
    for path in [OUTPUT / f"{name}.png", *OUTPUT.glob(f"{name}-*.png")]:
        path.unlink(missing_ok=True)


@pytest.fixture
def users(browser, site, request):
    _clear_screenshots(request.node.name)  # none left from an earlier run to mistake for this one's
    people = Users(browser, site.base)
    yield people
    if request.node.stash.get(_FAILED, False):
        OUTPUT.mkdir(parents=True, exist_ok=True)
        for n, page in enumerate(people.pages, 1):
            try:
                _full_page(page, OUTPUT / f"{request.node.name}-failed-{n}.png")
            except Exception:  # a page that crashed has nothing to show
                pass
    people.close()
    assert people.refused == [], "the Content-Security-Policy blocked part of a page"


@pytest.fixture
def screenshot(request):
    """Saves a full-page screenshot of `page` as test-output/e2e/<test name>[-suffix].png."""

    def save(page: Page, suffix: str = "") -> Path:
        OUTPUT.mkdir(parents=True, exist_ok=True)
        path = OUTPUT / f"{request.node.name}{'-' + suffix if suffix else ''}.png"
        _full_page(page, path)
        return path

    return save
