"""First-response targets (RESPONSE_TARGETS), parsed from the settings. Pure: no Flask.

Here rather than in followups/ so that the start-up check (core/config.py) can validate the setting without
importing a higher layer; followups/deadlines.py decides which target applies to a reply and counts it in
service time (core/calendar.py).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, fields
from datetime import timedelta

from core.errors import N_, SettingProblem

MAX_TARGET_MINUTES = 7 * 24 * 60  # a target longer than a week is a typo, not a service level


class ServiceLevelError(SettingProblem):
    """A bad RESPONSE_TARGETS value; the message names the part at fault."""


@dataclass(frozen=True)
class Targets:
    """First-response targets, in service time."""

    diamond: timedelta = timedelta(minutes=15)
    complaint: timedelta = timedelta(minutes=15)
    vip: timedelta = timedelta(minutes=30)
    other: timedelta = timedelta(hours=2)


_KEYS = tuple(f.name for f in fields(Targets))


def parse_targets(spec: str | None) -> Targets:
    """'diamond=15,complaint=15,vip=30,other=120' (minutes, any subset) -> Targets; the rest keep defaults.

    Each value is a whole number of minutes from 1 to a week; an unknown key, a repeated key or a bad
    value is an error naming it, so a typo in the settings never silently leaves a default in force.
    """
    values: dict[str, timedelta] = {}
    for part in (spec or "").split(","):
        if not part.strip():
            continue
        key, sep, raw = (s.strip() for s in part.partition("="))
        if not sep or key not in _KEYS:
            raise ServiceLevelError(
                N_("response target %(value)s is not one of diamond, complaint, vip, other"),
                value=part.strip(), setting="RESPONSE_TARGETS",
                reason=f"has {part.strip()!r}, which is not one of {', '.join(_KEYS)}")
        if key in values:
            raise ServiceLevelError(N_("response target %(value)s is given twice"), value=key,
                                    setting="RESPONSE_TARGETS", reason=f"gives {key!r} twice")
        if not re.fullmatch(r"\d+", raw) or not 1 <= int(raw) <= MAX_TARGET_MINUTES:
            raise ServiceLevelError(
                N_("response target %(key)s=%(value)s is not a whole number of minutes from 1 to %(max)s"),
                key=key, value=raw, max=MAX_TARGET_MINUTES, setting="RESPONSE_TARGETS",
                reason=f"has {key}={raw!r}, not a whole number of minutes from 1 to {MAX_TARGET_MINUTES}")
        values[key] = timedelta(minutes=int(raw))
    return Targets(**values)
