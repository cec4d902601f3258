"""API tokens expire after API_TOKEN_DAYS, can be listed and revoked from the CLI and the page (by their holder
or an admin); an expired or revoked token gets 401."""
from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from core.audit import AuditEntry
from core.config import ConfigError, check
from core.extensions import db
from staff.models import ApiToken
from tests.staff.conftest import T0

API = "/api/v1/clients"


def test_a_token_expires_after_api_token_days(app, client, clock, make_staff, api_token, monkeypatch):
    admin = make_staff("admin")
    headers = api_token(admin)
    row = db.session.scalar(sa.select(ApiToken))
    assert row.expires_at == T0 + timedelta(days=90)
    clock.advance(days=90, seconds=-1)
    assert client.get(API, headers=headers).status_code == 200
    clock.advance(seconds=1)
    assert client.get(API, headers=headers).status_code == 401
    monkeypatch.setitem(app.config, "API_TOKEN_DAYS", 7)
    short = api_token(admin)
    clock.advance(days=7)
    assert client.get(API, headers=short).status_code == 401


def test_api_token_days_is_checked_at_start():
    for bad in (0, "ninety", 4000):
        with pytest.raises(ConfigError, match="API_TOKEN_DAYS"):
            check({"API_TOKEN_DAYS": bad})


def test_the_cli_issues_lists_and_revokes_tokens(app, client, clock, runner, make_staff):
    make_staff("admin", email="a@example.com")
    made = runner.invoke(args=["users", "token", "a@example.com", "--days", "30", "--label", "nightly import"])
    assert made.exit_code == 0, made.output
    headers = {"Authorization": f"Bearer {made.output.strip()}"}
    assert client.get(API, headers=headers).status_code == 200
    assert runner.invoke(args=["users", "token", "a@example.com", "--days", "91"]).exit_code != 0  # over the limit
    listed = runner.invoke(args=["users", "tokens"]).output
    row = db.session.scalar(sa.select(ApiToken))
    assert row.prefix in listed and "nightly import" in listed and "usable" in listed
    assert made.output.strip() not in listed  # only the prefix, never the token
    revoked = runner.invoke(args=["users", "revoke-token", str(row.id)])
    assert revoked.exit_code == 0, revoked.output
    assert client.get(API, headers=headers).status_code == 401
    assert runner.invoke(args=["users", "tokens"]).output.strip() == "no tokens"
    assert "revoked" in runner.invoke(args=["users", "tokens", "--all"]).output
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "token.revoke"))
    assert entry.actor_label == "cli" and entry.detail["token_id"] == row.id


def test_each_user_sees_and_revokes_their_own_tokens_on_the_page(app, client, auth, make_staff, api_token):
    mine = make_staff("chief_analyst", email="chief@example.com")
    theirs = make_staff("business_staff", email="b@example.com")
    my_headers, their_headers = api_token(mine), api_token(theirs)
    my_row, their_row = db.session.scalars(sa.select(ApiToken).order_by(ApiToken.id)).all()
    auth.login("chief@example.com")
    page = client.get("/tokens").get_data(as_text=True)
    assert my_row.prefix in page and their_row.prefix not in page
    assert auth.post(f"/tokens/{their_row.id}/revoke").status_code == 403
    assert client.get(API, headers=their_headers).status_code == 200  # still theirs, still working
    assert auth.post(f"/tokens/{my_row.id}/revoke").status_code == 302
    assert client.get(API, headers=my_headers).status_code == 401


def test_admins_see_and_revoke_everyones_tokens(app, client, auth, make_staff, api_token):
    make_staff("admin", email="a@example.com")
    other = make_staff("chief_analyst", email="chief@example.com")
    headers = api_token(other)
    row = db.session.scalar(sa.select(ApiToken))
    auth.login("a@example.com")
    page = client.get("/tokens").get_data(as_text=True)
    assert row.prefix in page and "chief@example.com" in page
    assert auth.post(f"/tokens/{row.id}/revoke").status_code == 302
    assert client.get(API, headers=headers).status_code == 401
    again = auth.post(f"/tokens/{row.id}/revoke")  # already revoked: refused, not revoked twice
    assert again.status_code == 302
    assert len(db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "token.revoke")).all()) == 1
