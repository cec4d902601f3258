"""A broadcast's risk level: each kind's default in one table, and who may receive it on a day.

The rule itself is clients/appropriateness.py's; broadcast/audience.py applies it where the audience is
resolved (the preview, the counts, the snapshot into the outbox). Only broadcasts carry a risk level: account
notices, answers and service messages are not marketing and never pass through here.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from broadcast.errors import BroadcastError
from broadcast.models import Broadcast, BroadcastKind
from clients.appropriateness import LEVEL_NAMES, RiskLevel
from core.errors import N_

# the least risk level of each kind, which is also what a new broadcast of the kind carries; a trade
# suggestion's comes from the setting SUGGESTION_RISK_LEVEL (Settings.suggestion_risk_level), default R4
KIND_DEFAULTS: dict[BroadcastKind, RiskLevel | None] = {
    BroadcastKind.trade_suggestion: None,  # SUGGESTION_RISK_LEVEL
    BroadcastKind.daily_comment: RiskLevel.R2,
    BroadcastKind.weekly_comment: RiskLevel.R2,
    BroadcastKind.monthly_report: RiskLevel.R2,
    BroadcastKind.seminar_invite: RiskLevel.R1,
    BroadcastKind.risk_notice: RiskLevel.R1,  # retired: only stored ones, which migration 0011 gave R1
}


def kind_default(kind: BroadcastKind, suggestion_level: RiskLevel) -> RiskLevel:
    """The default, and the least, risk level of a broadcast of `kind`."""
    return KIND_DEFAULTS[kind] or suggestion_level


def apply_risk_level(b: Broadcast, data: dict, suggestion_level: RiskLevel) -> None:
    """Set `b`'s risk level from `data` (a draft's fields as sent): the level given (empty: the kind's default),
    or, when none is given, the one `b` has, raised to its kind's default. Never below that default: a lower
    one is refused, naming the least."""
    floor = kind_default(b.kind, suggestion_level)
    raw = data.get("risk_level")
    if raw in (None, ""):
        if "risk_level" in data or b.risk_level is None or b.risk_level.rank < floor.rank:
            b.risk_level = floor
        return
    try:
        level = RiskLevel(raw.strip().upper() if isinstance(raw, str) else raw)
    except ValueError:
        raise BroadcastError(N_("the risk level must be one of R1 to R5"), "risk_level") from None
    if level.rank < floor.rank:
        raise BroadcastError(N_("the risk level of this kind is at least %(minimum)s (%(name)s); it may be raised, "
                                "never lowered"), "risk_level", code="risk_level_too_low", minimum=floor.value,
                             name=LEVEL_NAMES[floor])
    b.risk_level = level


@dataclass(frozen=True)
class Fit:
    """Who may receive a broadcast of `level` sent on `day` (the department's date), with assessments valid
    for `years` years (clients/appropriateness.py)."""

    level: RiskLevel
    day: date
    years: int


def fit_of(b: Broadcast, settings, moment: datetime) -> Fit:
    """The appropriateness a broadcast is sent under at `moment`: its own level, never below its kind's
    default as the settings say now (a raised SUGGESTION_RISK_LEVEL applies to suggestions approved before),
    on the day `moment` falls on in TIMEZONE."""
    floor = kind_default(b.kind, settings.suggestion_risk_level)
    level = b.risk_level if b.risk_level is not None and b.risk_level.rank >= floor.rank else floor
    return Fit(level=level, day=moment.astimezone(ZoneInfo(settings.timezone)).date(),
               years=settings.risk_assessment_years)
