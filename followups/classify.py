"""What a futures client's SMS reply is about, decided by plain rules with no Flask or database import.

Order of evaluation (the first that fires wins):

1. whole-reply words, ``opt_out`` then ``opt_in`` then ``help``: the reply, ignoring case, spaces, punctuation
   and emoji (``normalise_whole``), equals one of the category's keywords, or a pattern ``re.fullmatch``-es it;
2. ``complaint`` (priority high);
3. ``account_service``: it wins over research when both match, because a business matter (margin, funds,
   passwords) only the client's business staff can act on, often against the clock, while a research
   question that reaches business staff is simply forwarded. "保证金不够了，会被强平吗" is about margin;
4. a request to stop messages (``STOP_REQUEST_PATTERNS``): ``feedback`` with ``suggest_opt_out``. It is
   checked *before* research (a deliberate change from the issue's order) because "别再发螺纹的短信了" names an
   instrument only as the subject of the unwanted messages: it needs the business staff, not a researcher;
5. ``research_question``;
6. a question in a reply linked to a trade suggestion: ``research_question``;
7. ``feedback`` keywords and patterns (none shipped), else ``feedback: nothing matched``.

``suggest_opt_out`` is set whenever a stop request is found in a reply that is not a whole-reply word, whatever
the category, so a complaint that also says "别再发了" still shows the suggestion. Stop requests are a module
constant, not admin-editable: the duty to notice them does not depend on an admin's edit. The classifier never
opts anyone out on a longer text; only the whole-reply words do that.

Content keywords match as case-insensitive substrings of the NFKC-normalised reply (spaces ignored for
Chinese keywords). An ASCII keyword must stand as a word (so "fee" is not found in "coffee"), optionally
followed by s, es, ed or ing, and its spaces or hyphens match any run of them, or none ("stop loss" finds "stop-loss"). Patterns are
``re.search``-ed with IGNORECASE; a pattern that does not compile never matches. Only the first
``MAX_TEXT`` characters of a reply are examined.
"""
from __future__ import annotations

import enum
import functools
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

MAX_TEXT = 2000
MAX_ENTRY = 200
MAX_ENTRIES = 200


class Category(str, enum.Enum):
    opt_out = "opt_out"
    opt_in = "opt_in"
    help = "help"
    research_question = "research_question"
    complaint = "complaint"
    account_service = "account_service"
    feedback = "feedback"


class Priority(str, enum.Enum):
    high = "high"
    normal = "normal"


WHOLE_REPLY = (Category.opt_out, Category.opt_in, Category.help)


def _freeze(table: Mapping) -> Mapping[Category, tuple[str, ...]]:
    frozen = {c: () for c in Category}
    frozen.update({Category(c): tuple(v) for c, v in table.items()})
    return MappingProxyType(frozen)


@dataclass(frozen=True)
class Rules:
    """Keyword and pattern lists per category, as an admin edits them.

    Any mapping of category (or its value) to any iterable is accepted and frozen into tuples, with every
    category present, so a ``Rules`` cannot change under a classification that is using it."""

    keywords: Mapping[Category, tuple[str, ...]]
    patterns: Mapping[Category, tuple[str, ...]]

    def __post_init__(self) -> None:
        object.__setattr__(self, "keywords", _freeze(self.keywords))
        object.__setattr__(self, "patterns", _freeze(self.patterns))

    def for_category(self, c: Category | str) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """The category's (keywords, patterns)."""
        c = Category(c)
        return self.keywords[c], self.patterns[c]

    def replace(self, category: Category | str, keywords: Iterable[str], patterns: Iterable[str]) -> Rules:
        """A copy with one category's lists replaced; the others are shared unchanged."""
        c = Category(category)
        return Rules({**self.keywords, c: tuple(keywords)}, {**self.patterns, c: tuple(patterns)})


_A = r"(?a)"  # ASCII mode: \b treats Chinese characters as non-word, so "rb2605还能" still has a boundary
DEFAULT_RULES = Rules(
    keywords={
        Category.opt_out: ("STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT",
                           "T", "TD", "R", "N", "退订", "取消订阅", "拒收"),
        Category.opt_in: ("START", "UNSTOP", "订阅", "重新订阅"),
        Category.help: ("HELP", "INFO", "帮助", "客服"),
        Category.complaint: ("投诉", "骗子", "骗", "举报", "曝光", "维权", "证监会", "12386", "监管", "赔偿", "起诉",
                             "scam", "scammer", "fraud", "fraudulent", "complain", "complaint", "report you",
                             "cheat", "liar", "sue you", "CSRC"),
        Category.account_service: ("开户", "销户", "入金", "出金", "银期转账", "转账", "密码", "手续费", "佣金", "保证金",
                                   "追保", "强平", "强制平仓", "穿仓", "交易软件", "下载", "登录", "登陆", "账户", "帐户",
                                   "账号", "结算单", "交割", "password", "deposit", "withdraw", "withdrawal",
                                   "transfer", "margin call", "login", "log in", "account", "fee", "commission"),
        Category.research_question: ("止损", "止盈", "目标位", "目标价", "支撑", "压力", "入场", "进场", "点位", "多单", "空单",
                                     "做多", "做空", "追多", "追空", "抄底", "加仓", "减仓", "开仓", "仓位", "平仓吗",
                                     "反弹", "回调", "突破", "行情", "走势", "后市", "螺纹", "铁矿", "豆粕", "原油", "沪铜",
                                     "橡胶", "甲醇", "PTA", "棉花", "白糖", "白银", "焦炭", "焦煤", "热卷", "股指",
                                     "stop loss", "take profit", "resistance", "rebar", "iron ore", "soybean meal",
                                     "crude", "copper", "methanol", "cotton", "sugar"),
    },
    patterns={
        # a loss blamed on the company; "不怪你们", "厉害" (praise) and "没亏" must not fire
        Category.complaint: (r"亏.{0,15}(?<!不)(?<!不能)(都是|全是|全怪|怪)(你们|你)",
                             r"(你们|你).{0,4}(?<![厉利伤要危])害(了我|我|人|的|得|惨)", r"害(得|的)?我.{0,6}亏",
                             r"(按|听|跟)了?(你们|你)的?.{0,8}(建议|推荐|操作|指导).{0,10}(?<![没不])亏",
                             _A + r"\blost\b.{0,40}\b(because of|thanks to|following) (you|your)\b"),
        # 资金 is a business word ("资金什么时候到账") except in market talk about money flows (主力资金, 资金面)
        Category.account_service: (r"(?<!主力)(?<!北向)资金(?!面|流)",),
        Category.research_question: (
            _A + r"\b[a-z]{1,2}\d{3,4}\b",  # a contract code: rb2605, i2509, au2512, MA505
            r"黄金(?!客户|会员|级|等级|卡|vip)",  # gold the metal, not the gold service tier (黄金客户)
            _A + r"\bgold\b(?!\s+(client|member|tier|customer|vip))",
            # "long", "short", "support", "target" and "entry" only in their trading sense,
            # so "how long", "thanks for your support" and "belong" stay out
            _A + r"\b(go|going|went|stay|add|cut|close|closing|enter|exit)\s+(long|short)\b",
            _A + r"\b(long|short)\s*(position|positions|here|now|at|or|entry|side|trade|\?)",
            _A + r"\b(key|strong|next|major|first)\s+support\b|\bsupport\s+(level|levels|at|around|zone|line)\b",
            _A + r"\b(price|profit|the|next|first|second)\s+targets?\b|\btargets?\s+(price|level|at|of|is|for|\d)",
            _A + r"\bentry\s+(point|price|level|at|zone|now)\b|\b(good|best|when to|where to)\s+(entry|enter)\b",
        ),
    },
)

# A longer reply asking to stop messages. Not admin-editable (see the module docstring). Searched with IGNORECASE.
STOP_REQUEST_PATTERNS: tuple[str, ...] = (
    r"(不要|别|不用|请勿|勿|停止)\s*再?\s*(给我|跟我|向我|对我)?\s*(发|推送|发送)(?!愁|财|展|生|现)",
    r"(不想|不愿意?)\s*再?\s*(收到|接收|看到|收)",
    r"(我要|帮我|请|麻烦|给我|申请)\s*(退订|取消订阅)",
    r"^\W*(退订|取消订阅|拒收)(?!后|以后|之后|了?吗|的话|怎么)",
    r"(?<!不)(?<!不想)(?<!不要)(?<!不用)(?<!不会)(?<!别)(退订|取消订阅|拒收)\W*$",  # "TD退订", not "我不想退订"
    r"(取消|关闭|停掉|停止)\s*(短信|推送|信息服务)",
    r"(别|不要)\s*再?\s*(打扰|骚扰)|骚扰短信",
    _A + r"\bstop\s+(sending|texting|messaging|spamming|contacting)\b",
    _A + r"\b(don'?t|do not|never)\s+(text|message|sms|contact|send|call)\b",
    _A + r"\bno\s+more\s+(texts?|messages?|sms)\b",
    _A + r"\b(unsubscribe|remove)\s+me\b|\btake\s+me\s+off\b|\bopt\s*me\s+out\b|\b(want|like)\s+to\s+opt[\s-]*out\b",
    _A + r"^\W*(stop|unsubscribe)\W+(please|pls|plz|now|it|this|them|all|thanks|thx)\b",
    _A + r"\b(please|pls|plz)\s+(stop|unsubscribe)\b(?![\s-]*loss)",
)

# A reply to a trade suggestion containing one of these asks something about it (NFKC turns ？ into ?).
QUESTION_MARKERS = re.compile(r"\?|吗|呢|怎么|多少|什么|能不能|是否|可以|要不要")


@dataclass(frozen=True)
class Context:
    """What is known about the reply besides its text. ``linked_broadcast`` is carried for routing; the rules
    here only use ``replied_to_suggestion``."""

    replied_to_suggestion: bool = False
    linked_broadcast: bool = False


@dataclass(frozen=True)
class Verdict:
    category: Category
    rule: str
    priority: Priority
    suggest_opt_out: bool = False


_KEPT = frozenset({"Lu", "Ll", "Lt", "Lm", "Lo", "Nd", "Nl", "No", "Mn", "Mc"})  # letters, digits, marks
_VARIATION = re.compile("[\ufe00-\ufe0f\U000e0100-\U000e01ef]")  # emoji presentation selectors are marks


def normalise_whole(text: str) -> str:
    """The reply reduced to what a whole-reply word is compared on: NFKC first (full-width letters become
    ASCII), casefolded, keeping only letters, digits and combining marks. Whitespace, punctuation (ASCII and
    CJK), symbols such as ~ and emoji, and invisible format characters are all dropped, so " Td。" and "ＴＤ！"
    both give "td"."""
    folded = unicodedata.normalize("NFKC", text or "").casefold()
    return "".join(ch for ch in folded if unicodedata.category(ch) in _KEPT and not _VARIATION.match(ch))


@functools.lru_cache(maxsize=2048)
def _compile(pattern: str) -> re.Pattern[str] | None:
    """The compiled pattern, or None when it does not compile: an admin's mistake must never stop intake."""
    try:
        return re.compile(pattern, re.IGNORECASE)
    except (re.error, TypeError, ValueError, RecursionError, OverflowError):
        return None


def _fold(s: str) -> str:
    return unicodedata.normalize("NFKC", s).casefold().strip()


@functools.lru_cache(maxsize=2048)
def _keyword_regex(keyword: str) -> re.Pattern[str] | None:
    """For an ASCII keyword, a regex requiring it to stand as a word; None for other keywords (substrings)."""
    k = _fold(keyword)
    if not k or not k.isascii() or not (k[0].isalnum() and k[-1].isalnum()):
        return None
    body = r"[\s\-]*".join(re.escape(part) for part in re.split(r"[\s\-]+", k))
    suffix = "(?:s|es|ed|ing)?" if k[-1].isalpha() else ""
    return re.compile(rf"(?<![a-z0-9]){body}{suffix}(?![a-z0-9])")


def _keyword_hits(keyword: str, folded: str, squeezed: str) -> bool:
    regex = _keyword_regex(keyword)
    if regex is not None:
        return regex.search(folded) is not None
    k = re.sub(r"\s+", "", _fold(keyword))
    return bool(k) and k in squeezed


def _whole_reply(category: Category, whole: str, rules: Rules) -> str | None:
    keywords, patterns = rules.for_category(category)
    for keyword in keywords:
        if normalise_whole(keyword) == whole:
            return f"{category.value}: whole reply “{keyword}”"
    for pattern in patterns:
        regex = _compile(pattern)
        if regex is not None and regex.fullmatch(whole):
            return f"{category.value}: whole-reply pattern “{pattern}”"
    return None


def _content(category: Category, text: str, folded: str, squeezed: str, rules: Rules) -> str | None:
    keywords, patterns = rules.for_category(category)
    for keyword in keywords:
        if _keyword_hits(keyword, folded, squeezed):
            return f"{category.value}: keyword “{keyword}”"
    for pattern in patterns:
        regex = _compile(pattern)
        if regex is not None and regex.search(text):
            return f"{category.value}: pattern “{pattern}”"
    return None


def _stop_request(text: str) -> str | None:
    """The words of a request to stop messages, if the reply holds one."""
    for pattern in STOP_REQUEST_PATTERNS:
        found = _compile(pattern).search(text)
        if found:
            return found.group(0).strip()
    return None


def classify(text: str, context: Context = Context(), rules: Rules = DEFAULT_RULES) -> Verdict:
    """The category of one reply and the rule that decided it, in the order of the module docstring.

    Never raises on any text or on broken admin patterns, so a stored reply is always classified."""
    raw = (text or "")[:MAX_TEXT]
    whole = normalise_whole(raw)
    if whole:
        for category in WHOLE_REPLY:
            rule = _whole_reply(category, whole, rules)
            if rule:
                return Verdict(category, rule, Priority.normal)

    # invisible characters removed so "投\u200b诉" is still found
    nfkc = "".join(ch for ch in unicodedata.normalize("NFKC", raw) if unicodedata.category(ch) != "Cf")
    folded = nfkc.casefold()
    squeezed = re.sub(r"\s+", "", folded)
    stop = _stop_request(nfkc)
    asks_stop = stop is not None

    rule = _content(Category.complaint, nfkc, folded, squeezed, rules)
    if rule:
        return Verdict(Category.complaint, rule, Priority.high, asks_stop)
    rule = _content(Category.account_service, nfkc, folded, squeezed, rules)
    if rule:
        return Verdict(Category.account_service, rule, Priority.normal, asks_stop)
    if asks_stop:
        return Verdict(Category.feedback, f"feedback: asks to stop messages “{stop}”", Priority.normal, True)
    rule = _content(Category.research_question, nfkc, folded, squeezed, rules)
    if rule:
        return Verdict(Category.research_question, rule, Priority.normal)
    if context.replied_to_suggestion and QUESTION_MARKERS.search(nfkc):
        return Verdict(Category.research_question, "research_question: question about a trade suggestion",
                       Priority.normal)
    rule = _content(Category.feedback, nfkc, folded, squeezed, rules)
    return Verdict(Category.feedback, rule or "feedback: nothing matched", Priority.normal)


# a group that repeats and holds a repeat, like (a+)+ or (\w*)*: can take exponential time on some replies
_NESTED_REPEAT = re.compile(r"\((?:[^()\\]|\\.)*[+*}](?:[^()\\]|\\.)*\)\s*(?:[+*]|\{\d*,)")


def _show(s: str) -> str:
    return s if len(s) <= 40 else s[:40] + "…"


def check_rule_lists(keywords: list[str], patterns: list[str]) -> list[str]:
    """Problems with an admin's edit of one category, as plain English messages (empty means fine).

    Besides the limits (200 entries per list, 200 characters per entry) and patterns that do not compile, it
    refuses a pattern that matches empty text (it would match every reply, or opt everyone out) and a
    repeated group holding a repeat, the usual cause of a regular expression that never finishes."""
    problems: list[str] = []
    for name, entries in (("keywords", keywords), ("patterns", patterns)):
        if len(entries) > MAX_ENTRIES:
            problems.append(f"too many {name}: {len(entries)} (at most {MAX_ENTRIES})")
    for keyword in keywords:
        if len(keyword) > MAX_ENTRY:
            problems.append(f"keyword “{_show(keyword)}” is longer than {MAX_ENTRY} characters")
    for pattern in patterns:
        if len(pattern) > MAX_ENTRY:
            problems.append(f"pattern “{_show(pattern)}” is longer than {MAX_ENTRY} characters")
            continue
        try:
            regex = re.compile(pattern, re.IGNORECASE)
        except (re.error, RecursionError, OverflowError, ValueError) as exc:
            problems.append(f"pattern “{pattern}” does not compile: {exc}")
            continue
        if regex.search("") is not None:
            problems.append(f"pattern “{pattern}” matches empty text, so it would match every reply")
        elif _NESTED_REPEAT.search(pattern):
            problems.append(f"pattern “{pattern}” repeats a group that itself repeats, which can take very long")
    return problems


def parse_lines(text: str) -> list[str]:
    """One entry per line of a textarea: surrounding spaces and blank lines dropped, duplicates removed keeping
    the first, so what is saved is exactly what the admin sees."""
    seen: dict[str, None] = {}
    for line in (text or "").splitlines():
        entry = line.strip()
        if entry:
            seen.setdefault(entry, None)
    return list(seen)
