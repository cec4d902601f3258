"""When a session or an API token was last used, written after the request that used it."""
from __future__ import annotations

import logging
from datetime import datetime, timedelta

import sqlalchemy as sa

from core.extensions import db

log = logging.getLogger(__name__)


def record_last_use(column: sa.Column, row_id: int, now: datetime, every: timedelta, what: str) -> None:
    """Sets `column` of row `row_id` to `now` unless it was set less than `every` ago: on a connection and in a
    transaction of its own, so that it never carries along what the request left uncommitted, and a failure
    here (a lock timeout, a failover) is logged, never turned into an error for a request whose work is done.

    The UPDATE is conditional, so concurrent requests write once, and reading does not queue behind imports."""
    table = column.table
    try:
        with db.engine.begin() as conn:
            conn.execute(table.update().where(table.c.id == row_id, sa.or_(column.is_(None), column < now - every))
                         .values({column.name: now}))
    except sa.exc.SQLAlchemyError as exc:
        log.warning("could not record the use of %s %s: %s", what, row_id, exc.__class__.__name__)
