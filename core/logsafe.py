"""A database error is logged by its statement and its kind, never by the data it carried.

The engine hides bound parameters (`hide_parameters`, core/config.py), but the database's own message
can hold the row too: PostgreSQL's "Failing row contains (…, 王秘密, +8613912345678, …)" or "Key (mobile)=(…)
already exists". Every log record of this process that carries such an error is given, in its place, a
`DatabaseErrorLogged` naming the error's class, the driver's class, the SQLSTATE and the statement, with the
original traceback kept for where it happened.
"""
from __future__ import annotations

import logging

import sqlalchemy as sa


class DatabaseErrorLogged(Exception):
    """What the log keeps of a database error: no values, no DETAIL."""


def redacted(error: sa.exc.StatementError) -> DatabaseErrorLogged:
    original = error.orig
    state = getattr(original, "sqlstate", None) or getattr(original, "pgcode", None)
    kind = type(original).__name__ if original is not None else "-"
    statement = " ".join((error.statement or "").split())
    return DatabaseErrorLogged(f"{type(error).__name__} ({kind}{f', SQLSTATE {state}' if state else ''}) "
                               f"[SQL: {statement}]")


def _safe(exc_info):
    if not exc_info or exc_info is True or not isinstance(exc_info, tuple):
        return exc_info
    _type, value, tb = exc_info
    if isinstance(value, sa.exc.StatementError):
        return DatabaseErrorLogged, redacted(value), tb
    return exc_info


_installed = False


def install() -> None:
    """Makes every log record of this process carry database errors redacted (once per process)."""
    global _installed
    if _installed:
        return
    make = logging.getLogRecordFactory()

    def factory(*args, **kwargs):
        record = make(*args, **kwargs)
        record.exc_info = _safe(record.exc_info)
        return record

    logging.setLogRecordFactory(factory)
    _installed = True
