"""Fixtures: one schema per test run, built by the migrations; after each test every table is emptied and what
the migrations seed is written again.

The database is SQLite (a file in a temporary folder) unless TEST_DATABASE_URL names another, such as
postgresql+psycopg://postgres@127.0.0.1:5432/test; CI runs the suite once with each.
"""
from __future__ import annotations

import importlib.util
import os
import re
import uuid
from contextlib import contextmanager
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from flask_migrate import upgrade

from app import create_app
from core.config import normalise_db_url
from core.extensions import db

PASSWORD = "correct-horse-1"


@contextmanager
def _database(tmp_path_factory):
    """A database of this run's own: a SQLite file, or a new PostgreSQL database made beside the one
    TEST_DATABASE_URL names (so two runs on one server never share tables), dropped at the end."""
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
        return
    base = sa.engine.make_url(normalise_db_url(url))
    name = f"fsms_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    # pre-ping: a test restarts the server (tests/broadcast/test_workers.py), which breaks pooled connections
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT", pool_pre_ping=True)
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def _app(tmp_path_factory):
    import staff.models

    staff.models.PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"  # fast in tests; the check is the same code
    with _database(tmp_path_factory) as url:
        # no quiet hours unless a test sets them, so that results do not depend on the hour the suite runs
        app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "test-secret",
                          "QUIET_HOURS": "", "RATELIMIT_ENABLED": False})
        with app.app_context():
            upgrade()
        yield app
        with app.app_context():
            db.engine.dispose()


def _migration(name: str):
    path = Path(__file__).resolve().parents[1] / "migrations" / "versions" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"migration_{name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# what the migrations write besides the schema: after emptying every table, each test gets it back, so that it
# starts from the database as `flask db upgrade` leaves it
SEEDED_BY_MIGRATIONS = [_migration("0008_seed_canned_answers").seed, _migration("0015_canned_scope").seed]
# the database refuses to delete records (messages, audit entries, seals, sent broadcasts; migration 0013):
# emptying the tables after a test is the one deletion allowed, so the teardown lifts that refusal and puts it
# back, exactly as the migration made it; tests of the refusal (tests/records) run with it in place
RECORDS_KEPT = _migration("0013_record_chain")


@pytest.fixture
def app(_app):
    with _app.app_context():
        yield _app
        db.session.remove()
        tables = [t.name for t in reversed(db.metadata.sorted_tables)]
        with db.engine.begin() as conn:
            RECORDS_KEPT.drop_keep_triggers(conn)
            if db.engine.dialect.name == "postgresql":
                conn.execute(sa.text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
            else:
                for name in tables:
                    conn.execute(sa.text(f"DELETE FROM {name}"))
            RECORDS_KEPT.create_keep_triggers(conn)
            for seed in SEEDED_BY_MIGRATIONS:
                seed(conn)


class _ContextPerRequest(FlaskClient):
    """Each request gets its own app context, as in a server, so `g` (the language, the user) is not shared."""

    def open(self, *args, **kwargs):
        with self.application.app_context():
            return super().open(*args, **kwargs)


@pytest.fixture
def client(app):
    app.test_client_class = _ContextPerRequest
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def csrf_from(html: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert match, "page has no CSRF token"
    return match.group(1)


def totp_code(email: str, moving: bool = False) -> str:
    """The authenticator's code for `email` now (by the app's clock): the first time step that no code of
    theirs was accepted for yet, within the one step either side the app accepts, so that one person can sign in
    a few times at one frozen test time. With a `moving` clock (a browser test on real time) the step before
    now is never used: the clock could pass into the next step before the server reads the code."""
    from core import clock
    from staff import totp
    from staff.models import Staff

    db.session.expire_all()
    staff = db.session.scalar(sa.select(Staff).where(Staff.email == email.strip().lower()))
    current = totp.step_at(clock.now())
    step = max(current if moving else current - totp.WINDOW, (staff.totp_last_step or -1) + 1)
    assert step <= current + totp.WINDOW, f"{email} used every code of this time; advance the clock"
    return totp.code_at(staff.totp_secret, step)


def enrol_secret(html: str) -> str:
    match = re.search(r'<code class="secret">([A-Z2-7]+)</code>', html)
    assert match, "the enrolment page shows no key"
    return match.group(1)


class Auth:
    """Signs in through the real login form (CSRF included), then the second factor the way a person does (a
    code computed with pyotp from the enrolled secret, or enrolment with the key the page shows), and keeps the
    session's CSRF token. Returns the last answer: a redirect when signed in, the form again when refused."""

    def __init__(self, client):
        self.client = client
        self.token: str | None = None

    def login(self, email: str, password: str = PASSWORD):
        import pyotp

        from core import clock

        page = self.client.get("/login")
        token = csrf_from(page.get_data(as_text=True))
        response = self.client.post("/login", data={"email": email, "password": password, "csrf_token": token})
        if response.status_code == 302 and response.headers["Location"].endswith("/login/code"):
            token = csrf_from(self.client.get("/login/code").get_data(as_text=True))
            response = self.client.post("/login/code", data={"code": totp_code(email), "csrf_token": token})
        elif response.status_code == 302 and response.headers["Location"].endswith("/login/enrol"):
            html = self.client.get("/login/enrol").get_data(as_text=True)
            code = pyotp.TOTP(enrol_secret(html)).at(clock.now())
            self.client.post("/login/enrol", data={"code": code, "csrf_token": csrf_from(html)})
            response = self.client.get("/login/enrol")  # signed in: on to where the sign-in was going
        self.token = csrf_from(self.client.get("/").get_data(as_text=True)) if response.status_code == 302 \
            else token
        return response

    def post(self, url: str, data: dict | None = None, **kwargs):
        return self.client.post(url, data={**(data or {}), "csrf_token": self.token}, **kwargs)


@pytest.fixture
def auth(client):
    return Auth(client)


# ---- factories -------------------------------------------------------------------------------------------

@pytest.fixture
def make_staff(app):
    from staff import second_factor, totp
    from staff.service import create_staff

    counter = iter(range(1, 10_000))

    def make(*roles: str, email: str | None = None, branch: str | None = None, staff_code: str | None = None,
             name: str | None = None, enrolled: bool | None = None, qualification_no: str | None = "default"):
        """`enrolled`: given a second factor (a TOTP secret); by default when the role signs in with one."""
        n = next(counter)
        roles = roles or ("admin",)
        if "business_staff" in roles:
            branch = branch or "上海浦东营业部"
            staff_code = staff_code or f"S{n:03d}"
        staff = create_staff(db.session, email=email or f"user{n}@example.com", name=name or f"用户{n}",
                             password=PASSWORD, roles=roles, branch=branch, staff_code=staff_code)
        if qualification_no == "default":  # analysts hold the investment-consulting qualification
            qualification_no = f"Z{n:07d}" if {"researcher", "chief_analyst"} & set(roles) else None
        staff.qualification_no = qualification_no
        if enrolled or (enrolled is None and {"approver", "admin"} & set(roles)):
            second_factor.assign(db.session, staff, totp.new_secret())
        db.session.commit()
        return staff

    return make


@pytest.fixture
def make_client(app):
    from clients.appropriateness import InvestorType, RiskTolerance
    from clients.models import Client
    from core import clock

    counter = iter(range(1, 10_000))

    def make(account_no: str | None = None, **fields):
        n = next(counter)
        # an ordinary investor assessed C5 a month ago by the app's clock: receives every broadcast, unless a
        # test gives other investor_type, risk_tolerance or risk_assessed_on (None: not assessed)
        values = {"account_no": account_no or f"9{n:07d}", "name": f"客户{n}",
                  "mobile": f"+86138{n:08d}", "branch": "上海浦东营业部", "opened_on": date(2020, 1, 1),
                  "investor_type": InvestorType.ordinary, "risk_tolerance": RiskTolerance.C5,
                  "risk_assessed_on": clock.now().date() - timedelta(days=30)}
        values.update(fields)
        client = Client(**values)
        db.session.add(client)
        db.session.commit()
        return client

    return make


@pytest.fixture
def add_figures(app):
    from clients.models import MonthlyFigure

    def add(client, month: str, avg_equity="0", commission="0", month_end_equity="0"):
        db.session.add(MonthlyFigure(client_id=client.id, month=month, avg_equity=Decimal(avg_equity),
                                     commission=Decimal(commission), month_end_equity=Decimal(month_end_equity)))
        db.session.commit()

    return add


@pytest.fixture
def api_token(app):
    from staff.tokens import issue_token

    def make(staff) -> dict[str, str]:
        token = issue_token(db.session, staff)
        db.session.commit()
        return {"Authorization": f"Bearer {token}"}

    return make
