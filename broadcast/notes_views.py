"""The research note behind a suggestion, at the short link each recipient got: counted when opened,
and after NOTE_LINK_DAYS a polite page instead of the note.

Every page here is kept out of search engines (a robots meta and an X-Robots-Tag header), and a note carries
a watermark with its recipient's masked account and the time it was opened, so that a screenshot or a
forwarded copy can be traced to the link it came from.
"""
from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask import Blueprint, current_app, render_template

from broadcast.models import Broadcast
from broadcast.notes import render_note
from clients.models import Client
from core import clock
from core.extensions import db
from core.phones import mask_account
from core.timeutil import to_local
from messaging.models import OutboundMessage

bp = Blueprint("notes", __name__)

WATERMARK_REPEAT = 30  # copies of the mark tiled over the page (CSS places them; no script)


@bp.after_request
def _not_for_search_engines(response):
    response.headers["X-Robots-Tag"] = "noindex, nofollow, noarchive"
    return response


@bp.get("/n/<token>")
def note(token: str):
    m = db.session.scalar(sa.select(OutboundMessage).where(OutboundMessage.note_token == token[:32]))
    if m is None:
        return render_template("broadcast/note_gone.html", expired=False), 404
    b = db.session.get(Broadcast, m.broadcast_id)
    days = int(current_app.config.get("NOTE_LINK_DAYS", 7))
    now = clock.now()
    if (m.handed_over_at or m.created_at) + timedelta(days=days) < now:
        return render_template("broadcast/note_gone.html", expired=True), 410
    m.note_opens += 1
    if m.note_first_opened_at is None:
        m.note_first_opened_at = now
    db.session.commit()
    client = db.session.get(Client, m.client_id)
    opened = to_local(now, current_app.config["TIMEZONE"]).strftime("%Y-%m-%d %H:%M")
    account = mask_account(client.account_no) if client else ""
    return render_template("broadcast/note.html", b=b, note_html=render_note(b.note_markdown), analyst=b.author,
                           account=account, opened=opened, marks=range(WATERMARK_REPEAT))
