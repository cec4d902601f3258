"""Records' words on pages: what the audit log calls an inspection export."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

AUDIT_LABELS = {
    "records.export": _l("Records exported for an inspection"),
}


def init_app(app) -> None:
    from core.templating import register_labels

    register_labels(app, AUDIT_LABELS=AUDIT_LABELS)
