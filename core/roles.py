"""Roles, what each may do, and the decorators that enforce it on views and API endpoints.

The table `PERMISSIONS` is the single statement of who may do what; views and tests both read it.
"""
from __future__ import annotations

import enum
from collections.abc import Callable, Iterable
from functools import wraps

from flask import abort, g
from flask_babel import lazy_gettext as _l
from flask_login import current_user


class Role(str, enum.Enum):
    chief_analyst = "chief_analyst"
    researcher = "researcher"
    business_staff = "business_staff"
    approver = "approver"
    admin = "admin"


ROLE_LABELS = {
    Role.chief_analyst: _l("Chief analyst"),
    Role.researcher: _l("Researcher"),
    Role.business_staff: _l("Business staff"),
    Role.approver: _l("Approver (compliance)"),
    Role.admin: _l("Administrator"),
}

# permission -> roles that hold it
PERMISSIONS: dict[str, frozenset[Role]] = {
    # every client of the book
    "clients.view_all": frozenset({Role.admin, Role.chief_analyst, Role.approver}),
    # only the clients one owns (business staff)
    "clients.view_own": frozenset({Role.business_staff}),
    "clients.import": frozenset({Role.admin}),
    # record a client's opt-out or opt-in told by phone or in writing (SMS replies come with follow-ups)
    "clients.consent": frozenset({Role.admin, Role.business_staff}),
    # every client's mobile number unmasked (owners see their own clients' ones: clients/privacy.py)
    "clients.mobile": frozenset({Role.admin}),
    "tiers.view": frozenset({Role.admin, Role.approver, Role.chief_analyst}),
    "tiers.review": frozenset({Role.admin, Role.approver}),
    "tiers.publish": frozenset({Role.admin, Role.approver}),
    "audit.view": frozenset({Role.admin, Role.approver}),
    "staff.manage": frozenset({Role.admin}),
    "settings.warnings": frozenset({Role.admin}),  # settings that need a person (the holiday calendar ran out)
    # broadcasts: the chief analyst is responsible (首席分析师负责制); researchers draft; compliance approves
    "broadcasts.view": frozenset({Role.chief_analyst, Role.researcher, Role.approver, Role.admin}),
    "broadcasts.draft": frozenset({Role.chief_analyst, Role.researcher}),
    "broadcasts.submit": frozenset({Role.chief_analyst}),
    "broadcasts.approve": frozenset({Role.approver}),
    "broadcasts.schedule": frozenset({Role.chief_analyst}),
    # who got what, by name and number: the chief analyst and compliance
    "broadcasts.report": frozenset({Role.chief_analyst, Role.approver}),
    # follow-ups: who sees which queue, who may answer clients, who edits the rules and canned answers
    "followups.view_all": frozenset({Role.chief_analyst, Role.approver}),
    "followups.research": frozenset({Role.researcher, Role.chief_analyst}),
    "followups.business": frozenset({Role.business_staff}),
    "followups.triage": frozenset({Role.admin, Role.chief_analyst, Role.approver}),
    "followups.reply": frozenset({Role.researcher, Role.business_staff, Role.chief_analyst}),
    "followups.duty": frozenset({Role.researcher}),
    "followups.rules": frozenset({Role.admin}),
    # the simulator's client phone (only when the simulator is the gateway)
    "sms.phone": frozenset({Role.admin}),
}

FOLLOWUP_VIEW = ("followups.view_all", "followups.research", "followups.business", "followups.triage")


def allowed(roles: Iterable[Role | str], permission: str) -> bool:
    """True when any of `roles` holds `permission`. Unknown permissions are never allowed."""
    holders = PERMISSIONS.get(permission, frozenset())
    return any(Role(r) in holders for r in roles)


def can(user, permission: str) -> bool:
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return allowed(user.role_set, permission)


def can_view_clients(user) -> bool:
    return can(user, "clients.view_all") or can(user, "clients.view_own")


def require(*permissions: str) -> Callable:
    """View decorator: sign-in required (Flask-Login redirects), then 403 unless any permission is held."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                from core.extensions import login_manager

                return login_manager.unauthorized()
            if not any(can(current_user, p) for p in permissions):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


# who holds this request's bearer token (or None): registered by staff at start with `token_loader`, as
# Flask-Login's user_loader is, so that core never imports staff
_token_loader: Callable[[], object | None] | None = None


def token_loader(loader: Callable[[], object | None]) -> Callable[[], object | None]:
    """Registers the function that finds the staff member of this request's bearer token (None if none)."""
    global _token_loader
    _token_loader = loader
    return loader


def api_require(*permissions: str) -> Callable:
    """API decorator: a valid bearer token is required (401), then 403 unless any permission is held."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if _token_loader is None:
                raise RuntimeError("no bearer-token loader is registered (staff registers it at start)")
            user = _token_loader()
            if user is None:
                abort(401)
            g.api_user = user
            if not any(can(user, p) for p in permissions):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator
