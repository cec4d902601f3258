"""Broadcast operations: drafts, submission, four-eyes approval, preview. Functions flush; callers commit."""
from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from broadcast import audience as audiences
from broadcast import compliance, fields, placeholders, versions
from broadcast.errors import BroadcastError
from broadcast.fields import COMMENT_MAX, FieldRefused, InvalidDraft
from broadcast.fields import parse_time as parse_time  # views and the API read send_at with it
from broadcast.models import EDITABLE, RETIRED_KINDS, Broadcast, BroadcastKind, BroadcastState
from broadcast.settings import Settings
from broadcast.texts import audience_segments, final_text, preview, render_for
from clients.privacy import may_see_book
from core import audit, clock
from core.errors import N_, Translate
from sms.segments import measure


class NoBroadcast(BroadcastError):
    def __init__(self, broadcast_id: int):
        super().__init__(N_("there is no broadcast %(id)s"), status=404, id=broadcast_id)


class NotCompliant(BroadcastError):
    """Compliance objects: every problem is told (the API lists them; a page flashes them in one line)."""

    def __init__(self, problems: list[compliance.ComplianceProblem],
                 template: str = N_("Not submitted: %(problems)s")):
        super().__init__(template, problems[0].field, code="not_compliant",
                         problems="; ".join(str(p) for p in problems))
        self.problems = problems

    def text(self, translate: Translate) -> str:
        return translate(self.template, {"problems": "; ".join(translate(p.template, p.args_) for p in self.problems)})

    def details(self, translate: Translate) -> dict[str, Any]:
        return {"problems": [{"field": p.field, "error": translate(p.template, p.args_)} for p in self.problems]}


# ---- drafts and the approval path ---------------------------------------------------------------------

def may_edit(actor, b: Broadcast) -> bool:
    """Researchers edit their own broadcasts; the chief analyst (首席分析师负责制) edits any."""
    from core.roles import Role

    return Role.chief_analyst in actor.role_set or b.author_id == actor.id


def _lists_accounts(value: Any, name: str) -> bool:
    """Whether an include/exclude value as sent (a list, or the compose form's text) names any account; one
    that cannot be read is taken as naming some (refused alike, never looked up)."""
    try:
        return bool(audiences.strings(value, name))
    except audiences.AudienceError:
        return True


def listed_accounts(actor, data: dict, b: Broadcast) -> dict:
    """`data` as `actor` may send it. Listing accounts (an audience's include, exclude) is for those who may
    see the client book (clients/privacy.py): anyone else is refused (403, before any account is looked up,
    so the answer is the same whether it exists or not); what they leave empty keeps the lists stored."""
    audience = data.get("audience")
    if may_see_book(actor) or not isinstance(audience, dict):
        return data
    for name in ("include", "exclude"):
        if _lists_accounts(audience.get(name), name):
            raise BroadcastError(N_("listing clients by account number is for those who may see the client book; "
                                    "choose the audience by tier, branch or business staff"),
                                 f"audience.{name}", status=403, code="accounts_not_visible")
    stored = b.audience or {}
    return {**data, "audience": {**audience, "include": list(stored.get("include") or []),
                                 "exclude": list(stored.get("exclude") or [])}}


def create_draft(session, data: dict, actor, settings: Settings) -> Broadcast:
    if not isinstance(data, dict):
        raise BroadcastError(N_("send the broadcast as an object"), None)
    b = Broadcast(author_id=actor.id, state=BroadcastState.draft, audience={}, language="zh")
    b.title = None  # type: ignore[assignment]
    b.body = None  # type: ignore[assignment]
    data = listed_accounts(actor, data, b)
    fields.apply(b, data, settings.timezone, settings.suggestion_risk_level, new=True)
    session.add(b)
    session.flush()
    audit.record(session, "broadcast.create", actor=actor, obj_type="broadcast", obj_id=b.id,
                 detail={"kind": b.kind.value, "title": b.title, "risk_level": b.risk_level.value})
    return b


def update_draft(session, b: Broadcast, data: dict, actor, settings: Settings, *,
                 seen_version: int | None = None) -> Broadcast:
    """Edit the content. Editing a submitted or approved broadcast sends it back to draft (and to approval).
    Conditional on the version the editor saw (broadcast/versions.py), so an edit and an approval that race
    never leave the edited text approved."""
    if not may_edit(actor, b):
        raise BroadcastError(N_("only its author or the chief analyst can edit this broadcast"), None, status=403,
                             code="not_author")
    versions.expect(b, seen_version)
    if b.state not in EDITABLE:
        raise BroadcastError(N_("a broadcast that is %(state)s can no longer be edited"), None, status=409,
                             code="not_editable", state=b.state.value)
    if not isinstance(data, dict):
        raise BroadcastError(N_("send the changes as an object"), None)
    data = listed_accounts(actor, data, b)
    before = b.state
    fields.apply(b, data, settings.timezone, settings.suggestion_risk_level)
    b.state = BroadcastState.draft
    b.submitted_at = None
    if before in (BroadcastState.submitted, BroadcastState.approved):
        b.decided_by_id = None
        b.decided_at = None
    versions.save(session)
    audit.record(session, "broadcast.edit", actor=actor, obj_type="broadcast", obj_id=b.id,
                 detail={"from": before.value, "to": b.state.value, "fields": sorted(data)})
    return b


def compliance_problems(b: Broadcast, settings: Settings, now: datetime | None = None, session=None) -> list:
    """What stands between this broadcast and submission (empty when nothing). With a session, the segment
    limit is checked on the longest text any recipient would get, not only on the sample."""
    suggestion = None
    if b.kind == BroadcastKind.trade_suggestion:
        suggestion = compliance.Suggestion(
            contract=b.contract or "", direction=b.direction.value if b.direction else "", entry=b.entry or "",
            stop=b.stop or "", targets=tuple(b.targets or ()), position_pct=b.position_pct,
            valid_until=b.valid_until, risk_statement=b.risk_statement or "")
    text = final_text(b, render_for(b, None, settings), settings)
    # the analyst is the author; a draft not saved yet (the compose page's dry run) is checked when it is
    author = b.author if b.author_id is not None else None
    analyst = author.qualification_no if author is not None else placeholders.SAMPLE_ANALYST[1]
    draft = compliance.Draft(kind=b.kind.value, title=b.title, body=b.body, note_markdown=b.note_markdown or "",
                             suggestion=suggestion, segments=measure(text).segments, analyst_qualification=analyst)
    if session is not None and not audiences.parse(b.audience).is_empty:
        draft = dataclasses.replace(draft, segments=max(draft.segments, audience_segments(session, b, settings)[1]))
    problems = list(compliance.check(draft, now or clock.now(), settings.rules))
    if audiences.parse(b.audience).is_empty:
        problems.append(compliance.ComplianceProblem(N_("choose the audience: tiers, branches, staff or accounts"),
                                                     "audience"))
    if b.kind in RETIRED_KINDS:
        problems.append(compliance.ComplianceProblem(N_("risk notices are retired: account notices come from the "
                                                        "risk desk; choose another kind"), "kind"))
    return problems


def submit(session, b: Broadcast, actor, settings: Settings, now: datetime | None = None, *,
           seen_version: int | None = None) -> Broadcast:
    versions.expect(b, seen_version)
    if b.state not in (BroadcastState.draft, BroadcastState.rejected):
        raise BroadcastError(N_("only a draft can be submitted (this one is %(state)s)"), None, status=409,
                             code="not_a_draft", state=b.state.value)
    problems = compliance_problems(b, settings, now, session=session)
    if problems:
        raise NotCompliant(problems)
    b.state = BroadcastState.submitted
    b.submitted_at = now or clock.now()
    b.decision_comment = None
    versions.save(session)
    # the submission's time and version, so that an approver naming the time can be told which text it was
    audit.record(session, "broadcast.submit", actor=actor, obj_type="broadcast", obj_id=b.id,
                 detail=versions.submission_detail(b))
    return b


def _hands_on(session, b: Broadcast) -> set[int]:
    """Everyone who wrote, edited or submitted this broadcast (from the audit log)."""
    from core.audit import AuditEntry

    actors = session.scalars(sa.select(AuditEntry.actor_id).where(
        AuditEntry.object_type == "broadcast", AuditEntry.object_id == str(b.id),
        AuditEntry.action.in_(["broadcast.create", "broadcast.edit", "broadcast.submit"]),
        AuditEntry.actor_id.is_not(None)))
    return set(actors) | {b.author_id}


def _decide(session, b: Broadcast, actor, approve: bool, comment: str | None, seen: str | None = None,
            seen_version: int | None = None, require_seen: bool = False) -> Broadcast:
    """Approve or reject the text the approver read: `seen_version`, or `seen` (the submission time they read,
    translated to a version when it names one submission). Without either, an in-process caller decides on
    the version it read; pages and the API pass `require_seen`."""
    if seen_version is None and seen is not None:
        seen_version = versions.version_of_submission(session, b, seen)
    versions.expect(b, seen_version)
    if b.state != BroadcastState.submitted:
        raise BroadcastError(N_("only a submitted broadcast can be approved or rejected (this one is %(state)s)"),
                             None, status=409, code="not_submitted", state=b.state.value)
    if actor.id in _hands_on(session, b):
        raise BroadcastError(N_("four eyes: whoever wrote, edited or submitted a broadcast cannot approve or "
                                "reject it"), None, status=403, code="four_eyes")
    if require_seen and seen_version is None:
        raise BroadcastError(N_("say which text you read: its version (seen_version) or its submission time "
                                "(seen_submitted_at)"), "seen_version", code="seen_required")
    comment = (comment or "").strip()
    if not approve and not comment:
        raise BroadcastError(N_("say why it is rejected, so the author knows what to fix"), "comment",
                             code="reason_required")
    if len(comment) > COMMENT_MAX:
        raise FieldRefused(N_("%(field)s is longer than %(limit)s characters"), "comment", limit=COMMENT_MAX)
    read = b.version  # the text decided on: the audit entry (sealed into the chain) names it
    b.state = BroadcastState.approved if approve else BroadcastState.rejected
    b.decided_by_id = actor.id
    b.decided_at = clock.now()
    b.decision_comment = comment or None
    versions.save(session)
    audit.record(session, "broadcast.approve" if approve else "broadcast.reject", actor=actor,
                 obj_type="broadcast", obj_id=b.id,
                 detail={"version": read, **({"comment": comment} if comment else {})})
    return b


def submission_mark(b: Broadcast) -> str:
    """Names one submission: an approver's decision applies to the text they saw, not to a later one."""
    return b.submitted_at.isoformat() if b.submitted_at else ""


def approve(session, b: Broadcast, actor, comment: str | None = None, seen: str | None = None, *,
            seen_version: int | None = None, require_seen: bool = False) -> Broadcast:
    return _decide(session, b, actor, True, comment, seen, seen_version, require_seen)


def reject(session, b: Broadcast, actor, comment: str | None, seen: str | None = None, *,
           seen_version: int | None = None, require_seen: bool = False) -> Broadcast:
    return _decide(session, b, actor, False, comment, seen, seen_version, require_seen)


def dry_run(session, data: dict, settings: Settings, base: Broadcast | None = None, *, actor) -> dict[str, Any]:
    """The preview and compliance problems of `data` as if saved (onto `base`), saving nothing, as `actor`
    may see it (texts.preview) and may send it (listed_accounts).

    Used by the compose page while the analyst types. What would keep it from being saved comes back as
    problems too ("blocks": "save"; compliance's are "submit"), and never blanks the rest: the figures are
    those of the fields that could be read, the text shows a placeholder that cannot be filled as typed.
    A field that could not be read is not also reported missing by compliance.
    """
    b = Broadcast(kind=base.kind if base else BroadcastKind.daily_comment, state=BroadcastState.draft,
                  audience=dict(base.audience) if base else {}, language=base.language if base else "zh")
    b.title = base.title if base else None  # type: ignore[assignment]
    b.body = base.body if base else None  # type: ignore[assignment]
    if base is not None:
        for name in ("note_markdown", "contract", "direction", "entry", "stop", "targets", "position_pct",
                     "valid_until", "risk_statement", "risk_level"):
            setattr(b, name, getattr(base, name))
    try:
        data = listed_accounts(actor, data, b)
    except BroadcastError as exc:  # no figures at all: none may tell whether a listed account exists
        return {"problems": [_problem(exc, exc.field, "save")], "code": exc.code}
    unsaved: list[BroadcastError] = []
    with session.no_autoflush:
        try:
            fields.apply(b, data, settings.timezone, settings.suggestion_risk_level)
        except InvalidDraft as exc:
            unsaved = exc.problems
        b.title = b.title or ""
        b.body = fields.renderable(b.body or "")
        result = preview(session, b, settings, exact=False, viewer=actor)
        unread = {fields.leaf(p.field) for p in unsaved} - {"body"}  # the body's problems are of what it says
        checks = [p for p in compliance_problems(b, settings) if fields.leaf(p.field) not in unread]
    result["problems"] = ([_problem(p, p.field, "save") for p in unsaved]
                          + [_problem(p, p.field, "submit") for p in checks])
    if unsaved:
        result["code"] = unsaved[0].code  # the first, as saving would refuse it
    return result


def _problem(p, field: str | None, blocks: str) -> dict[str, Any]:
    return {"field": field, "error": str(p), "template": p.template, "args": p.args_, "blocks": blocks}


def visible_broadcasts() -> sa.Select:
    return sa.select(Broadcast).order_by(Broadcast.id.desc())
