"""Pages of follow-ups: the queue, one item with its whole conversation and what can be done with it, and the
response-time summary. Thin: validate, call one service function, commit, flash, redirect.

The rules and canned-answer pages (admins) live in `admin_views` and are registered on this blueprint below.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import sqlalchemy as sa
from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from clients import privacy
from core import clock
from core.extensions import db
from core.http import on_refusal
from core.roles import FOLLOWUP_VIEW, can, require
from core.templating import problem_text
from followups import admin_views, canned, deadlines, queries, service
from followups import demo as followups_demo
from followups.classify import Category
from followups.labels import QUEUE_LABELS
from followups.models import FollowUp, Queue, Status
from followups.settings import FollowUpSettings
from staff.models import Staff

bp = Blueprint("followups", __name__, url_prefix="/followups")
bp.add_url_rule("/rules", "rules", admin_views.rules, methods=["GET", "POST"])
bp.add_url_rule("/canned", "canned", admin_views.canned_page, methods=["GET", "POST"])
bp.record_once(lambda state: followups_demo.init_app(state.app))  # the demo seed's canned answers

PER_PAGE = 50
PLAIN = {"Content-Type": "text/plain; charset=utf-8"}


def _settings() -> FollowUpSettings:
    return FollowUpSettings.from_config(current_app.config)


def _mark(item: FollowUp, now: datetime) -> str:
    """The deadline mark of an item: only an item whose client waits for an answer can be late."""
    if item.status != Status.open:
        return "none"
    return deadlines.urgency(item.due_at, now)


def _rows_context(f: queries.ItemFilter) -> dict:
    now = clock.now()
    page = db.paginate(queries.items_query(current_user, f), page=max(1, request.args.get("page", 1, type=int)),
                       per_page=PER_PAGE, error_out=False)
    items = list(page.items)
    return {"page": page, "texts": queries.latest_texts(db.session, [i.id for i in items]),
            "marks": {i.id: _mark(i, now) for i in items},
            "numbers": {i.id: privacy.mobile_for(current_user, i.client, i.from_number) for i in items},
            "sees_client": {i.id: privacy.may_see_client(current_user, i.client) for i in items}}


@bp.get("")
@require(*FOLLOWUP_VIEW)
def queue():
    f = queries.ItemFilter.from_args(request.args)  # a bad filter: the error page says which (core.http)
    return render_template("followups/queue.html", f=f, queues=list(Queue), categories=list(Category),
                           **_rows_context(f))


@bp.get("/rows")
@require(*FOLLOWUP_VIEW)
def rows():
    """The queue's table body alone, for the page to refresh itself; a bad filter is told as plain text."""
    on_refusal(render=lambda exc: (exc.text(problem_text), exc.status, PLAIN), flash=False)
    return render_template("followups/_rows.html", **_rows_context(queries.ItemFilter.from_args(request.args)))


@bp.post("/duty")
@require("followups.duty")
def duty():
    on = request.form.get("on") == "1"
    returned = service.set_duty(db.session, current_user, on)
    db.session.commit()
    if on:
        flash(_("You are on duty: new research items come to you in turn."), "success")
    else:
        flash(_("You are off duty. Items you had not claimed went back to the pool: %(n)s.", n=returned), "success")
    return redirect(url_for(".queue"))


@bp.get("/summary")
@require(*FOLLOWUP_VIEW)
def summary():
    by_queue, by_person = queries.summary(db.session, current_user, _settings(), clock.now())
    return render_template("followups/summary.html", by_queue=by_queue, by_person=by_person, days=30)


# ---- one item ---------------------------------------------------------------------------------------------

def _item(item_id: int) -> FollowUp:
    """The item if the signed-in person may see it; else the 403 or 404 page (core.http)."""
    return service.visible_item(db.session, current_user, item_id)


def _reply_block(item: FollowUp, handles: bool) -> str | None:
    """Why the viewer cannot answer this item by SMS, or None when they can."""
    if not can(current_user, "followups.reply"):
        return _("Your role does not answer clients by SMS.")
    if not handles:
        return _("Only the people of this item's queue answer it.")
    if item.client is None:
        return _("This number is not a client's: nothing is sent to it.")
    if item.client.opted_out:
        return _("The client opted out of messages: answer by phone instead.")
    if not item.client.mobile:
        return _("The client has no mobile number on file.")
    return None


def _thread(item: FollowUp) -> list[queries.Entry]:
    """The conversation, the sender's number in it as the viewer may see it (clients/privacy.py)."""
    entries = queries.thread(db.session, item)
    for e in entries:
        if e.kind == "in" and e.who:
            e.who = privacy.mobile_for(current_user, item.client, e.who)
    return entries


@bp.get("/<int:item_id>", endpoint="item")
@require(*FOLLOWUP_VIEW)
def item_page(item_id: int):
    return _item_page(_item(item_id))


@bp.post("/<int:item_id>/mobile", endpoint="mobile")
@require(*FOLLOWUP_VIEW)
def show_number(item_id: int):
    """Show the sender's number (audited): the item's page again with it whole, not cached."""
    item = _item(item_id)
    on_refusal(back=url_for(".item", item_id=item_id))
    shown = service.reveal_number(db.session, current_user, item)
    db.session.commit()
    return _item_page(item, shown)


def _item_page(item: FollowUp, shown: str | None = None):
    """The item's page; `shown`: the number just revealed by the "show" action (never cached)."""
    masked = not privacy.may_see_mobile(current_user, item.client) and shown is None
    handles = service.may_handle(current_user, item)
    reply_block = _reply_block(item, handles)
    answers = canned.answers(db.session, queue=item.queue) if reply_block is None else []
    chosen = request.args.get("canned", type=int)
    staff = db.session.scalars(sa.select(Staff).where(Staff.active.is_(True)).order_by(Staff.name)) if handles else []
    return render_template(
        "followups/item.html", item=item, entries=_thread(item), handles=handles,
        mark=_mark(item, clock.now()), reply_block=reply_block, answers=answers,
        prefill=next((a.body for a in answers if a.id == chosen), ""),
        eligible=[s for s in staff if service.eligible(s, item)],
        reroute_to=[q for q in (Queue.research, Queue.business) if q != item.queue],
        categories=[c for c in Category if c != item.category],
        may_open_client=privacy.may_see_client(current_user, item.client),
        number=shown or privacy.mobile_for(current_user, item.client, item.from_number),
        may_reveal=masked and service.may_reveal_number(current_user, item),
        account=privacy.account_for(current_user, item.client) if item.client else None,
        max_reply=service.MAX_REPLY_CHARS, max_note=service.MAX_NOTE_CHARS), 200, \
        {"Cache-Control": "no-store"} if shown else {}


@bp.get("/<int:item_id>/thread", endpoint="thread")
@require(*FOLLOWUP_VIEW)
def thread_fragment(item_id: int):
    """The conversation alone, for the item page to show a new reply without a reload."""
    item = _item(item_id)
    return render_template("followups/_thread.html", entries=_thread(item))


def _back(item_id: int):
    """Back to the item, or to the queue when the action took the item out of the person's sight."""
    db.session.expire_all()
    try:
        if service.get_item(db.session, current_user, item_id) is not None:
            return redirect(url_for(".item", item_id=item_id))
    except service.Forbidden:
        flash(_("The item is no longer in your queues."), "success")
    return redirect(url_for(".queue"))


def _act(item_id: int, action: Callable[[FollowUp], object], done: Callable[[object], str] | str):
    """Run one service action on the item: a refusal is flashed back on the item's page, a forbidden one is
    403 (both by core.http, which rolls back); success commits."""
    item = _item(item_id)
    on_refusal(back=url_for(".item", item_id=item_id))
    result = action(item)
    db.session.commit()
    flash(done(result) if callable(done) else done, "success")
    return _back(item_id)


@bp.post("/<int:item_id>/claim")
@require(*FOLLOWUP_VIEW)
def claim(item_id: int):
    return _act(item_id, lambda item: service.claim(db.session, current_user, item, clock.now()),
                _("You took the item."))


@bp.post("/<int:item_id>/assign")
@require(*FOLLOWUP_VIEW)
def assign(item_id: int):
    email = request.form.get("user", "")
    return _act(item_id, lambda item: service.assign(db.session, current_user, item, email, clock.now()),
                lambda target: _("Assigned to %(name)s.", name=target.name))


@bp.post("/<int:item_id>/reroute")
@require(*FOLLOWUP_VIEW)
def reroute(item_id: int):
    target, reason = request.form.get("queue", ""), request.form.get("reason", "")
    return _act(item_id, lambda item: service.reroute(db.session, current_user, item, target, reason, clock.now()),
                _("Handed over to the %(queue)s queue.", queue=QUEUE_LABELS.get(target, target)))


@bp.post("/<int:item_id>/note", endpoint="note")
@require(*FOLLOWUP_VIEW)
def add_note(item_id: int):
    body = request.form.get("body", "")
    return _act(item_id, lambda item: service.add_note(db.session, current_user, item, body, clock.now()),
                _("Note added. It is for colleagues only and is not sent to the client."))


@bp.post("/<int:item_id>/reply", endpoint="reply")
@require("followups.reply")
def send_reply(item_id: int):
    body = request.form.get("body", "")
    return _act(item_id,
                lambda item: service.reply(db.session, current_user, item, body, _settings(), clock.now()),
                _("Reply queued for sending. Its delivery shows in the conversation."))


@bp.post("/<int:item_id>/resolve")
@require(*FOLLOWUP_VIEW)
def resolve(item_id: int):
    return _act(item_id, lambda item: service.resolve(db.session, current_user, item, clock.now()),
                _("Item resolved."))


@bp.post("/<int:item_id>/reopen")
@require(*FOLLOWUP_VIEW)
def reopen(item_id: int):
    return _act(item_id, lambda item: service.reopen(db.session, current_user, item, _settings(), clock.now()),
                _("Item reopened."))


@bp.post("/<int:item_id>/category", endpoint="category")
@require(*FOLLOWUP_VIEW)
def correct_category(item_id: int):
    category = request.form.get("category", "")
    return _act(item_id,
                lambda item: service.correct_category(db.session, current_user, item, category, clock.now()),
                _("Category corrected; the item went to the queue it calls for."))
