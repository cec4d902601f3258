"""`flask users ...`: staff accounts and API tokens from the command line, run by whoever operates the server.
Roles given here are held at once (the staff page asks a second admin for the approver and admin roles);
every change is audited as done by "cli"."""
from __future__ import annotations

import click
from flask.cli import AppGroup

from core import clock
from core.extensions import db
from core.roles import Role
from staff import second_factor, service
from staff.models import ApiToken
from staff.tokens import issue_token, list_tokens, revoke_token

users_cli = AppGroup("users", help="Staff accounts and API tokens.")

_QUALIFICATION_HELP = ("期货投资咨询从业资格证书编号: one letter and 4 to 15 digits, such as Z0012345 "
                       "(spaces dropped, upper-cased); an empty value clears it")


def _staff(email: str):
    staff = service.find_by_email(db.session, email)
    if staff is None:
        raise click.ClickException(f"no staff member with email {email}")
    return staff


def _commit(action):
    try:
        result = action()
    except service.StaffError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from None
    db.session.commit()
    return result


@users_cli.command("create")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--role", "roles", multiple=True, required=True, type=click.Choice([r.value for r in Role]))
@click.option("--branch", default=None, help="营业部, required for business staff")
@click.option("--staff-code", default=None, help="客户经理编号, required for business staff")
@click.option("--phone", default=None)
@click.option("--qualification-no", default=None, help=_QUALIFICATION_HELP)
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
def create(email, name, roles, branch, staff_code, phone, qualification_no, password):
    """Create a staff member (asks for the password unless --password is given)."""
    staff = _commit(lambda: service.create_staff(
        db.session, email=email, name=name, password=password, roles=roles, branch=branch, staff_code=staff_code,
        phone=phone, qualification=qualification_no))
    click.echo(f"created {staff.email} ({', '.join(sorted(r.value for r in staff.role_set))})")


@users_cli.command("update")
@click.argument("email")
@click.option("--name", default=None)
@click.option("--role", "roles", multiple=True, type=click.Choice([r.value for r in Role]),
              help="the roles held from now on (all of them; repeat the option)")
@click.option("--branch", default=None)
@click.option("--staff-code", default=None)
@click.option("--phone", default=None)
@click.option("--qualification-no", default=None, help=_QUALIFICATION_HELP)
@click.option("--active/--inactive", default=None, help="let the account sign in, or not (ends its sessions)")
@click.option("--reset-password", is_flag=True, help="end every session; the next sign-in must choose a new password")
@click.option("--reset-second-factor", is_flag=True,
              help="drop the authenticator and recovery codes (lost phone); the next sign-in enrols again")
def update(email, name, roles, branch, staff_code, phone, qualification_no, active, reset_password,
           reset_second_factor):
    """Change a staff member: only what is given changes."""
    staff = _staff(email)
    given = {key: value for key, value in {"name": name, "roles": roles or None, "branch": branch,
                                           "staff_code": staff_code, "phone": phone,
                                           "qualification": qualification_no}.items() if value is not None}

    def act():
        service.update_staff(db.session, staff, **given)
        if active is not None:
            service.set_active(db.session, staff, active, actor=None)
        if reset_password:
            service.force_password_reset(db.session, staff, actor=None)
        if reset_second_factor:
            second_factor.reset(db.session, staff, clock.now())

    _commit(act)
    click.echo(f"updated {staff.email} ({', '.join(sorted(r.value for r in staff.role_set))}"
               f"{'' if staff.active else ', deactivated'}"
               f"{', qualification ' + staff.qualification_no if staff.qualification_no else ''})")


@users_cli.command("token")
@click.argument("email")
@click.option("--days", type=int, default=None, help="how long it lasts (at most, and by default, API_TOKEN_DAYS)")
@click.option("--label", default=None, help="what it is for, shown in the lists")
def token(email, days, label):
    """Print a new API token for EMAIL (shown once; only its hash is stored)."""
    staff = _staff(email)
    click.echo(_commit(lambda: issue_token(db.session, staff, days=days, label=label)))


@users_cli.command("tokens")
@click.option("--email", default=None, help="only this staff member's")
@click.option("--all", "include_ended", is_flag=True, help="also expired and revoked tokens")
def tokens(email, include_ended):
    """List API tokens: id, holder, prefix, expiry, last use, state."""
    rows = list_tokens(db.session, _staff(email) if email else None, include_ended=include_ended)
    now = clock.now()
    for row in rows:
        state = "revoked" if row.revoked else ("expired" if row.expires_at <= now else "usable")
        used = row.last_used_at.isoformat(timespec="minutes") if row.last_used_at else "never"
        click.echo(f"{row.id:>5}  {row.staff.email:28} {row.prefix}…  expires "
                   f"{row.expires_at.isoformat(timespec='minutes')}  used {used}  {state}  {row.label or ''}".rstrip())
    if not rows:
        click.echo("no tokens")


@users_cli.command("revoke-token")
@click.argument("token_id", type=int)
def revoke(token_id):
    """Revoke the API token TOKEN_ID (see `users tokens`) at once."""
    row = db.session.get(ApiToken, token_id)
    if row is None:
        raise click.ClickException(f"no API token {token_id}")
    _commit(lambda: revoke_token(db.session, row, None))
    click.echo(f"revoked {row.prefix}… of {row.staff.email}")
