"""The reply classifier against replies as clients really write them, and the admin-edit helpers."""
from __future__ import annotations

import re

import pytest

from followups.classify import (
    DEFAULT_RULES,
    STOP_REQUEST_PATTERNS,
    Category,
    Context,
    Priority,
    Rules,
    Verdict,
    check_rule_lists,
    classify,
    normalise_whole,
    parse_lines,
)

OUT, IN, HELP = Category.opt_out, Category.opt_in, Category.help
COMPLAINT, ACCOUNT, RESEARCH, FEEDBACK = (Category.complaint, Category.account_service,
                                         Category.research_question, Category.feedback)
SUGGESTION = Context(replied_to_suggestion=True, linked_broadcast=True)
PLAIN = Context()

OPT_OUT_WORDS = ["STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT",
                 "T", "TD", "R", "N", "退订", "取消订阅", "拒收"]

# (reply, context, category, suggest_opt_out, a substring the rule must contain or None)
CASES = [
    # whole-reply opt-out, as typed on a phone
    (" td ", PLAIN, OUT, False, "opt_out: whole reply “TD”"),
    ("Td。", PLAIN, OUT, False, "“TD”"),
    ("ＴＤ！", PLAIN, OUT, False, "“TD”"),
    ("STOP!", PLAIN, OUT, False, "“STOP”"),
    ("stop all", PLAIN, OUT, False, "“STOPALL”"),
    ("Opt-Out", PLAIN, OUT, False, "“OPTOUT”"),
    ("退订！", PLAIN, OUT, False, "“退订”"),
    ("  退 订 ～", PLAIN, OUT, False, "“退订”"),
    ("取消订阅。", PLAIN, OUT, False, "“取消订阅”"),
    ("拒收🙏", PLAIN, OUT, False, "“拒收”"),
    ("t", SUGGESTION, OUT, False, "“T”"),
    # near misses that must not opt anyone out
    ("stop loss 在哪", PLAIN, RESEARCH, False, "keyword “stop loss”"),
    ("Where is the stop-loss?", PLAIN, RESEARCH, False, "“stop loss”"),
    ("请问退订后还能收到日评吗", PLAIN, FEEDBACK, False, "nothing matched"),  # asks about it, does not ask for it
    ("T+0可以吗", PLAIN, FEEDBACK, False, "nothing matched"),
    ("我不想退订", PLAIN, FEEDBACK, False, None),
    ("TD退订", PLAIN, FEEDBACK, True, "asks to stop"),  # not one word of the list: staff decide
    ("我想退订", PLAIN, FEEDBACK, True, "“退订”"),
    ("怎么退订？", PLAIN, FEEDBACK, True, None),
    ("END of day report received", PLAIN, FEEDBACK, False, None),
    # a longer text asking to stop: feedback with the suggestion, never opt_out
    ("请不要再发短信了", PLAIN, FEEDBACK, True, "feedback: asks to stop messages"),
    ("别再发了！！烦死了", PLAIN, FEEDBACK, True, "别再发"),
    ("以后不要再给我发这些了", PLAIN, FEEDBACK, True, None),
    ("我不想再收到你们的信息", PLAIN, FEEDBACK, True, None),
    ("麻烦帮我退订，谢谢", PLAIN, FEEDBACK, True, None),
    ("Please stop sending me these", PLAIN, FEEDBACK, True, None),
    ("don't text me again", PLAIN, FEEDBACK, True, None),
    ("STOP please", PLAIN, FEEDBACK, True, None),
    ("别再发螺纹的短信了", SUGGESTION, FEEDBACK, True, None),  # stop request beats an instrument name
    # opt-in and help, whole replies only
    ("start", PLAIN, IN, False, "opt_in: whole reply “START”"),
    ("UNSTOP", PLAIN, IN, False, "“UNSTOP”"),
    ("重新订阅！", PLAIN, IN, False, "“重新订阅”"),
    ("订阅", PLAIN, IN, False, "“订阅”"),
    ("Help?", PLAIN, HELP, False, "help: whole reply “HELP”"),
    ("info", PLAIN, HELP, False, "“INFO”"),
    ("帮助", PLAIN, HELP, False, "“帮助”"),
    ("客服。", PLAIN, HELP, False, "“客服”"),
    ("人工客服在吗", PLAIN, FEEDBACK, False, None),
    # complaints, checked before every content category
    ("我要投诉你们！", PLAIN, COMPLAINT, False, "complaint: keyword “投诉”"),
    ("骗子公司", PLAIN, COMPLAINT, False, "“骗子”"),
    ("亏了这么多都是你们害的", PLAIN, COMPLAINT, False, "complaint: pattern"),
    ("按你们的建议亏了两万，螺纹止损根本没用", PLAIN, COMPLAINT, False, "建议"),
    ("再这样我打12386", PLAIN, COMPLAINT, False, "“12386”"),
    ("去证监会举报你们", PLAIN, COMPLAINT, False, None),
    ("This is a SCAM", PLAIN, COMPLAINT, False, "“scam”"),
    ("I will report you", PLAIN, COMPLAINT, False, "“report you”"),
    ("投诉！别再发了", PLAIN, COMPLAINT, True, "“投诉”"),  # stays a complaint, still suggests opting out
    ("保证金被扣了，你们这是诈骗", PLAIN, COMPLAINT, False, "“骗”"),
    ("亏了，你们觉得止损还是拿着？", PLAIN, RESEARCH, False, "“止损”"),  # a loss without blame is a question
    ("你们害得我亏惨了", PLAIN, COMPLAINT, False, "pattern"),
    ("亏了不怪你们，是我自己没止损", PLAIN, RESEARCH, False, "“止损”"),
    ("你们分析得真厉害！", PLAIN, FEEDBACK, False, None),  # praise, although 你们 and 害 both appear
    ("按你们的建议操作，没亏👍", PLAIN, FEEDBACK, False, None),
    # account matters, which win over research words
    ("保证金不够了，会被强平吗", PLAIN, ACCOUNT, False, "account_service: keyword “保证金”"),
    ("手续费太贵了", PLAIN, ACCOUNT, False, "“手续费”"),
    ("密码忘了", PLAIN, ACCOUNT, False, "“密码”"),
    ("交易软件登录不上", SUGGESTION, ACCOUNT, False, "“交易软件”"),
    ("银期转账怎么操作？", PLAIN, ACCOUNT, False, "“银期转账”"),
    ("螺纹多单要追保吗", PLAIN, ACCOUNT, False, "“追保”"),
    ("资金什么时候到账", PLAIN, ACCOUNT, False, "pattern"),
    ("How do I withdraw money?", PLAIN, ACCOUNT, False, "“withdraw”"),
    ("the fees are too high", PLAIN, ACCOUNT, False, "“fee”"),
    ("MARGIN CALL on my account??", PLAIN, ACCOUNT, False, "“margin call”"),
    ("coffee tomorrow?", PLAIN, FEEDBACK, False, "nothing matched"),
    # research questions
    ("螺纹止损设多少？", PLAIN, RESEARCH, False, "research_question: keyword “止损”"),
    ("rb2605还能追多吗", PLAIN, RESEARCH, False, "追多"),
    ("ＲＢ２６０５ 怎么看", PLAIN, RESEARCH, False, "research_question: pattern"),
    ("i2509明天", PLAIN, RESEARCH, False, "pattern"),
    ("au2512 目标位？", PLAIN, RESEARCH, False, "目标位"),
    ("铁矿 还能拿吗😂", PLAIN, RESEARCH, False, "“铁矿”"),
    ("PTA还能拿吗", PLAIN, RESEARCH, False, "“PTA”"),
    ("pta 走势如何", PLAIN, RESEARCH, False, "“走势”"),
    ("黄金还能买吗", PLAIN, RESEARCH, False, "黄金"),
    ("我是黄金客户，为什么没有电话回访", PLAIN, FEEDBACK, False, None),  # the gold tier, not the metal
    ("主力资金在流出螺纹吗", PLAIN, RESEARCH, False, "螺纹"),
    ("Should I go long here?", PLAIN, RESEARCH, False, "pattern"),
    ("is 3500 strong support for rebar", PLAIN, RESEARCH, False, None),
    ("Thanks for your support!", PLAIN, FEEDBACK, False, "nothing matched"),
    ("It belongs to my wife", PLAIN, FEEDBACK, False, None),
    # the suggestion-context rule: a question in reply to a trade suggestion
    ("T+0可以吗", SUGGESTION, RESEARCH, False, "research_question: question about a trade suggestion"),
    ("明天还能做吗？", SUGGESTION, RESEARCH, False, "question about a trade suggestion"),
    ("明天还能做吗？", PLAIN, FEEDBACK, False, "nothing matched"),
    ("what now?", SUGGESTION, RESEARCH, False, None),
    ("what now?", Context(linked_broadcast=True), FEEDBACK, False, None),
    ("收到，谢谢", SUGGESTION, FEEDBACK, False, None),
    # plain feedback
    ("谢谢老师", PLAIN, FEEDBACK, False, "feedback: nothing matched"),
    ("收到", PLAIN, FEEDBACK, False, None),
    ("👍", PLAIN, FEEDBACK, False, None),
    ("   ", PLAIN, FEEDBACK, False, None),
    ("", PLAIN, FEEDBACK, False, None),
    ("老师辛苦了，分析得很到位！", PLAIN, FEEDBACK, False, None),
]


@pytest.mark.parametrize(("text", "context", "category", "suggest", "rule"), CASES,
                         ids=[f"{i}-{c[0][:12]}" for i, c in enumerate(CASES)])
def test_reply_table(text, context, category, suggest, rule):
    verdict = classify(text, context)
    assert verdict.category is category, verdict.rule
    assert verdict.suggest_opt_out is suggest, verdict.rule
    assert verdict.priority is (Priority.high if category is COMPLAINT else Priority.normal)
    assert verdict.rule.startswith(category.value + ": ")
    if rule is not None:
        assert rule in verdict.rule


@pytest.mark.parametrize("word", OPT_OUT_WORDS)
def test_every_opt_out_word_alone_opts_out(word):
    for variant in (word, word.lower(), f" {word} ", f"{word}。", f"{word}!"):
        assert classify(variant) == Verdict(OUT, f"opt_out: whole reply “{word}”", Priority.normal)


@pytest.mark.parametrize("word", OPT_OUT_WORDS)
def test_an_opt_out_word_inside_a_sentence_does_not_opt_out(word):
    assert classify(f"我觉得 {word} 这个说法不对").category is not OUT


def test_the_same_text_differs_with_suggestion_context():
    text = "这个能不能做"
    assert classify(text).category is FEEDBACK
    assert classify(text, Context(replied_to_suggestion=True)).category is RESEARCH


def test_admin_keyword_changes_the_result():
    text = "昨天滑点太严重了"
    assert classify(text).category is FEEDBACK
    keywords, patterns = DEFAULT_RULES.for_category("complaint")
    rules = DEFAULT_RULES.replace(Category.complaint, [*keywords, "滑点"], patterns)
    verdict = classify(text, rules=rules)
    assert verdict == Verdict(COMPLAINT, "complaint: keyword “滑点”", Priority.high)
    # the edit is a copy: the shipped rules and the other categories are untouched
    assert "滑点" not in DEFAULT_RULES.for_category(Category.complaint)[0]
    assert rules.for_category(Category.research_question) == DEFAULT_RULES.for_category(Category.research_question)


def test_admin_can_add_a_whole_reply_word_and_pattern():
    rules = DEFAULT_RULES.replace("opt_out", ["TD", "不要了"], [r"(退订|td)+"])
    assert classify("不要了!", rules=rules).rule == "opt_out: whole reply “不要了”"
    assert classify("退订 TD", rules=rules).rule == "opt_out: whole-reply pattern “(退订|td)+”"
    assert classify("STOP", rules=rules).category is FEEDBACK  # removed from the list by the edit
    # a whole-reply pattern must match the whole reply, not a part of it
    assert classify("退订以后还发吗", rules=rules).category is not OUT


def test_removing_a_category_s_words_turns_them_off():
    rules = DEFAULT_RULES.replace(Category.account_service, [], [])
    assert classify("密码忘了", rules=rules).category is FEEDBACK


def test_bad_pattern_is_reported_and_never_raises():
    bad = ["[未闭合", "(?P<x", "亏(", "a{2,1}", "x(?i)y"]
    problems = check_rule_lists(["投诉"], bad)
    assert len(problems) == len(bad)
    for pattern, problem in zip(bad, problems, strict=True):
        assert f"“{pattern}”" in problem and "does not compile" in problem
    rules = DEFAULT_RULES.replace(Category.complaint, ["投诉"], bad)
    for category in Category:
        rules = rules.replace(category, rules.for_category(category)[0], [*bad, *rules.for_category(category)[1]])
    assert classify("亏(了", rules=rules).category is FEEDBACK
    assert classify("我要投诉", rules=rules).category is COMPLAINT
    assert classify("td", rules=rules).category is OUT


def test_check_rule_lists_limits():
    assert check_rule_lists([], []) == []
    assert check_rule_lists(["投诉", "scam"], [r"亏.*(你们|害)"]) == []
    long_keyword, long_pattern = "投" * 201, "a" * 201
    problems = check_rule_lists([long_keyword, "投" * 200], [long_pattern])
    assert len(problems) == 2
    assert "keyword" in problems[0] and "longer than 200" in problems[0]
    assert "pattern" in problems[1] and "longer than 200" in problems[1]
    assert check_rule_lists([f"k{i}" for i in range(200)], []) == []
    assert check_rule_lists([f"k{i}" for i in range(201)], []) == ["too many keywords: 201 (at most 200)"]
    assert check_rule_lists([], [f"p{i}" for i in range(201)]) == ["too many patterns: 201 (at most 200)"]


def test_check_rule_lists_refuses_patterns_that_match_everything_or_backtrack():
    assert "matches empty text" in check_rule_lists([], [".*"])[0]
    assert "matches empty text" in check_rule_lists([], ["退订|"])[0]
    assert "repeats a group" in check_rule_lists([], [r"(a+)+b"])[0]
    assert "repeats a group" in check_rule_lists([], [r"(\w*x)*y"])[0]


def test_shipped_patterns_are_all_valid():
    for category in Category:
        keywords, patterns = DEFAULT_RULES.for_category(category)
        assert check_rule_lists(list(keywords), list(patterns)) == [], category
    assert check_rule_lists([], list(STOP_REQUEST_PATTERNS)) == []


def test_only_the_first_2000_characters_are_examined():
    assert classify("好" * 1990 + "投诉").category is COMPLAINT
    assert classify("好" * 2000 + "投诉").category is FEEDBACK
    assert classify("TD" + " " * 3000).category is OUT


def test_invisible_characters_do_not_hide_a_keyword():
    assert classify("投\u200b诉").category is COMPLAINT


@pytest.mark.parametrize(("text", "expected"), [
    ("ＴＤ！", "td"),
    ("  Stop. ", "stop"),
    ("ＳＴＯＰ　ＡＬＬ", "stopall"),
    ("退订～", "退订"),
    ("退，订。！？、", "退订"),
    ("「取消订阅」…", "取消订阅"),
    ("Opt-Out!!", "optout"),
    ("T+0", "t0"),
    ("拒收🙏\ufe0f", "拒收"),
    ("ｒｂ２６０５", "rb2605"),
    ("", ""),
])
def test_normalise_whole(text, expected):
    assert normalise_whole(text) == expected


def test_parse_lines():
    assert parse_lines("  投诉 \n\n骗子\r\n投诉\n  \n scam\n骗子") == ["投诉", "骗子", "scam"]
    assert parse_lines("") == []
    assert parse_lines(" \n\t\n") == []


def test_rules_are_frozen_and_complete():
    rules = Rules(keywords={"complaint": ["投诉"]}, patterns={})
    assert rules.for_category(Category.complaint) == (("投诉",), ())
    assert rules.for_category(Category.feedback) == ((), ())
    with pytest.raises(TypeError):
        rules.keywords[Category.complaint] = ("x",)
    with pytest.raises(ValueError):
        rules.for_category("spam")


def test_classify_handles_odd_input():
    assert classify(None).category is FEEDBACK  # type: ignore[arg-type]
    assert re.search("nothing matched", classify("\x00\x01").rule)
