"""Admin pages of follow-ups: the classification rules (with a box to try a reply against them) and the canned
answers. Registered on the `followups` blueprint by followups/views.py."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from core import clock
from core.extensions import db
from core.http import on_refusal
from core.roles import require
from followups import canned, service
from followups.classify import WHOLE_REPLY, Category, Context, classify
from followups.labels import CATEGORY_LABELS

MAX_SAMPLE = 2000


@require("followups.rules")
def rules():
    """GET the lists per category; POST `action`=save (keywords, patterns), restore (the shipped lists) or
    try (`sample`: classify a reply against the rules in force, saving nothing)."""
    problems: dict[str, list[str]] = {}
    edited: dict[str, tuple[str, str]] = {}
    verdict, sample, status = None, "", 200
    if request.method == "POST":
        action = request.form.get("action", "save")
        if action == "try":
            sample = request.form.get("sample", "")[:MAX_SAMPLE]
            verdict = classify(sample, Context(), service.current_rules(db.session))
        else:
            category = request.form.get("category", "")
            restore = action == "restore"
            keywords = "" if restore else request.form.get("keywords", "")
            patterns = "" if restore else request.form.get("patterns", "")
            on_refusal(back=url_for("followups.rules"))
            found = canned.save_rules(db.session, current_user, category, keywords, patterns, clock.now())
            label = CATEGORY_LABELS.get(category, category)
            if not found:
                db.session.commit()
                flash(_("The shipped rules of %(category)s are in force again.", category=label) if restore
                      else _("Rules of %(category)s saved; new replies are classified with them.", category=label),
                      "success")
                return redirect(url_for("followups.rules") + f"#rules-{category}")
            db.session.rollback()
            problems[category], edited[category] = found, (keywords, patterns)
            status = 400
            flash(_("Nothing was saved: fix the problems shown under %(category)s.", category=label), "error")
    lists = canned.rule_lists(db.session)
    return render_template("followups/rules.html", lists=lists, problems=problems, edited=edited,
                           verdict=verdict, sample=sample, whole_reply=set(WHOLE_REPLY),
                           categories=list(Category)), status


@require("followups.rules")
def canned_page():
    """GET every canned answer, retired ones too; POST one (`id` empty for a new one) with title, body, active."""
    if request.method == "POST":
        raw_id = request.form.get("id", "")
        on_refusal(back=url_for("followups.canned"))
        answer = canned.save_answer(db.session, current_user, int(raw_id) if raw_id.isdigit() else None,
                                    request.form.get("title", ""), request.form.get("body", ""),
                                    request.form.get("active") == "1", clock.now(), request.form.get("queue"))
        db.session.commit()
        flash(_("Canned answer “%(title)s” saved.", title=answer.title) if answer.active
              else _("Canned answer “%(title)s” saved and retired: it is no longer offered.", title=answer.title),
              "success")
        return redirect(url_for("followups.canned") + f"#answer-{answer.id}")
    return render_template("followups/canned.html", answers=canned.answers(db.session, include_retired=True),
                           scopes=canned.SCOPES)
