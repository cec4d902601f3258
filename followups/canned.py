"""Canned answers and the classification rules: what admins edit, and the department's shipped set."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from core import audit
from core.errors import N_
from followups.classify import DEFAULT_RULES, Category, check_rule_lists, parse_lines
from followups.models import CannedAnswer, RuleOverride
from followups.service import FollowUpError
from staff.models import Staff

# the department's basic guidance (基础指导), as business staff and researchers answer it every day
SHIPPED: tuple[tuple[str, str], ...] = (
    ("交易软件下载与安装",
     "您好，交易软件请在公司官网“软件下载”栏目下载，按提示安装后用资金账号登录。如安装遇到问题，可致电客服热线，我们远程协助。"),
    ("修改密码",
     "您好，交易密码可在交易软件“密码修改”中修改；如忘记密码，请携带身份证到营业部或通过官网在线办理重置，资金密码需同时修改银行端。"),
    ("银期转账",
     "您好，银期转账时间为交易日 08:30-15:30、20:30-02:30。在交易软件“银期转账”中选择银行转期货（入金）或期货转银行（出金），需输入资金密码和银行密码。"),
    ("下单与撤单",
     "您好，下单：在交易软件选择合约，输入手数和价格，选择开仓/平仓后确认；撤单：在“委托”栏选中未成交的委托，点击撤单即可。已成交的委托无法撤销。"),
    ("查询持仓、成交和资金",
     "您好，在交易软件“持仓”“成交”“资金”栏目可实时查询；每日结算单可在中国期货市场监控中心网站（cfmmc.com）查询。"),
    ("逐日盯市",
     "您好，期货实行逐日盯市：每个交易日结束后按当日结算价计算持仓盈亏并划转，权益随之变动。请每日查看结算单，留意保证金是否充足。"),
    ("追加保证金（追保）",
     "您好，当您的风险度超过100%时需追加保证金：请在规定时间前入金或减仓，使风险度回到100%以下，否则可能被强行平仓。"),
    ("强行平仓（强平）",
     "您好，若未能按时追加保证金，或持仓超过限仓，公司将按规定对部分或全部持仓强行平仓，由此产生的损失由客户承担。请及时关注风险度。"),
)

MAX_TITLE = 100
MAX_BODY = 670


def answers(session, include_retired: bool = False) -> list[CannedAnswer]:
    """The canned answers in order; the shipped set is added the first time the table is read empty.
    The caller commits (a GET may add them)."""
    if session.scalar(sa.select(sa.func.count()).select_from(CannedAnswer)) == 0:
        for position, (title, body) in enumerate(SHIPPED):
            session.add(CannedAnswer(title=title, body=body, position=position))
        session.flush()
    query = sa.select(CannedAnswer).order_by(CannedAnswer.position, CannedAnswer.id)
    if not include_retired:
        query = query.where(CannedAnswer.active.is_(True))
    return list(session.scalars(query))


def save_answer(session, actor: Staff, answer_id: int | None, title: str, body: str, active: bool,
                now: datetime) -> CannedAnswer:
    title, body = (title or "").strip(), (body or "").strip()
    if not title or not body:
        raise FollowUpError(N_("a canned answer needs a title and a text"))
    if len(title) > MAX_TITLE or len(body) > MAX_BODY:
        raise FollowUpError(N_("the text is longer than %(limit)s characters"),
                            limit=MAX_TITLE if len(title) > MAX_TITLE else MAX_BODY)
    answers(session)  # the shipped set first, so that the first edit does not leave it out for good
    if answer_id is None:
        position = (session.scalar(sa.select(sa.func.max(CannedAnswer.position))) or 0) + 1
        answer = CannedAnswer(title=title, body=body, position=position, active=active)
        session.add(answer)
    else:
        answer = session.get(CannedAnswer, answer_id)
        if answer is None:
            raise FollowUpError(N_("there is no such canned answer"))
        answer.title, answer.body, answer.active = title, body, active
    answer.updated_at = now
    session.flush()
    audit.record(session, "followups.canned_answer", actor=actor, obj_type="canned_answer", obj_id=answer.id,
                 detail={"title": title, "active": active})
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
        raise FollowUpError(N_("unknown category %(value)s"), value=category) from None
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
