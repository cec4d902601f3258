"""Investor appropriateness (适当性管理), as plain functions with no Flask import.

A client is an ordinary (普通) or a professional (专业) investor, with a risk tolerance C1–C5 from an
assessment (风险测评) taken on a day; a broadcast carries a risk level R1–R5. On the day a broadcast goes:

- a professional investor receives every level;
- anyone receives R1 (the lowest level: invitations), whatever their assessment says;
- above R1, an ordinary investor (or one whose category is not on file, who is ordinary until classified)
  receives a level Rm only with a tolerance Cn, n >= m, from an assessment younger than `years` years.
  A client with no tolerance or no assessment date on file has no assessment; an assessment taken on day A
  is no longer valid from the same calendar day `years` later (29 February: from 1 March). An assessment
  dated after the sending day (a clock or a file ahead of the department's day) is not expired.

`exclusion` names why a client is left out (or None); broadcast/audience.py writes the same rule as SQL, and
tests/broadcast/test_appropriateness.py holds the two to the same table of cases.
"""
from __future__ import annotations

import enum
import unicodedata
from datetime import date

from core.timeutil import years_after


class InvestorType(str, enum.Enum):
    ordinary = "ordinary"  # 普通投资者
    professional = "professional"  # 专业投资者


class RiskTolerance(str, enum.Enum):
    C1 = "C1"
    C2 = "C2"
    C3 = "C3"
    C4 = "C4"
    C5 = "C5"

    @property
    def rank(self) -> int:
        return int(self.value[1])


class RiskLevel(str, enum.Enum):
    R1 = "R1"
    R2 = "R2"
    R3 = "R3"
    R4 = "R4"
    R5 = "R5"

    @property
    def rank(self) -> int:
        return int(self.value[1])


class Exclusion(str, enum.Enum):
    """Why appropriateness leaves a client out of a broadcast."""

    too_low = "too_low"  # the tolerance is below the broadcast's level
    expired = "expired"  # the assessment is `years` old or older on the sending day
    no_assessment = "no_assessment"  # no tolerance or no assessment date on file


# the names the regulation and the settlement system use; imports read them, pages and the API show them
INVESTOR_TYPE_NAMES = {InvestorType.ordinary: "普通投资者", InvestorType.professional: "专业投资者"}
TOLERANCE_NAMES = {RiskTolerance.C1: "保守型", RiskTolerance.C2: "谨慎型", RiskTolerance.C3: "稳健型",
                   RiskTolerance.C4: "积极型", RiskTolerance.C5: "激进型"}
LEVEL_NAMES = {RiskLevel.R1: "低风险", RiskLevel.R2: "中低风险", RiskLevel.R3: "中风险", RiskLevel.R4: "中高风险",
               RiskLevel.R5: "高风险"}

DEFAULT_ASSESSMENT_YEARS = 3


def tolerances_for(level: RiskLevel) -> tuple[RiskTolerance, ...]:
    """The tolerances that may receive `level`: Cn with n >= m."""
    return tuple(t for t in RiskTolerance if t.rank >= level.rank)


def last_expired_day(day: date, years: int) -> date:
    """The latest assessment date that is no longer valid on `day`: the same calendar day `years` earlier
    (29 February, in a year without one, becomes 28 February). Every assessment on or before it has expired."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def expires_on(assessed_on: date, years: int) -> date:
    """The first day an assessment taken on `assessed_on` is no longer valid (29 February: 1 March)."""
    return years_after(assessed_on, years)


def exclusion(investor_type: InvestorType | None, tolerance: RiskTolerance | None, assessed_on: date | None,
              level: RiskLevel, day: date, years: int = DEFAULT_ASSESSMENT_YEARS) -> Exclusion | None:
    """Why a client is left out of a broadcast of `level` sent on `day` (the department's local date), or None
    when the client may receive it. An expired assessment is named before a low tolerance: its tolerance no
    longer counts."""
    if investor_type == InvestorType.professional or level == RiskLevel.R1:
        return None
    if tolerance is None or assessed_on is None:
        return Exclusion.no_assessment
    if assessed_on <= last_expired_day(day, years):
        return Exclusion.expired
    if tolerance.rank < level.rank:
        return Exclusion.too_low
    return None


def may_receive(investor_type: InvestorType | None, tolerance: RiskTolerance | None, assessed_on: date | None,
                level: RiskLevel, day: date, years: int = DEFAULT_ASSESSMENT_YEARS) -> bool:
    return exclusion(investor_type, tolerance, assessed_on, level, day, years) is None


# ---- reading a file's cells (clients/parsing.py turns a ValueError into a row's error) -----------------------

def _plain(text: str) -> str:
    """Full-width letters and digits as ASCII (NFKC, as follow-ups read replies), no spaces, upper case:
    'ｃ３ ' -> 'C3'."""
    return "".join(unicodedata.normalize("NFKC", text).split()).upper()


_TYPE_WORDS = {"ORDINARY": InvestorType.ordinary, "普通": InvestorType.ordinary, "普通投资者": InvestorType.ordinary,
               "PROFESSIONAL": InvestorType.professional, "专业": InvestorType.professional,
               "专业投资者": InvestorType.professional}
_TOLERANCE_WORDS = {t.value: t for t in RiskTolerance} | {name: t for t, name in TOLERANCE_NAMES.items()}


def read_investor_type(text: str) -> InvestorType:
    """普通/专业 (or 普通投资者/专业投资者), ordinary/professional in any case; ValueError otherwise."""
    try:
        return _TYPE_WORDS[_plain(text)]
    except KeyError:
        raise ValueError(text) from None


def read_tolerance(text: str) -> RiskTolerance:
    """C1–C5 (any case, full-width too) or 保守型/谨慎型/稳健型/积极型/激进型; ValueError otherwise."""
    try:
        return _TOLERANCE_WORDS[_plain(text)]
    except KeyError:
        raise ValueError(text) from None
