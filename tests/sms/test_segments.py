"""Segment counting (sms/segments.py): must agree with Twilio's segment calculator, which it bills by."""
from __future__ import annotations

import dataclasses
import random

import pytest

from sms.segments import GSM7, UCS2, Measure, _clusters, measure, split

GSM_BASIC_ALPHABET = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM_EXTENSION = "\x0c^{}\\[~]|€"

FAMILY = "\U0001f468\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466"  # man ZWJ woman ZWJ girl ZWJ boy
GRIN = "\U0001f600"
SIGNED = "【示例期货】尊敬的客户，您好！今晚夜盘交易时间为21:00至次日02:30，请合理安排交易。拒收请回复R"
SIGNED_LONG = SIGNED + "如有疑问请致电客服热线400-000-0000，我们将竭诚为您服务。风险提示：期货交易有风险，入市需谨慎。"


def _units(segment: str, encoding: str) -> int:
    if encoding == GSM7:
        return sum(2 if ch in GSM_EXTENSION else 1 for ch in segment)
    return len(segment.encode("utf-16-le")) // 2


def _check_invariants(text: str) -> None:
    m = measure(text)
    parts = split(text)
    assert "".join(parts) == text
    assert len(parts) == m.segments
    assert sum(_units(p, m.encoding) for p in parts) == m.units
    single, multi = (160, 153) if m.encoding == GSM7 else (70, 67)
    if m.units <= single:
        assert m.segments == (1 if text else 0)
        return
    clusters = _clusters(text)
    oversized = any(_units(c, m.encoding) > multi for c in clusters)
    boundaries, at = {0}, 0
    for c in clusters:
        at += len(c)
        boundaries.add(at)
    at = 0
    for i, part in enumerate(parts):
        assert part
        assert _units(part, m.encoding) <= multi
        at += len(part)
        if not oversized:
            assert at in boundaries, f"segment {i} ends inside a character"
        if i + 1 < len(parts) and not oversized:  # greedy: the next character would not have fitted
            assert _units(part, m.encoding) + _units(_clusters(parts[i + 1])[0], m.encoding) > multi


@pytest.mark.parametrize(
    ("text", "encoding", "units", "segments", "characters"),
    [
        pytest.param("Hello world", GSM7, 11, 1, 11, id="hello-world"),
        pytest.param("", GSM7, 0, 0, 0, id="empty"),
        pytest.param("Price: 100€", GSM7, 12, 1, 11, id="euro-two-units"),
        pytest.param("page\x0cbreak", GSM7, 11, 1, 10, id="form-feed-two-units"),
        pytest.param("{x}", GSM7, 5, 1, 3, id="braces"),
        pytest.param("你好", UCS2, 2, 1, 2, id="chinese"),
        pytest.param(GRIN, UCS2, 2, 1, 1, id="emoji-surrogate-pair"),
        pytest.param("e\u0301", UCS2, 2, 1, 1, id="combining-acute"),
        pytest.param(FAMILY, UCS2, 11, 1, 1, id="zwj-family"),
        pytest.param("\U0001f44d\U0001f3fd", UCS2, 4, 1, 1, id="skin-tone"),
        pytest.param("\u2764\ufe0f", UCS2, 2, 1, 1, id="variation-selector"),
        pytest.param("\U0001f1e8\U0001f1f3\U0001f1ec\U0001f1e7", UCS2, 8, 1, 2, id="two-flags"),
        pytest.param(SIGNED, UCS2, 52, 1, 52, id="signed-chinese-sms"),
        pytest.param(SIGNED_LONG, UCS2, 105, 2, 105, id="signed-chinese-sms-long"),
    ],
)
def test_known_figures(text, encoding, units, segments, characters):
    assert measure(text) == Measure(encoding=encoding, units=units, segments=segments, characters=characters)
    _check_invariants(text)


@pytest.mark.parametrize(
    ("length", "segments"),
    [
        pytest.param(1, 1, id="1"),
        pytest.param(160, 1, id="160-one-segment"),
        pytest.param(161, 2, id="161-two-segments"),
        pytest.param(306, 2, id="306-two-full-segments"),
        pytest.param(307, 3, id="307-three-segments"),
        pytest.param(459, 3, id="459"),
        pytest.param(460, 4, id="460"),
    ],
)
def test_gsm_boundaries(length, segments):
    m = measure("a" * length)
    assert (m.encoding, m.units, m.segments, m.characters) == (GSM7, length, segments, length)
    _check_invariants("a" * length)


@pytest.mark.parametrize(
    ("text", "units", "segments"),
    [
        pytest.param("{" * 80, 160, 1, id="80-braces-fill-one-segment"),
        pytest.param("{" * 81, 162, 2, id="81-braces-two-segments"),
        pytest.param("a" * 159 + "€", 161, 2, id="euro-tips-over-160"),
        pytest.param("a" * 158 + "€", 160, 1, id="euro-fits-in-160"),
        pytest.param("\x0c" * 80, 160, 1, id="80-form-feeds"),
        pytest.param("~" * 153, 306, 3, id="153-tildes-76-per-segment"),
    ],
)
def test_extended_characters_count_two(text, units, segments):
    m = measure(text)
    assert (m.encoding, m.units, m.segments) == (GSM7, units, segments)
    _check_invariants(text)


@pytest.mark.parametrize("ch", list(GSM_EXTENSION), ids=[f"U+{ord(c):04X}" for c in GSM_EXTENSION])
def test_each_extension_character_costs_two(ch):
    assert measure(ch) == Measure(GSM7, 2, 1, 1)
    assert measure("a" + ch + "a") == Measure(GSM7, 4, 1, 3)


def test_extended_character_never_split_at_153_boundary():
    text = "a" * 152 + "€" + "b" * 10
    m = measure(text)
    assert (m.encoding, m.units, m.segments) == (GSM7, 164, 2)
    assert split(text) == ["a" * 152, "€" + "b" * 10]


def test_extended_character_that_fits_exactly_stays():
    text = "a" * 151 + "€" + "b" * 10
    assert split(text) == ["a" * 151 + "€", "b" * 10]


def test_whole_basic_alphabet_is_gsm7():
    m = measure(GSM_BASIC_ALPHABET)
    assert (m.encoding, m.units) == (GSM7, len(GSM_BASIC_ALPHABET))
    assert len(GSM_BASIC_ALPHABET) == 127  # 128 code points less the escape


@pytest.mark.parametrize(
    ("text", "encoding"),
    [
        pytest.param("Hello `world`", UCS2, id="backtick"),
        pytest.param("Ça va", GSM7, id="capital-c-cedilla"),
        pytest.param("ça va", UCS2, id="small-c-cedilla"),
        pytest.param("Ω", GSM7, id="capital-omega"),
        pytest.param("ω", UCS2, id="small-omega"),
        pytest.param("café", GSM7, id="e-acute"),
        pytest.param("cafè", GSM7, id="e-grave"),
        pytest.param("olá", UCS2, id="a-acute"),
        pytest.param("¤¥£§¿¡", GSM7, id="currency-and-marks"),
        pytest.param("¢", UCS2, id="cent"),
        pytest.param("Hello, 世界", UCS2, id="one-chinese-character"),
        pytest.param("价格，", UCS2, id="full-width-comma"),
        pytest.param("don’t", UCS2, id="curly-apostrophe"),
    ],
)
def test_encoding_detection(text, encoding):
    assert measure(text).encoding == encoding


def test_one_non_gsm_character_makes_the_whole_message_ucs2():
    text = "a" * 100 + "`"
    m = measure(text)
    assert (m.encoding, m.units, m.segments) == (UCS2, 101, 2)
    assert split(text) == ["a" * 67, "a" * 33 + "`"]


def test_ascii_backtick_message_counted_in_utf16():
    m = measure("Hello `world`")
    assert (m.encoding, m.units, m.segments, m.characters) == (UCS2, 13, 1, 13)


@pytest.mark.parametrize(
    ("length", "segments"),
    [
        pytest.param(70, 1, id="70-one-segment"),
        pytest.param(71, 2, id="71-two-segments"),
        pytest.param(134, 2, id="134-two-full-segments"),
        pytest.param(135, 3, id="135-three-segments"),
        pytest.param(201, 3, id="201"),
        pytest.param(202, 4, id="202"),
    ],
)
def test_chinese_boundaries(length, segments):
    text = "中" * length
    m = measure(text)
    assert (m.encoding, m.units, m.segments, m.characters) == (UCS2, length, segments, length)
    _check_invariants(text)


def test_signed_chinese_sms_splits_at_67():
    parts = split(SIGNED_LONG)
    assert parts == [SIGNED_LONG[:67], SIGNED_LONG[67:]]
    assert parts[0].startswith("【示例期货】")
    assert "拒收请回复R" in parts[0]


@pytest.mark.parametrize(
    ("text", "units", "segments", "expected"),
    [
        pytest.param("中" * 66 + GRIN, 68, 1, ["中" * 66 + GRIN], id="68-units-still-one-segment"),
        pytest.param(
            "中" * 66 + GRIN + "中" * 3, 71, 2, ["中" * 66, GRIN + "中" * 3], id="emoji-not-split-at-67"
        ),
        pytest.param("中" * 65 + GRIN + "中" * 4, 71, 2, ["中" * 65 + GRIN, "中" * 4], id="emoji-fits-exactly"),
        pytest.param(GRIN * 35, 70, 1, [GRIN * 35], id="35-emoji-one-segment"),
        pytest.param(GRIN * 36, 72, 2, [GRIN * 33, GRIN * 3], id="36-emoji-33-per-segment"),
        pytest.param(
            "中" * 66 + "e\u0301" + "中" * 3,
            71,
            2,
            ["中" * 66, "e\u0301" + "中" * 3],
            id="combining-not-split",
        ),
        pytest.param(
            "中" * 65 + "e\u0301\u0323" + "中" * 3,
            71,
            2,
            ["中" * 65, "e\u0301\u0323" + "中" * 3],
            id="two-combining-marks-not-split",
        ),
        pytest.param("中" * 60 + FAMILY, 71, 2, ["中" * 60, FAMILY], id="zwj-family-whole"),
        pytest.param(
            "中" * 56 + FAMILY + "中" * 4, 71, 2, ["中" * 56 + FAMILY, "中" * 4], id="zwj-family-fits-exactly"
        ),
        pytest.param(
            "中" * 64 + "\U0001f44d\U0001f3fd" + "中" * 3,
            71,
            2,
            ["中" * 64, "\U0001f44d\U0001f3fd" + "中" * 3],
            id="skin-tone-whole",
        ),
        pytest.param(
            "中" * 66 + "\u2764\ufe0f" + "中" * 3,
            71,
            2,
            ["中" * 66, "\u2764\ufe0f" + "中" * 3],
            id="variation-selector-whole",
        ),
        pytest.param(
            "中" * 65 + "\U0001f1e8\U0001f1f3",
            69,
            1,
            ["中" * 65 + "\U0001f1e8\U0001f1f3"],
            id="flag-one-segment",
        ),
        pytest.param(
            "中" * 64 + "\U0001f1e8\U0001f1f3" + "中" * 3,
            71,
            2,
            ["中" * 64, "\U0001f1e8\U0001f1f3" + "中" * 3],
            id="flag-pair-whole",
        ),
    ],
)
def test_ucs2_never_splits_a_character(text, units, segments, expected):
    m = measure(text)
    assert (m.encoding, m.units, m.segments) == (UCS2, units, segments)
    assert split(text) == expected
    _check_invariants(text)


def test_cluster_longer_than_a_segment_is_broken_between_code_points():
    text = "a" + "\u0301" * 100
    m = measure(text)
    assert (m.encoding, m.units, m.segments, m.characters) == (UCS2, 101, 2, 1)
    parts = split(text)
    assert "".join(parts) == text
    assert [len(p) for p in parts] == [67, 34]


def test_measure_is_frozen():
    m = measure("hi")
    with pytest.raises(dataclasses.FrozenInstanceError):
        m.units = 3  # type: ignore[misc]


def test_split_of_empty_is_empty():
    assert split("") == []


ALPHABET = (
    list("abcxyz ABC0123.,!?\n")
    + list(GSM_EXTENSION)
    + list("中文期货【】，。")
    + ["`", "ç", "á", GRIN, "\U0001f44d\U0001f3fd", FAMILY, "e\u0301", "\u2764\ufe0f", "\U0001f1e8\U0001f1f3"]
)


@pytest.mark.parametrize("gsm_only", [False, True], ids=["mixed", "gsm-only"])
def test_round_trip_random(gsm_only):
    rng = random.Random(20240601)
    gsm = [a for a in ALPHABET if all(ch in GSM_BASIC_ALPHABET + GSM_EXTENSION for ch in a)]
    pool = gsm if gsm_only else ALPHABET
    for _ in range(400):
        text = "".join(rng.choice(pool) for _ in range(rng.randrange(0, 400)))
        if gsm_only:
            assert measure(text).encoding == GSM7
        _check_invariants(text)
