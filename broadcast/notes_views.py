"""The research note behind a suggestion, at the short link each recipient got: counted when opened,
and after NOTE_LINK_DAYS a polite page instead of the note."""
from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask import Blueprint, current_app, render_template

from broadcast.models import Broadcast
from broadcast.notes import render_note
from core import clock
from core.extensions import db
from messaging.models import OutboundMessage

bp = Blueprint("notes", __name__)


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
    return render_template("broadcast/note.html", b=b, note_html=render_note(b.note_markdown))
