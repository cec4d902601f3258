"""Time: UTC in the database, TIMEZONE on screen."""
from __future__ import annotations

from datetime import UTC, date, datetime
from typing import TypeVar
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.types import TypeDecorator

D = TypeVar("D", date, datetime)


class UTCDateTime(TypeDecorator):
    """Stores naive UTC on every backend and always hands back an aware UTC datetime."""

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


def to_local(value: datetime, tz_name: str) -> datetime:
    return value.astimezone(ZoneInfo(tz_name))


def years_after(value: D, years: int) -> D:
    """The same calendar day (and time) `years` later: when a validity or a retention period ends. 29 February
    in a year without one ends on 1 March, so the period is never a day short."""
    try:
        return value.replace(year=value.year + years)
    except ValueError:
        return value.replace(year=value.year + years, month=3, day=1)


def one_year_before(day: date) -> date:
    """The same calendar day a year earlier (29 February becomes 28 February)."""
    try:
        return day.replace(year=day.year - 1)
    except ValueError:
        return day.replace(year=day.year - 1, day=28)
