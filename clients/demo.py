"""`flask demo seed`: a realistic book for a first look: branches, staff of every role, ~2,000 clients,
twelve months of figures, a published tier review and a draft of the next quarter."""
from __future__ import annotations

import os
import random
from datetime import date, datetime, timedelta
from decimal import Decimal

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import AppGroup

from clients import fakebook, reviews
from clients.appropriateness import InvestorType, RiskTolerance
from clients.imports import chunks
from clients.models import Client, MonthlyFigure
from clients.tiers import Quarter
from core import clock
from core.calendar import Calendar, calendar_for
from core.extensions import db
from staff import second_factor as staff_second_factor
from staff import service as staff_service
from staff import totp
from staff.models import Staff

demo_cli = AppGroup("demo", help="Demo data for a first look.")

BRANCHES = ("上海浦东营业部", "北京朝阳营业部", "深圳福田营业部", "杭州西湖营业部")

# (weight, monthly average equity range, monthly commission range, active) per kind of client
PROFILES = (
    (1, (9e6, 3e7), (2e4, 1.5e5), True),      # diamond-sized
    (2, (4.5e6, 9e6), (1e4, 6e4), True),       # platinum-sized
    (7, (9e5, 4.5e6), (3e3, 1.2e4), True),     # gold-sized
    (10, (4.5e5, 9e5), (5e2, 5e3), True),      # quality-sized
    (45, (2e3, 4.5e5), (0, 2e3), True),        # effective
    (15, (0, 800), (0, 0), False),             # dormant
    (20, (0, 1000), (0, 50), False),           # small
)

DEMO_ACCOUNTS = (
    ("admin@demo.local", "管理员", ["admin"], None, None),
    ("chief@demo.local", "陈首席", ["chief_analyst"], None, None),
    ("research1@demo.local", "林研究", ["researcher"], None, None),
    ("research2@demo.local", "吴研究", ["researcher"], None, None),
    ("compliance@demo.local", "郑合规", ["approver"], None, None),
)
# the analysts' investment-consulting qualification numbers (made up), which their suggestions carry
DEMO_QUALIFICATIONS = {"chief@demo.local": "Z0012345", "research1@demo.local": "Z0023456",
                       "research2@demo.local": "Z0034567"}


def _months(last: str, count: int) -> list[str]:
    year, month = map(int, last.split("-"))
    out = []
    for _ in range(count):
        out.append(f"{year:04d}-{month:02d}")
        month -= 1
        if month == 0:
            year, month = year - 1, 12
    return out[::-1]


def last_closed_quarter(today: date) -> Quarter:
    number = (today.month - 1) // 3
    return Quarter(today.year - 1, 4) if number == 0 else Quarter(today.year, number)


def _assessment(fake: fakebook.FakeClient, rng: random.Random, today: date) -> dict:
    """The fake client's investor type and risk assessment, but for a few who show what appropriateness
    leaves out: 3% never assessed, 3% assessed more than three years ago, 5% conservative (C1)."""
    roll = rng.random()
    kind, tolerance, assessed_on = fake.investor_type, fake.risk_tolerance, fake.risk_assessed_on
    if roll < .03:
        tolerance = assessed_on = None
    elif roll < .06:
        kind, assessed_on = InvestorType.ordinary, today - timedelta(days=rng.randrange(3 * 366, 5 * 365))
    elif roll < .11:
        kind, tolerance = InvestorType.ordinary, RiskTolerance.C1
    return {"investor_type": kind, "risk_tolerance": tolerance, "risk_assessed_on": assessed_on}


def seed(session, clients: int = 2000, password: str = "demo-pass-2026", today: date | None = None,
         rng: random.Random | None = None, second_factor: bool = True) -> dict:
    """Fill an empty database; returns what was made. Refuses a database that already holds clients.

    With `second_factor` (REQUIRE_SECOND_FACTOR), the demo approver and admin are enrolled with a new random
    TOTP key each, returned (and printed by `demo seed`) so that whoever runs the demo can sign in as them."""
    rng = rng or random.Random(20261125)
    today = today or clock.now().date()
    if session.scalar(sa.select(sa.func.count()).select_from(Client)):
        raise click.ClickException("the database already holds clients; demo data goes only into an empty one")
    accounts = list(DEMO_ACCOUNTS)
    for b, branch in enumerate(BRANCHES, start=1):
        for n in (1, 2):
            accounts.append((f"staff{b}{n}@demo.local", f"{fakebook.name(rng)} ({branch[:2]})", ["business_staff"],
                             branch, f"S{b}{n:02d}"))
    staff_ids: dict[str, list[int]] = {b: [] for b in BRANCHES}
    keys: dict[str, str] = {}  # email -> TOTP key of the demo approver and admin
    for email, name, roles, branch, code in accounts:
        if staff_service.find_by_email(session, email):
            continue
        s = staff_service.create_staff(session, email=email, name=name, password=password, roles=roles,
                                       branch=branch, staff_code=code,
                                       phone="+86138" + f"{rng.randrange(10**8):08d}")
        if branch:
            staff_ids[branch].append(s.id)
        if "researcher" in roles:
            s.on_duty = True  # so that research questions from the client phone reach someone at once
        s.qualification_no = DEMO_QUALIFICATIONS.get(email)
        if second_factor and totp.required(s.role_set, False, True):
            keys[email] = totp.new_secret()
            staff_second_factor.assign(session, s, keys[email])

    quarter = last_closed_quarter(today)
    months = _months(quarter.months[-1], 12)
    client_rows, profiles, figure_rows = [], [], []
    assessments = random.Random(rng.randrange(10**9))
    # the benchmarks' generator of clients; the profile (and so the figures) fits whether one traded this year
    for fake in fakebook.clients(clients, seed=rng.randrange(10**9), today=today, branches=BRANCHES):
        active = bool(fake.last_trade_on and fake.last_trade_on > today - timedelta(days=365))
        fitting = [p for p in PROFILES if p[3] == active]
        profile = rng.choices(fitting, [p[0] for p in fitting])[0]
        profiles.append(profile)
        opted_out = rng.random() < .02
        client_rows.append({
            "account_no": fake.account_no, "name": fake.name,
            "mobile": "+86" + fake.mobile if rng.random() > .01 else None,
            "branch": fake.branch, "owner_id": rng.choice(staff_ids[fake.branch]) if rng.random() > .05 else None,
            "opened_on": fake.opened_on, "last_trade_on": fake.last_trade_on,
            "last_position_on": fake.last_position_on,
            "opted_out": opted_out, "opted_out_at": clock.now() if opted_out else None,
            "opt_out_source": "sms 退订" if opted_out else None, "created_at": clock.now(), "updated_at": clock.now(),
            **_assessment(fake, assessments, today),
        })
    for chunk in chunks(client_rows):
        session.execute(sa.insert(Client), chunk)
    ids = dict(session.execute(sa.select(Client.account_no, Client.id)).all())
    for row, profile in zip(client_rows, profiles, strict=True):
        _, (e_lo, e_hi), (c_lo, c_hi), _ = profile
        base = rng.uniform(e_lo, e_hi)
        for m in months:
            eq = Decimal(str(round(max(0.0, base * rng.uniform(.85, 1.15)), 2)))
            figure_rows.append({"client_id": ids[row["account_no"]], "month": m, "avg_equity": eq,
                                "commission": Decimal(str(round(rng.uniform(c_lo, c_hi), 2))),
                                "month_end_equity": Decimal(str(round(float(eq) * rng.uniform(.9, 1.1), 2)))})
    for chunk in chunks(figure_rows):
        session.execute(sa.insert(MonthlyFigure), chunk)
    session.flush()

    previous = Quarter(quarter.year, quarter.number - 1) if quarter.number > 1 else Quarter(quarter.year - 1, 4)
    published = reviews.create_review(session, str(previous), today=today)
    reviews.publish_review(session, published.id)
    draft = reviews.create_review(session, str(quarter), today=today)
    expired = today - timedelta(days=3 * 365)
    assessments = {"professional": sum(r["investor_type"] == InvestorType.professional for r in client_rows),
                   "not_assessed": sum(r["investor_type"] == InvestorType.ordinary and r["risk_tolerance"] is None
                                       for r in client_rows),
                   "expired": sum(r["investor_type"] == InvestorType.ordinary and r["risk_assessed_on"] is not None
                                  and r["risk_assessed_on"] <= expired for r in client_rows)}
    # what the domains above the client book add (follow-ups: canned answers per queue); they register at start
    for seeder in current_app.extensions.get("demo_seeders", ()):
        seeder(session)
    return {"accounts": accounts, "clients": len(client_rows), "figures": len(figure_rows),
            "published": published, "draft": draft, "password": password, "totp_keys": keys,
            "assessments": assessments}


@demo_cli.command("seed")
@click.option("--clients", default=2000, show_default=True)
def seed_command(clients):
    """Fill an EMPTY database with demo data and print the accounts to sign in with."""
    password = os.environ.get("DEMO_PASSWORD", "demo-pass-2026")
    if db.session.scalar(sa.select(sa.func.count()).select_from(Staff)):
        click.echo("The database already has staff accounts; demo data was not added.")
        return
    made = seed(db.session, clients=clients, password=password,
                second_factor=current_app.config.get("REQUIRE_SECOND_FACTOR", True))
    db.session.commit()
    click.echo(f"Demo book: {made['clients']} clients, {made['figures']} monthly figures, "
               f"review {made['published'].quarter} published, {made['draft'].quarter} as a draft.")
    a = made["assessments"]
    click.echo(f"Investor appropriateness: {a['professional']} professional investors receive every risk level; of "
               f"the ordinary ones, {a['not_assessed']} never assessed and about {a['expired']} with an expired "
               "assessment receive nothing above R1, and a few conservative (C1) ones only R1, so a broadcast's page "
               "shows who is left out and why.")
    click.echo(f"Sign in with any of these (password: {password}):")
    for email, _, roles, branch, code in made["accounts"]:
        click.echo(f"  {email:28} {'+'.join(roles):16} {branch or ''} {code or ''}")
    if made["totp_keys"]:
        click.echo("The approver and the admin also give a code from an authenticator app after the password "
                   "(REQUIRE_SECOND_FACTOR). Add their key to one (Google Authenticator, FreeOTP, ...), or print "
                   "the current code with the command beside it:")
        for email, key in made["totp_keys"].items():
            click.echo(f"  {email:28} key {key}   "
                       f".venv/bin/python -c \"import pyotp; print(pyotp.TOTP('{key}').now())\"")
    else:
        click.echo("REQUIRE_SECOND_FACTOR is off: every account signs in with the password alone.")
    click.echo(quiet_hours_hint(calendar_for(current_app.config), clock.now()))


def quiet_hours_hint(calendar: Calendar, now: datetime) -> str:
    """How to see sending in a demo started at night: broadcasts wait out the quiet hours, which one setting
    switches off (QUIET_HOURS empty)."""
    if not calendar.quiet_text:
        return "Quiet hours are off (QUIET_HOURS is empty): broadcasts go out at any hour."
    local = calendar.local(now).strftime("%H:%M")
    state = (f"It is {local} there now, inside them: a broadcast sent now waits until they end. "
             if calendar.in_quiet_hours(now) else "")
    return (f"Quiet hours {calendar.quiet_text} ({calendar.timezone.key}): no broadcast is sent in them. {state}"
            "To see sending at any hour in the demo, start the app with them off:\n"
            "  QUIET_HOURS= .venv/bin/flask --app app serve")
