"""`flask users ...`: create staff accounts and API tokens from the command line."""
from __future__ import annotations

import click
from flask.cli import AppGroup

from core.extensions import db
from core.roles import Role
from staff import service
from staff.tokens import issue_token

users_cli = AppGroup("users", help="Staff accounts and API tokens.")


@users_cli.command("create")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--role", "roles", multiple=True, required=True, type=click.Choice([r.value for r in Role]))
@click.option("--branch", default=None, help="营业部, required for business staff")
@click.option("--staff-code", default=None, help="客户经理编号, required for business staff")
@click.option("--phone", default=None)
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
def create(email, name, roles, branch, staff_code, phone, password):
    """Create a staff member (asks for the password unless --password is given)."""
    try:
        staff = service.create_staff(db.session, email=email, name=name, password=password, roles=roles,
                                     branch=branch, staff_code=staff_code, phone=phone)
    except service.StaffError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from None
    db.session.commit()
    click.echo(f"created {staff.email} ({', '.join(sorted(r.value for r in staff.role_set))})")


@users_cli.command("token")
@click.argument("email")
def token(email):
    """Print a new API token for EMAIL (shown once; only its hash is stored)."""
    staff = service.find_by_email(db.session, email)
    if staff is None:
        raise click.ClickException(f"no staff member with email {email}")
    value = issue_token(db.session, staff)
    db.session.commit()
    click.echo(value)
