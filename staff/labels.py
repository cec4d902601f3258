"""Staff's words on pages: what the audit log calls sign-ins and account changes."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

AUDIT_LABELS = {
    "auth.login": _l("Signed in"),
    "auth.login_failed": _l("Sign-in failed"),
    "auth.login_limited": _l("Sign-in refused: too many failed attempts"),
    "staff.create": _l("Staff account created"),
    "staff.deactivate": _l("Staff account deactivated"),
    "staff.activate": _l("Staff account reactivated"),
    "token.create": _l("API token issued"),
}

OBJECT_LABELS = {
    "staff": _l("Staff"),
}


def init_app(app) -> None:
    from core.templating import register_labels

    register_labels(app, AUDIT_LABELS=AUDIT_LABELS, OBJECT_LABELS=OBJECT_LABELS)
