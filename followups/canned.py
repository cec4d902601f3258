"""Canned answers and the classification rules: what admins edit. The department's shipped answers are
seeded by migration 0008; the shipped rules are followups.classify.DEFAULT_RULES."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from core import audit
from core.errors import N_
from followups.classify import DEFAULT_RULES, Category, check_rule_lists, parse_lines
from followups.models import CannedAnswer, Queue, RuleOverride
from followups.service import FollowUpError
from staff.models import Staff

MAX_TITLE = 100
MAX_BODY = 670
SCOPES = (Queue.research, Queue.business)  # what an answer can be scoped to; None: every queue


def answers(session, include_retired: bool = False, queue: Queue | None = None) -> list[CannedAnswer]:
    """The canned answers in order (only reads: the department's shipped set is seeded by migration 0008);
    with `queue`, those offered on that queue's items: its own and the unscoped ones."""
    query = sa.select(CannedAnswer).order_by(CannedAnswer.position, CannedAnswer.id)
    if not include_retired:
        query = query.where(CannedAnswer.active.is_(True))
    if queue is not None:
        query = query.where(sa.or_(CannedAnswer.queue.is_(None), CannedAnswer.queue == queue))
    return list(session.scalars(query))


def parse_scope(value: str | None) -> Queue | None:
    """The queue an answer is for, from the form: empty for every queue, else research or business."""
    value = (value or "").strip()
    if not value:
        return None
    if value not in {q.value for q in SCOPES}:
        raise FollowUpError(N_("the queue must be research or business"), field="queue")
    return Queue(value)


def save_answer(session, actor: Staff, answer_id: int | None, title: str, body: str, active: bool,
                now: datetime, queue: str | None = None) -> CannedAnswer:
    """Add (`answer_id` None) or change one answer, its scope included; audited."""
    scope = parse_scope(queue)
    title, body = (title or "").strip(), (body or "").strip()
    if not title or not body:
        raise FollowUpError(N_("a canned answer needs a title and a text"), field="title" if not title else "body")
    if len(title) > MAX_TITLE or len(body) > MAX_BODY:
        raise FollowUpError(N_("the text is longer than %(limit)s characters"),
                            field="title" if len(title) > MAX_TITLE else "body",
                            limit=MAX_TITLE if len(title) > MAX_TITLE else MAX_BODY)
    if answer_id is None:
        position = (session.scalar(sa.select(sa.func.max(CannedAnswer.position))) or 0) + 1
        answer = CannedAnswer(title=title, body=body, position=position, active=active, queue=scope)
        session.add(answer)
    else:
        answer = session.get(CannedAnswer, answer_id)
        if answer is None:
            raise FollowUpError(N_("there is no such canned answer"), field="id", code="no_such_answer")
        answer.title, answer.body, answer.active, answer.queue = title, body, active, scope
    answer.updated_at = now
    session.flush()
    audit.record(session, "followups.canned_answer", actor=actor, obj_type="canned_answer", obj_id=answer.id,
                 detail={"title": title, "active": active, "queue": scope.value if scope else None})
    return answer


def rule_lists(session) -> dict[Category, tuple[tuple[str, ...], tuple[str, ...], bool]]:
    """Per category: the keywords and patterns in force, and whether an admin changed the shipped ones."""
    overrides = {o.category: o for o in session.scalars(sa.select(RuleOverride))}
    result = {}
    for category in Category:
        if category in overrides:
            o = overrides[category]
            result[category] = (tuple(o.keywords), tuple(o.patterns), True)
        else:
            keywords, patterns = DEFAULT_RULES.for_category(category)
            result[category] = (keywords, patterns, False)
    return result


def save_rules(session, actor: Staff, category: str, keywords_text: str, patterns_text: str,
               now: datetime) -> list[str]:
    """Replace one category's lists; returns the problems (nothing saved) or []. `restore` of the shipped
    lists is an empty save of both."""
    try:
        cat = Category(category)
    except ValueError:
        raise FollowUpError(N_("unknown category %(value)s"), field="category", value=category) from None
    keywords, patterns = parse_lines(keywords_text), parse_lines(patterns_text)
    problems = check_rule_lists(keywords, patterns)
    if problems:
        return problems
    override = session.scalar(sa.select(RuleOverride).where(RuleOverride.category == cat))
    if not keywords and not patterns:  # back to the shipped lists
        if override is not None:
            session.delete(override)
    else:
        if override is None:
            override = RuleOverride(category=cat)
            session.add(override)
        override.keywords, override.patterns = keywords, patterns
        override.updated_by_id, override.updated_at = actor.id, now
    audit.record(session, "followups.rules", actor=actor, obj_type="category", obj_id=cat.value,
                 detail={"keywords": len(keywords), "patterns": len(patterns)})
    session.flush()
    return []
