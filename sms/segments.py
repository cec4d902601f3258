"""How many SMS segments a message costs: the pure function `measure(text)`, and `split(text)`.

The rules are those of Twilio's segment calculator (it bills by them):

* GSM-7 when every character is in the GSM 03.38 default alphabet or its extension table. A basic
  character costs one septet ("unit"); an extension character (form feed, ``^ { } \\ [ ~ ] | €``) costs
  two, the escape and the character, and the two are never split across segments. 160 units fit in one
  segment; a longer message is sent as concatenated segments of at most 153 units each (the other
  seven septets carry the concatenation header).
* UCS-2 otherwise. Units are UTF-16 code units; 70 fit in one segment, else at most 67 per segment.
  A segment never ends inside a surrogate pair, nor between a character and the marks that go with it
  (combining marks, zero-width joiner sequences, variation selectors, emoji skin-tone modifiers,
  regional-indicator flag pairs).

`measure` and `split` share one code path (`_analyse`), so ``len(split(t)) == measure(t).segments``
and ``"".join(split(t)) == t`` always hold.
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass

__all__ = ["GSM7", "UCS2", "Measure", "measure", "split"]

GSM7 = "GSM-7"
UCS2 = "UCS-2"

# GSM 03.38 default alphabet, in code order 0x00-0x7F (0x1B, the escape to the extension table, left out).
GSM_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅå"
    "Δ_ΦΓΛΩΠΨΣΘΞÆæßÉ"
    " !\"#¤%&'()*+,-./"
    "0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNO"
    "PQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmno"
    "pqrstuvwxyzäöñüà"
)
# GSM 03.38 extension table: each is sent as ESC + character, two septets.
GSM_EXTENDED = frozenset("\x0c^{}\\[~]|€")

GSM_SINGLE_UNITS = 160
GSM_MULTI_UNITS = 153
UCS2_SINGLE_UNITS = 70
UCS2_MULTI_UNITS = 67

_ZWJ = "\u200d"


@dataclass(frozen=True)
class Measure:
    encoding: str  # "GSM-7" or "UCS-2"
    units: int  # septets for GSM-7, UTF-16 code units for UCS-2
    segments: int
    characters: int  # user-perceived characters: a base character with its marks, an emoji sequence


def measure(text: str) -> Measure:
    encoding, units, clusters, parts = _analyse(text, count_only=True)
    return Measure(encoding=encoding, units=units, segments=parts if isinstance(parts, int) else len(parts),
                   characters=clusters)


def split(text: str) -> list[str]:
    """The segments `text` is sent as, in order; empty text is no segments."""
    return _analyse(text)[3]


def _analyse(text: str, count_only: bool = False) -> tuple[str, int, int, list[str] | int]:
    """(encoding, units, number of user-perceived characters, segment strings). With `count_only`, the
    last item may be just the number of segments, where it follows from the units alone."""
    if set(text) <= _GSM_ALL:
        # no GSM character is a mark or a joiner, so here every character is a cluster of its own; the only
        # thing that must stay together is an extension character's escape pair, and it is one character
        extended = sum(text.count(ch) for ch in GSM_EXTENDED)
        units = len(text) + extended
        if units == 0:
            return GSM7, 0, 0, 0 if count_only else []
        if units <= GSM_SINGLE_UNITS:
            return GSM7, units, len(text), 1 if count_only else [text]
        if count_only and not extended:  # every atom one unit: greedy packing fills each segment
            return GSM7, units, len(text), -(-units // GSM_MULTI_UNITS)
        return GSM7, units, len(text), _pack(list(text), _gsm_units, GSM_MULTI_UNITS)
    if _all_plain(text):
        # the common case (Chinese text, punctuation, digits): one code unit per character, nothing joins
        units = len(text)
        if units <= UCS2_SINGLE_UNITS:
            return UCS2, units, units, 1 if count_only else [text]
        if count_only:
            return UCS2, units, units, -(-units // UCS2_MULTI_UNITS)
        return UCS2, units, units, _pack(list(text), len, UCS2_MULTI_UNITS)
    clusters = _clusters(text)
    atoms: list[str] = []
    for cluster in clusters:
        # a cluster too long for any segment (a letter with dozens of marks) has to be broken;
        # it is broken between code points, so still never inside a surrogate pair
        atoms.extend(cluster if _utf16_units(cluster) > UCS2_MULTI_UNITS else [cluster])
    units = _utf16_units(text)
    parts = [text] if units <= UCS2_SINGLE_UNITS else _pack(atoms, _utf16_units, UCS2_MULTI_UNITS)
    return UCS2, units, len(clusters), parts


_GSM_ALL = GSM_BASIC | GSM_EXTENDED
# characters seen to be whole characters on their own: in the Basic Multilingual Plane and never joining
# the one before; bounded by the alphabet of the texts measured (at most 65,536)
_PLAIN: set[str] = set()


def _all_plain(text: str) -> bool:
    """Whether every character of `text` is one UTF-16 unit that stands alone (no marks, joiners, emoji)."""
    for ch in set(text) - _PLAIN:
        if ord(ch) > 0xFFFF or ch == _ZWJ or _is_regional_indicator(ch) or _extends(ch):
            return False
        _PLAIN.add(ch)
    return True


def _pack(atoms: list[str], cost, limit: int) -> list[str]:
    """Greedy: each segment takes atoms while they fit in `limit` units; an atom is never split."""
    parts: list[str] = []
    current: list[str] = []
    used = 0
    for atom in atoms:
        size = cost(atom)
        if current and used + size > limit:
            parts.append("".join(current))
            current, used = [], 0
        current.append(atom)
        used += size
    if current:
        parts.append("".join(current))
    return parts


def _gsm_units(s: str) -> int:
    return sum(2 if ch in GSM_EXTENDED else 1 for ch in s)


def _utf16_units(s: str) -> int:
    return len(s) + sum(1 for ch in s if ord(ch) > 0xFFFF)


def _is_regional_indicator(ch: str) -> bool:
    return "\U0001f1e6" <= ch <= "\U0001f1ff"


def _extends(ch: str) -> bool:
    """Whether `ch` belongs to the character before it rather than starting a new one."""
    return (
        unicodedata.combining(ch) != 0
        # marks of combining class 0 too, such as Indic vowel signs
        or unicodedata.category(ch) in ("Mn", "Me", "Mc")
        or ch == _ZWJ
        or "\ufe00" <= ch <= "\ufe0f"  # variation selectors (emoji / text presentation)
        or "\U0001f3fb" <= ch <= "\U0001f3ff"  # emoji skin-tone modifiers
        or "\U000e0020" <= ch <= "\U000e007f"  # emoji tag sequences (subdivision flags)
    )


def _clusters(text: str) -> list[str]:
    """`text` cut into user-perceived characters (an approximation of Unicode grapheme clusters):
    a base character with its marks, a zero-width-joiner emoji sequence, a flag's pair of regional
    indicators. Python strings hold code points, so a surrogate pair is always one character."""
    clusters: list[str] = []
    for ch in text:
        if clusters:
            last = clusters[-1]
            joins = (
                _extends(ch)
                or last.endswith(_ZWJ)
                or (_is_regional_indicator(ch) and _is_regional_indicator(last[-1]) and _odd_flag_run(last))
            )
            if joins:
                clusters[-1] = last + ch
                continue
        clusters.append(ch)
    return clusters


def _odd_flag_run(cluster: str) -> bool:
    """Whether the cluster is a lone regional indicator waiting for its pair (flags come in twos)."""
    return sum(1 for ch in cluster if _is_regional_indicator(ch)) % 2 == 1
