"""Compliance checks a broadcast must pass before it is submitted for approval. Plain functions, no Flask.

The department's rules: a trade suggestion always sets risk against return (a stop loss and a risk
statement, never a full position), it is never sent after it expires, nothing promises a profit, and an
SMS stays within a sensible length. Each problem names the field to fix.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation

from core.errors import N_, Problem

DEFAULT_PROFIT_PHRASES = (
    "保证盈利", "保证收益", "稳赚", "只赚不赔", "零风险", "无风险", "包赚", "必涨", "必赚", "稳赢", "翻倍保证",
    "guaranteed profit", "guaranteed return", "risk-free", "risk free", "no risk", "can't lose", "cannot lose",
)


class ComplianceProblem(Problem):
    def __init__(self, template: str, field: str, **args: object):
        super().__init__(template, **args)
        self.field = field


@dataclass(frozen=True)
class Rules:
    position_cap_pct: Decimal = Decimal("30")
    max_segments: int = 6
    profit_phrases: tuple[str, ...] = DEFAULT_PROFIT_PHRASES


@dataclass(frozen=True)
class Suggestion:
    contract: str = ""
    direction: str = ""  # long | short
    entry: str = ""  # a price or a range "3150-3170"
    stop: str = ""
    targets: tuple[str, ...] = ()
    position_pct: Decimal | None = None
    valid_until: datetime | None = None
    risk_statement: str = ""


@dataclass(frozen=True)
class Draft:
    kind: str
    title: str
    body: str
    note_markdown: str = ""
    suggestion: Suggestion | None = None
    segments: int = 0  # of the rendered text for a sample recipient, signature and opt-out line included
    # the author's futures investment-consulting qualification number (投资咨询从业资格证书编号)
    analyst_qualification: str | None = None


CONTRACT = re.compile(r"^[A-Za-z]{1,2}\d{3,4}$")  # rb2505, IF2412, SR501, i2509


def _price(text: str) -> Decimal | None:
    try:
        value = Decimal(text.replace(",", "").strip())
    except (InvalidOperation, AttributeError):
        return None
    return value if value.is_finite() and value > 0 else None


def _range(text: str) -> tuple[Decimal, Decimal] | None:
    parts = re.split(r"\s*[-~至到]\s*", text.strip())
    prices = [_price(p) for p in parts if p]
    if not prices or None in prices or len(prices) > 2:
        return None
    return min(prices), max(prices)  # type: ignore[type-var]


def _pct(value: Decimal) -> str:
    return format(value.normalize(), "f")  # 30, 12.5 (normalize alone writes 30 as 3E+1)


def _normalise(text: str) -> str:
    return re.sub(r"\s+", "", text).lower()


# a phrase right after one of these is a disclaimer ("不保证盈利", "not risk-free"), not a promise
NEGATIONS = ("不", "非", "无法", "不能", "没有", "not", "never")


def profit_promises(texts: list[str], phrases: tuple[str, ...]) -> list[str]:
    """The phrases of `phrases` promised in any of `texts`, ignoring case and spaces inside them."""
    haystack = "\n".join(_normalise(t) for t in texts)
    found = []
    for phrase in phrases:
        needle = _normalise(phrase)
        start = haystack.find(needle) if needle else -1
        while start != -1:
            if not haystack[:start].endswith(NEGATIONS):
                found.append(phrase)
                break
            start = haystack.find(needle, start + 1)
    return found


def check_suggestion(s: Suggestion, now: datetime, rules: Rules) -> list[ComplianceProblem]:
    problems = []
    if not CONTRACT.match(s.contract.strip()):
        problems.append(ComplianceProblem(N_("give the contract code, such as rb2505 or IF2412"), "contract"))
    if s.direction not in ("long", "short"):
        problems.append(ComplianceProblem(N_("choose the direction: long or short"), "direction"))
    entry = _range(s.entry) if s.entry.strip() else None
    if entry is None:
        problems.append(ComplianceProblem(N_("give the entry price or range, such as 3150-3170"), "entry"))
    stop = _price(s.stop) if s.stop.strip() else None
    if not s.stop.strip():
        problems.append(ComplianceProblem(N_("a trade suggestion needs a stop loss"), "stop"))
    elif stop is None:
        problems.append(ComplianceProblem(N_("the stop loss %(value)s is not a price"), "stop", value=s.stop))
    targets = [_price(t) for t in s.targets if t.strip()]
    if not targets:
        problems.append(ComplianceProblem(N_("give at least one target"), "targets"))
    elif None in targets:
        problems.append(ComplianceProblem(N_("every target must be a price"), "targets"))
    if entry and stop and s.direction in ("long", "short"):
        low, high = entry
        if s.direction == "long" and stop >= low:
            problems.append(ComplianceProblem(N_("for a long position the stop loss must be below the entry"), "stop"))
        if s.direction == "short" and stop <= high:
            problems.append(ComplianceProblem(N_("for a short position the stop loss must be above the entry"), "stop"))
        if targets and None not in targets:
            if s.direction == "long" and any(t <= high for t in targets):  # type: ignore[operator]
                problems.append(ComplianceProblem(N_("for a long position every target must be above the entry"),
                                                  "targets"))
            if s.direction == "short" and any(t >= low for t in targets):  # type: ignore[operator]
                problems.append(ComplianceProblem(N_("for a short position every target must be below the entry"),
                                                  "targets"))
    if s.position_pct is None:
        problems.append(ComplianceProblem(N_("give the suggested position as a share of equity"), "position_pct"))
    elif s.position_pct <= 0:
        problems.append(ComplianceProblem(N_("the position must be more than 0%"), "position_pct"))
    elif s.position_pct > rules.position_cap_pct:
        problems.append(ComplianceProblem(
            N_("a position of %(value)s%% is over the cap of %(cap)s%%: never suggest a full position"),
            "position_pct", value=_pct(s.position_pct), cap=_pct(rules.position_cap_pct)))
    if s.valid_until is None:
        problems.append(ComplianceProblem(N_("say until when the suggestion is valid"), "valid_until"))
    elif s.valid_until <= now:
        problems.append(ComplianceProblem(N_("the suggestion's valid-until time has already passed"), "valid_until"))
    if not s.risk_statement.strip():
        problems.append(ComplianceProblem(N_("a trade suggestion needs a risk statement"), "risk_statement"))
    return problems


def names_an_analyst(draft: Draft) -> bool:
    """Whether `draft` is investment advice that must name a qualified analyst: a trade suggestion, or
    anything with a research note."""
    return draft.kind == "trade_suggestion" or bool(draft.note_markdown.strip())


def check(draft: Draft, now: datetime, rules: Rules = Rules()) -> list[ComplianceProblem]:
    """Every reason `draft` may not be submitted yet; an empty list when it may."""
    problems: list[ComplianceProblem] = []
    if names_an_analyst(draft) and not (draft.analyst_qualification or "").strip():
        problems.append(ComplianceProblem(
            N_("a trade suggestion or research note must name a qualified analyst: its author has no "
               "investment-consulting qualification number (an admin records it on the staff page)"), "author"))
    if not draft.title.strip():
        problems.append(ComplianceProblem(N_("give the broadcast a title"), "title"))
    if draft.kind == "trade_suggestion":
        if draft.suggestion is None:
            problems.append(ComplianceProblem(N_("a trade suggestion needs its contract, stop loss and risk statement"),
                                              "suggestion"))
        else:
            problems.extend(check_suggestion(draft.suggestion, now, rules))
    texts = [draft.title, draft.body, draft.note_markdown]
    if draft.suggestion is not None:
        texts.append(draft.suggestion.risk_statement)
    for phrase in profit_promises(texts, rules.profit_phrases):
        problems.append(ComplianceProblem(N_("promises a profit (%(phrase)s): take it out"), "body", phrase=phrase))
    if draft.segments > rules.max_segments:
        problems.append(ComplianceProblem(
            N_("the SMS is %(segments)s segments long; the limit is %(limit)s, shorten it"), "body",
            segments=draft.segments, limit=rules.max_segments))
    return problems
