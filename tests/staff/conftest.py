from __future__ import annotations

from datetime import UTC, datetime

import pytest

from core.clock import SettableClock

T0 = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai


@pytest.fixture
def clock(app):
    """The app's one clock, stopped at T0 for this test; the test moves it."""
    before = app.extensions["clock"]
    app.extensions["clock"] = SettableClock(T0)
    yield app.extensions["clock"]
    app.extensions["clock"] = before


def fresh_client(app, cookie: str | None = None):
    """Another browser; with `cookie`, one that replays a copied session cookie."""
    from tests.conftest import _ContextPerRequest

    app.test_client_class = _ContextPerRequest
    other = app.test_client()
    if cookie is not None:
        other.set_cookie("session", cookie)
    return other


def signed_in(client) -> bool:
    """Whether this browser is signed in: the home page opens instead of sending it to the sign-in page."""
    response = client.get("/")
    return response.status_code == 200 and 'class="who"' in response.get_data(as_text=True)
