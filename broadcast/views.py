"""Pages of broadcasts: list, compose, detail with preview, submission and approval."""
from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm.exc import StaleDataError

from broadcast import drafts, scheduling, service, texts, versions
from broadcast.fields import InvalidDraft, leaf
from broadcast.labels import STATE_LABELS, STATE_NOTES
from broadcast.models import Broadcast, BroadcastKind, BroadcastState
from broadcast.notes import render_note
from broadcast.report import csv_export, progress, report, snapshot_figures
from broadcast.settings import Settings
from clients import service as client_service
from clients.tiers import Tier
from core import clock
from core.calendar import calendar_for
from core.downloads import download
from core.errors import N_, ServiceError
from core.extensions import db
from core.http import on_refusal
from core.roles import can, require
from core.templating import localtime, problem_text
from staff.models import Staff

bp = Blueprint("broadcast", __name__, url_prefix="/broadcasts")


def _settings() -> Settings:
    return Settings.from_config(current_app.config)


def form_to_data(form) -> dict:
    """The compose form as the API's JSON shape, so pages and API go through the same service checks."""
    data = {
        "kind": form.get("kind", ""), "title": form.get("title", ""), "body": form.get("body", ""),
        "note_markdown": form.get("note_markdown", ""), "language": form.get("language", "zh"),
        "risk_level": form.get("risk_level", ""),
        "audience": {
            "tiers": form.getlist("tiers"), "branches": form.getlist("branches"),
            "staff_codes": form.getlist("staff_codes"), "include": form.get("include", ""),
            "exclude": form.get("exclude", ""), "include_dormant": form.get("include_dormant") == "1",
        },
    }
    if data["kind"] == BroadcastKind.trade_suggestion.value:
        data["suggestion"] = {name: form.get(name, "") for name in
                              ("contract", "direction", "entry", "stop", "targets", "position_pct", "valid_until",
                               "risk_statement")}
    return data


def _get(broadcast_id: int) -> Broadcast:
    return db.get_or_404(Broadcast, broadcast_id)


def _editable_by_me(b: Broadcast) -> Broadcast:
    """Researchers edit their own drafts; the chief analyst, who answers for every broadcast, edits any."""
    if not service.may_edit(current_user, b):
        abort(403)
    return b


def _compose_context(b: Broadcast | None, values: dict | None = None,
                     problems: list[dict[str, str | None]] | None = None) -> dict:
    """What the compose form shows: the broadcast, what was typed, and the problems of a refused save (each with
    its field as the form names it, and the field's label), also by field for the marks next to each."""
    staff = db.session.scalars(sa.select(Staff).where(Staff.staff_code.is_not(None)).order_by(Staff.staff_code))
    errors: dict[str, list[str]] = {}
    for problem in problems or []:
        if problem["field"]:
            errors.setdefault(problem["field"], []).append(problem["error"] or "")
    return {"b": b, "values": values, "kinds": list(BroadcastKind), "tiers": list(Tier),
            "branches": client_service.branches(db.session), "staff": list(staff),
            "problems": problems or [], "errors": errors}


def _compose_page(b: Broadcast | None, data: dict, exc: ServiceError):
    """The compose form again with what was typed and every problem found, each next to its field (400)."""
    found = exc.problems if isinstance(exc, InvalidDraft) else [exc]
    labels = current_app.jinja_env.globals.get("FIELD_LABELS", {})
    problems = [{"field": leaf(p.field), "error": p.text(problem_text),
                 "label": str(labels[leaf(p.field)]) if leaf(p.field) in labels else None} for p in found]
    return render_template("broadcast/compose.html", **_compose_context(b, data, problems)), 400


def _refused(b: Broadcast | None, data: dict) -> Callable[[ServiceError], object]:
    """What a refused save shows: the form with its problems (they are listed there, so nothing is flashed),
    or, for a broadcast no longer editable (409), the broadcast as it is now with the message."""

    def render(exc: ServiceError):
        if exc.status == 409 and b is not None:
            flash(exc.text(problem_text), "error")
            return redirect(url_for("broadcast.detail", broadcast_id=b.id))
        return _compose_page(b, data, exc)

    return render


@bp.get("")
@require("broadcasts.view")
def broadcast_list():
    state = request.args.get("state") or None
    query = service.visible_broadcasts()
    if state in {s.value for s in BroadcastState}:
        query = query.where(Broadcast.state == BroadcastState(state))
    page = db.paginate(query, page=max(1, request.args.get("page", 1, type=int)), per_page=50, error_out=False)
    return render_template("broadcast/list.html", page=page, state=state, states=list(BroadcastState),
                           progress=progress(db.session, list(page.items)))


@bp.route("/new", methods=["GET", "POST"])
@require("broadcasts.draft")
def compose():
    if request.method == "POST":
        data = form_to_data(request.form)
        on_refusal(render=_refused(None, data), flash=False)
        b = service.create_draft(db.session, data, current_user, _settings())
        db.session.commit()
        flash(_("Draft saved."), "success")
        return redirect(url_for("broadcast.detail", broadcast_id=b.id))
    return render_template("broadcast/compose.html", **_compose_context(None))


@bp.route("/<int:broadcast_id>/edit", methods=["GET", "POST"])
@require("broadcasts.draft")
def edit(broadcast_id: int):
    b = _editable_by_me(_get(broadcast_id))
    if request.method == "POST":
        data = form_to_data(request.form)
        on_refusal(render=_refused(b, data), flash=False)  # what was typed stays on the form, with its problems
        service.update_draft(db.session, b, data, current_user, _settings(), seen_version=_seen())
        db.session.commit()
        flash(_("Saved. It is a draft again and needs approval before it can be sent."), "success")
        return redirect(url_for("broadcast.detail", broadcast_id=b.id))
    return render_template("broadcast/compose.html", **_compose_context(b))


@bp.post("/live-preview")
@require("broadcasts.draft")
def live_preview():
    """The compose page's running preview: text, segments, cost, audience count and compliance problems."""
    base = None
    if request.form.get("broadcast_id", "").isdigit():
        base = db.session.get(Broadcast, int(request.form["broadcast_id"]))
    result = service.dry_run(db.session, form_to_data(request.form), _settings(), base, actor=current_user)
    for problem in result["problems"]:
        problem["error"] = problem_text(problem.pop("template"), problem.pop("args"))
        problem["field"] = leaf(problem["field"])  # as the form names its fields
    unsaved = [p for p in result["problems"] if p["blocks"] == "save"]
    if unsaved:  # the first, as saving would refuse it (the list has them all)
        result.update(error=unsaved[0]["error"], field=unsaved[0]["field"])
    db.session.rollback()
    return jsonify(result)


def _shown_figures(b: Broadcast, settings: Settings, sent: bool) -> dict:
    """The text and figures the page shows: once the audience is snapshotted, every figure (recipients, per
    tier, segments, cost) is the snapshot's, so the card and the report tell one truth; before, the preview."""
    snapshot = snapshot_figures(db.session, b, settings) if sent else None
    shown = texts.preview(db.session, b, settings, exact=snapshot is None, viewer=current_user)
    if snapshot is not None:
        shown.update(snapshot)  # (the estimated sending time is not shown once it is sent)
    return shown


@bp.get("/<int:broadcast_id>")
@require("broadcasts.view")
def detail(broadcast_id: int):
    b = _get(broadcast_id)
    settings, calendar = _settings(), calendar_for(current_app.config)
    sent = b.state not in (BroadcastState.draft, BroadcastState.submitted, BroadcastState.approved,
                           BroadcastState.rejected)
    return render_template("broadcast/detail.html", b=b, preview=_shown_figures(b, settings, sent),
                           problems=[] if sent else service.compliance_problems(b, settings, session=db.session),
                           note_html=render_note(b.note_markdown),
                           report=report(db.session, b) if sent and can(current_user, "broadcasts.report") else None,
                           progress=progress(db.session, [b])[b.id] if sent else None,
                           quiet_hours=calendar.quiet_text,
                           when=scheduling.schedule_choices(request.args, calendar, clock.now()),
                           duplicate=request.args.get("duplicate") == "1",
                           may_delete=service.may_edit(current_user, b) and drafts.may_delete(db.session, b),
                           seen=service.submission_mark(b), may_edit=service.may_edit(current_user, b),
                           may_approve=can(current_user, "broadcasts.approve")
                           and current_user.id not in service._hands_on(db.session, b))


@bp.get("/<int:broadcast_id>/report.csv", defaults={"fmt": "csv"})
@bp.get("/<int:broadcast_id>/report.xlsx", defaults={"fmt": "xlsx"})
@require("broadcasts.report")
def report_csv(broadcast_id: int, fmt: str):
    b = _get(broadcast_id)
    return download(fmt, f"broadcast-{b.id}", *csv_export(db.session, b, current_user), title=_("Delivery report"))


@bp.get("/progress", endpoint="progress")
@require("broadcasts.view")
def progress_json():
    """States and counts of the listed broadcasts (at most 100), for the list and detail pages to follow a send
    without a reload: state and its label and note, recipients, handed over, delivered, undelivered, failed,
    start and finish in local time."""
    ids = [int(i) for i in request.args.get("ids", "").split(",") if i.isdigit()][:100]
    broadcasts = list(db.session.scalars(sa.select(Broadcast).where(Broadcast.id.in_(ids))))
    out = {}
    for broadcast_id, p in progress(db.session, broadcasts).items():
        out[broadcast_id] = {**p, "state_label": str(STATE_LABELS[p["state"]]),
                             "state_note": str(STATE_NOTES.get(p["state"], "")),
                             "started_at": localtime(p["started_at"], "%Y-%m-%d %H:%M:%S"),
                             "finished_at": localtime(p["finished_at"], "%Y-%m-%d %H:%M:%S")}
    return jsonify(out)


@bp.errorhandler(StaleDataError)
def stale(_exc):
    """A lost race found by a flush the service did not make itself (an autoflush): the same refusal."""
    return current_app.handle_user_exception(versions.StaleVersion())


def _seen() -> int | None:
    """The version the page showed (every form acting on a broadcast carries it in a hidden field)."""
    return versions.parse(request.form.get("version"))


def _schedule(b: Broadcast, form) -> None:
    """Schedule as the form chose: now, at a time (send_at), or on every trading day (recurrence)."""
    settings, config = _settings(), current_app.config
    send_at, recurrence, when = None, None, form.get("when")
    if when == "at":
        send_at = service.parse_time(form.get("send_at") or "", settings.timezone, "send_at")
        if send_at is None:
            raise service.BroadcastError(N_("choose the date and time to send at"), "send_at")
    elif when == "daily":
        recurrence = f"trading_days@{form.get('daily_at') or '08:30'}"
    scheduling.schedule(db.session, b, current_user, send_at, settings, clock.now(), calendar_for(config),
                        recurrence=recurrence, confirm_duplicate=form.get("confirm_duplicate") == "1",
                        seen_version=_seen())


def _act(broadcast_id: int, action: Callable[[Broadcast], object], done: str):
    """Run one service action on the broadcast and go back to it: a refusal is flashed (core.http), success
    commits and says `done`. A stale version (someone changed it since the page was shown) lands on the
    broadcast as it is now, with the message to read it again."""
    b, detail = _get(broadcast_id), url_for("broadcast.detail", broadcast_id=broadcast_id)
    on_refusal(back=lambda exc: url_for("broadcast.detail", broadcast_id=broadcast_id, duplicate=1)
               if exc.field == "confirm_duplicate" else detail)
    action(b)
    db.session.commit()
    flash(done, "success")
    return redirect(detail)


@bp.post("/<int:broadcast_id>/schedule")
@require("broadcasts.schedule")
def schedule(broadcast_id: int):
    """After a refusal of what was chosen (a field named) the form shows again with the choice and times the
    person sent (in the query); any other refusal (changed meanwhile) shows the broadcast as it is now."""
    kept = {name: request.form[name][:20] for name in ("when", "send_at", "daily_at") if request.form.get(name)}
    on_refusal(back=lambda exc: url_for("broadcast.detail", broadcast_id=broadcast_id) if exc.field is None
               else url_for("broadcast.detail", broadcast_id=broadcast_id, **kept,
                            **({"duplicate": 1} if exc.field == "confirm_duplicate" else {}), _anchor="schedule"))
    _schedule(_get(broadcast_id), request.form)
    db.session.commit()
    flash(_("Sending now: the worker starts handing the messages over within seconds.")
          if request.form.get("when", "now") == "now" else _("Scheduled. The worker sends it at the time given."),
          "success")
    return redirect(url_for("broadcast.detail", broadcast_id=broadcast_id))


@bp.post("/<int:broadcast_id>/pause")
@require("broadcasts.schedule")
def pause(broadcast_id: int):
    return _act(broadcast_id, lambda b: scheduling.pause(db.session, b, current_user, seen_version=_seen()),
                _("Paused."))


@bp.post("/<int:broadcast_id>/resume")
@require("broadcasts.schedule")
def resume(broadcast_id: int):
    return _act(broadcast_id, lambda b: scheduling.resume(db.session, b, current_user, seen_version=_seen()),
                _("Resumed; nobody receives it twice."))


@bp.post("/<int:broadcast_id>/cancel")
@require("broadcasts.schedule")
def cancel(broadcast_id: int):
    return _act(broadcast_id, lambda b: scheduling.cancel(db.session, b, current_user, clock.now(),
                                                          seen_version=_seen()),
                _("Cancelled; what was not yet handed over will not be sent."))


@bp.post("/<int:broadcast_id>/submit")
@require("broadcasts.submit")
def submit(broadcast_id: int):
    return _act(broadcast_id, lambda b: service.submit(db.session, b, current_user, _settings(),
                                                       seen_version=_seen()),
                _("Submitted for approval."))


def _decision_seen() -> dict:
    """What the approver read, as the decision form sends it: the version (and the submission time)."""
    return {"seen_version": _seen(), "seen": request.form.get("seen") or None, "require_seen": True}


@bp.post("/<int:broadcast_id>/approve")
@require("broadcasts.approve")
def approve(broadcast_id: int):
    return _act(broadcast_id, lambda b: service.approve(db.session, b, current_user, request.form.get("comment"),
                                                        **_decision_seen()), _("Approved."))


@bp.post("/<int:broadcast_id>/reject")
@require("broadcasts.approve")
def reject(broadcast_id: int):
    return _act(broadcast_id, lambda b: service.reject(db.session, b, current_user, request.form.get("comment"),
                                                       **_decision_seen()),
                _("Rejected; the author sees your comment."))
