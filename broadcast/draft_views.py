"""Pages that reuse or discard a broadcast: clone into a new draft, delete a draft never submitted. The routes
are on the broadcasts' blueprint (broadcast/views.py); app.py imports this module before registering it."""
from __future__ import annotations

from flask import abort, flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user

from broadcast import drafts, service
from broadcast.views import _get, _seen, bp
from core.extensions import db
from core.http import on_refusal
from core.roles import require


@bp.post("/<int:broadcast_id>/clone")
@require("broadcasts.draft")
def clone(broadcast_id: int):
    """A new draft with this broadcast's content, the cloner its author; the new draft opens for editing."""
    source = _get(broadcast_id)
    on_refusal(back=url_for("broadcast.detail", broadcast_id=broadcast_id))
    copy = drafts.clone(db.session, source, current_user, seen_version=_seen())
    db.session.commit()
    flash(_("A new draft with the content of broadcast %(id)s. Check the text and the audience before "
            "submitting it.", id=broadcast_id), "success")
    return redirect(url_for("broadcast.edit", broadcast_id=copy.id))


@bp.post("/<int:broadcast_id>/delete")
@require("broadcasts.draft")
def delete_draft(broadcast_id: int):
    b = _get(broadcast_id)
    if not service.may_edit(current_user, b):
        abort(403)
    on_refusal(back=url_for("broadcast.detail", broadcast_id=broadcast_id))
    drafts.delete_draft(db.session, b, current_user, seen_version=_seen())
    db.session.commit()
    flash(_("Draft deleted."), "success")
    return redirect(url_for("broadcast.broadcast_list"))
