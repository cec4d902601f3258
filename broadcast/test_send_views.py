"""The test-send button of a broadcast's page (templates/broadcast/_test_send.html) and its one route, on the
broadcast blueprint."""
from __future__ import annotations

from typing import Any

from flask import current_app, flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user

from broadcast import test_send
from broadcast.models import Broadcast
from broadcast.views import _get, _seen, _settings, bp
from core import clock
from core.extensions import db
from core.http import on_refusal
from core.phones import mask_mobile
from core.roles import can, require


def test_send_state(b: Broadcast) -> dict[str, Any] | None:
    """What the page shows about test-sending `b` to the signed-in user; None when they may not test-send it
    (the partial then shows nothing)."""
    if b is None or b.id is None or not can(current_user, "broadcasts.draft"):
        return None
    tz = current_app.config["TIMEZONE"]
    s = test_send.standing(db.session, b, current_user, clock.now(), tz)
    if not test_send.allowed_to_try(s):
        return None
    return {"ready": s.mobile is not None and s.verified, "to": mask_mobile(s.mobile), "sent_today": s.sent_today,
            "limit": test_send.DAILY_LIMIT, "left": max(test_send.DAILY_LIMIT - s.sent_today, 0)}


@bp.context_processor
def _test_send_helpers() -> dict[str, Any]:
    return {"test_send_state": test_send_state}


@bp.post("/<int:broadcast_id>/test-send")
@require("broadcasts.draft")
def test_send_now(broadcast_id: int):
    b, detail = _get(broadcast_id), url_for("broadcast.detail", broadcast_id=broadcast_id)
    on_refusal(back=detail)
    message = test_send.send_test(db.session, b, current_user, _settings(), clock.now(), seen_version=_seen())
    db.session.commit()
    left = test_send.DAILY_LIMIT - test_send.sent_today(db.session, current_user.id, clock.now(),
                                                         current_app.config["TIMEZONE"])
    flash(_("Test SMS on its way to %(mobile)s, marked 【测试】; no client gets it. Test sends left today: %(left)s.",
            mobile=mask_mobile(message.to), left=max(left, 0)), "success")
    return redirect(detail)
