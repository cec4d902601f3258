"""The commands an admin runs: users, imports, tier reviews, demo data."""
from __future__ import annotations

from collections import Counter
from datetime import datetime, timezone

import sqlalchemy as sa

from clients.appropriateness import Exclusion, RiskLevel, exclusion
from clients.models import Client, ReviewState, TierReview
from core import clock
from core.extensions import db
from staff.models import ApiToken, Staff
from staff.tokens import hash_token


def test_users_create_with_several_roles_and_token(runner, client):
    result = runner.invoke(args=["users", "create", "--email", "Boss@Example.com", "--name", "王总",
                                 "--role", "chief_analyst", "--role", "approver", "--password", "long-enough-1"])
    assert result.exit_code == 0, result.output
    staff = db.session.scalar(sa.select(Staff).where(Staff.email == "boss@example.com"))
    assert {r.value for r in staff.role_set} == {"chief_analyst", "approver"}
    assert staff.password_hash != "long-enough-1" and staff.check_password("long-enough-1")

    token = runner.invoke(args=["users", "token", "boss@example.com"])
    assert token.exit_code == 0
    value = token.output.strip()
    stored = db.session.scalar(sa.select(ApiToken))
    assert stored.token_hash == hash_token(value) and value not in stored.token_hash
    assert client.get("/api/v1/clients", headers={"Authorization": f"Bearer {value}"}).status_code == 200


def test_users_create_prompts_for_the_password(runner):
    result = runner.invoke(args=["users", "create", "--email", "r@example.com", "--name", "R",
                                 "--role", "researcher"], input="secret-pass-9\nsecret-pass-9\n")
    assert result.exit_code == 0, result.output
    assert "secret-pass-9" not in result.output


def test_users_create_errors_are_clear(runner):
    bad_role = runner.invoke(args=["users", "create", "--email", "x@example.com", "--name", "X",
                                   "--role", "boss", "--password", "long-enough-1"])
    assert bad_role.exit_code != 0 and "boss" in bad_role.output
    no_branch = runner.invoke(args=["users", "create", "--email", "x@example.com", "--name", "X",
                                    "--role", "business_staff", "--password", "long-enough-1"])
    assert no_branch.exit_code != 0 and "branch" in no_branch.output
    assert runner.invoke(args=["users", "token", "nobody@example.com"]).exit_code != 0


def test_clients_import_prints_summary_and_rejections(runner, tmp_path):
    path = tmp_path / "clients.csv"
    path.write_bytes("资金账号,客户名称,手机号码\n87001,甲,13812345678\n87002,乙,abc\n".encode("gb18030"))
    result = runner.invoke(args=["clients", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert "created 1, updated 0, unchanged 0, rejected 1" in result.output
    assert "line 3: 87002" in result.output
    again = runner.invoke(args=["clients", "import", str(path)])
    assert "created 0, updated 0, unchanged 1, rejected 1" in again.output


def test_clients_import_fails_when_the_file_cannot_be_read(runner, tmp_path):
    missing = runner.invoke(args=["clients", "import", str(tmp_path / "nope.csv")])
    assert missing.exit_code != 0 and "cannot read" in missing.output
    headerless = tmp_path / "bad.csv"
    headerless.write_text("foo,bar\n1,2\n")
    result = runner.invoke(args=["clients", "import", str(headerless)])
    assert result.exit_code != 0 and "missing column" in result.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Client)) == 0


def test_import_monthly_then_review_and_publish(runner, tmp_path, make_client):
    make_client("87010")
    path = tmp_path / "m.csv"
    path.write_text("account_no,month,avg_equity,commission,month_end_equity\n"
                    "87010,2026-07,\"6,000,000\",0,0\n87010,2026-08,6000000,0,0\n87010,2026-09,6000000,0,0\n")
    assert "created 3" in runner.invoke(args=["clients", "import-monthly", str(path)]).output
    review = runner.invoke(args=["tiers", "review", "--quarter", "2026Q3"])
    assert review.exit_code == 0 and "platinum 1" in review.output
    review_id = db.session.scalar(sa.select(TierReview.id))
    assert runner.invoke(args=["tiers", "review", "--quarter", "Q3"]).exit_code != 0
    published = runner.invoke(args=["tiers", "publish", str(review_id)])
    assert published.exit_code == 0, published.output
    db.session.expire_all()
    assert db.session.get(TierReview, review_id).state == ReviewState.published
    assert db.session.scalar(sa.select(Client.tier)).value == "platinum"
    assert runner.invoke(args=["tiers", "publish", str(review_id)]).exit_code != 0


def test_demo_seed_fills_an_empty_database_once(runner):
    result = runner.invoke(args=["demo", "seed", "--clients", "300"])
    assert result.exit_code == 0, result.output
    assert "admin@demo.local" in result.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Client)) == 300
    tiers = set(db.session.scalars(sa.select(Client.tier).distinct()))
    assert len(tiers) >= 5  # a spread of tiers, not one
    reviews = db.session.scalars(sa.select(TierReview)).all()
    assert {r.state for r in reviews} == {ReviewState.published, ReviewState.draft}
    # clients carry assessments: most may receive a commentary (R2) today, and every reason to leave one out shows
    today = clock.local_today("Asia/Shanghai")
    why = Counter(exclusion(c.investor_type, c.risk_tolerance, c.risk_assessed_on, RiskLevel.R2, today)
                  for c in db.session.scalars(sa.select(Client)))
    assert why[None] >= 240 and why[Exclusion.no_assessment] and why[Exclusion.expired] and why[Exclusion.too_low]
    assert "Investor appropriateness" in result.output
    again = runner.invoke(args=["demo", "seed"])
    assert again.exit_code == 0 and "not added" in again.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Client)) == 300


def test_demo_seed_says_how_to_see_sending_at_night(app, runner, monkeypatch):
    """A demo started at night still shows sending: the seed names the quiet hours and the one setting that
    switches them off, and says when it is inside them now."""
    from clients.demo import quiet_hours_hint
    from core.calendar import calendar_for

    monkeypatch.setitem(app.config, "QUIET_HOURS", "21:00-08:00")  # the default outside tests
    monkeypatch.setitem(app.extensions, "clock", clock.SettableClock(datetime(2026, 11, 25, 15, 0, tzinfo=timezone.utc)))
    result = runner.invoke(args=["demo", "seed", "--clients", "30"])  # at 23:00 in Shanghai
    assert "Quiet hours 21:00-08:00 (Asia/Shanghai)" in result.output
    assert "It is 23:00 there now, inside them" in result.output
    assert "QUIET_HOURS= .venv/bin/flask --app app serve" in result.output
    day = datetime(2026, 11, 25, 3, 0, tzinfo=timezone.utc)  # 11:00
    assert "inside them" not in quiet_hours_hint(calendar_for(app.config), day)
    assert "off" in quiet_hours_hint(calendar_for({**app.config, "QUIET_HOURS": ""}), day)
