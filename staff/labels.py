"""Staff's words on pages: what the audit log calls sign-ins and account changes."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

AUDIT_LABELS = {
    # the password step: approvers and admins are signed in only by the second factor that follows
    "auth.login": _l("Password accepted"),
    "auth.logout": _l("Signed out"),
    "auth.second_factor": _l("Second factor given: signed in"),
    "auth.second_factor_enrolled": _l("Second factor set up"),
    "auth.second_factor_failed": _l("Second factor refused"),
    "auth.second_factor_reset": _l("Second factor reset"),
    "staff.password_change": _l("Password changed"),
    "staff.password_reset": _l("New password required by an admin"),
    "staff.role_requested": _l("Role asked for (a second admin confirms)"),
    "staff.role_granted": _l("Role granted"),
    "staff.role_cancelled": _l("Role request cancelled"),
    "staff.update": _l("Staff account changed"),
    "token.revoke": _l("API token revoked"),
    "auth.login_failed": _l("Sign-in failed"),
    "auth.login_limited": _l("Sign-in refused: too many failed attempts"),
    "staff.create": _l("Staff account created"),
    "staff.deactivate": _l("Staff account deactivated"),
    "staff.activate": _l("Staff account reactivated"),
    "token.create": _l("API token issued"),
    "staff.test_mobile": _l("Own mobile for test sends changed (unverified)"),
    "staff.test_mobile_verify": _l("Own mobile for test sends verified"),
    "staff.test_mobile_unverify": _l("Own mobile for test sends: verification withdrawn"),
}

OBJECT_LABELS = {
    "staff": _l("Staff"),
}


def init_app(app) -> None:
    from core.templating import register_labels

    register_labels(app, AUDIT_LABELS=AUDIT_LABELS, OBJECT_LABELS=OBJECT_LABELS)
