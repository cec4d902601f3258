"""Imports of the settlement system's exports: an upsert by account number (and month).

Each function reads the whole file first, so a file that cannot be read writes nothing; then it adds the
good rows and an ImportRun holding the counts and every rejected row, in the caller's transaction.
Running the same file twice changes nothing the second time.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from clients import parsing
from clients.models import Client, ImportKind, ImportRun, MonthlyFigure
from clients.parsing import N_, FieldError, FileError
from core import audit, clock
from staff.models import Staff

CHUNK = 2000  # bound on IN (...) lists, below SQLite's and PostgreSQL's parameter limits

CLIENT_FIELDS = ("name", "mobile", "branch", "owner_id", "opened_on", "last_trade_on", "last_position_on",
                 "investor_type", "risk_tolerance", "risk_assessed_on")
MONTHLY_FIELDS = ("avg_equity", "commission", "month_end_equity")


def chunks(items: list, size: int = CHUNK) -> Iterable[list]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _reject(rejected: list[dict[str, Any]], line: int, account: object, problem: parsing.ImportProblem) -> None:
    rejected.append({"line": line, "account_no": parsing.text(account) or None, "reason": str(problem),
                     "msg": problem.template, "args": problem.args_})


def _run(session, kind: ImportKind, filename: str, actor, created: int, updated: int, unchanged: int,
         rejected: list[dict[str, Any]]) -> ImportRun:
    run = ImportRun(kind=kind, filename=filename[:255], staff_id=getattr(actor, "id", None), created=created,
                    updated=updated, unchanged=unchanged, rejected=rejected)
    session.add(run)
    session.flush()
    audit.record(session, f"import.{kind.value}", actor=actor, actor_label=None if actor else "cli",
                 obj_type="import", obj_id=run.id,
                 detail={"file": filename[:255], "created": created, "updated": updated,
                         "unchanged": unchanged, "rejected": len(rejected)})
    return run


def _upsert(session, model, rows: dict[Any, dict], existing: dict[Any, dict], fields, new_row: Callable[[dict], dict],
            stamp: dict | None = None) -> tuple[int, int, int]:
    """Insert the rows not stored, update those whose `fields` differ, count the rest: (created, updated, unchanged)."""
    inserts, updates, unchanged = [], [], 0
    for key, row in rows.items():
        stored = existing.get(key)
        if stored is None:
            inserts.append(new_row(row))
            continue
        changed = {f: row[f] for f in fields if row[f] != stored[f]}
        if changed:
            if "mobile" in changed:  # a new number gets a fresh chance after one was refused as invalid
                changed["mobile_invalid_at"] = None
            updates.append({"id": stored["id"], **changed, **(stamp or {})})
        else:
            unchanged += 1
    for chunk in chunks(inserts):
        # render_nulls keeps rows with different empty cells in one executemany batch
        session.execute(sa.insert(model).execution_options(render_nulls=True), chunk)
    for chunk in chunks(updates):
        session.execute(sa.update(model), chunk)
    return len(inserts), len(updates), unchanged


def _parse_rows(data: bytes, filename: str, columns, parse_row: Callable[[dict], dict], key: Callable[[dict], Any],
                rejected: list[dict[str, Any]]) -> tuple[dict[Any, dict], dict[Any, int]]:
    """Good rows by key, and each key's line; bad and duplicate rows go to `rejected`.

    The key is taken from the raw cells, so a repeat is caught even when the first row was bad. Both rows
    of a repeated key are rejected: the file does not say which one is right. FileError propagates
    untouched, before anything is written.
    """
    good: dict[Any, dict] = {}
    first_line: dict[Any, int] = {}
    for line, raw in parsing.read_table(data, filename, columns):
        k = key(raw)
        if k is not None and k in first_line:
            _reject(rejected, line, raw.get("account_no"),
                    FieldError(N_("duplicate of line %(line)s in the same file"), line=first_line[k]))
            if k in good:
                earlier = good.pop(k)
                _reject(rejected, first_line[k], earlier["account_no"],
                        FieldError(N_("the same account appears again later in the file")))
            continue
        if k is not None:
            first_line[k] = line
        try:
            good[k] = parse_row(raw)
        except FieldError as problem:
            _reject(rejected, line, raw.get("account_no"), problem)
    rejected.sort(key=lambda r: r["line"])
    return good, first_line


def import_clients(session, data: bytes, filename: str, actor: Staff | None = None) -> ImportRun:
    """Upsert clients from a client export. Columns missing from the file are left as stored.

    A risk tolerance and its assessment date come together (both columns, and in a row both or neither), so
    that a tolerance is never paired with another assessment's date; an assessment dated after tomorrow is
    refused."""
    staff_by_code = dict(session.execute(sa.select(Staff.staff_code, Staff.id).where(Staff.staff_code.is_not(None))).all())
    present: set[str] = set()
    latest_assessment = clock.now().date() + timedelta(days=1)  # tomorrow in UTC: today wherever the file was made

    def parse_row(raw: dict) -> dict:
        present.update(raw.keys())
        row: dict[str, Any] = {
            "account_no": parsing.account_no(raw.get("account_no")),
            "name": parsing.name(raw.get("name")),
        }
        if "mobile" in raw:
            row["mobile"] = parsing.mobile(raw["mobile"])
        if "branch" in raw:
            row["branch"] = parsing.text(raw["branch"])[:100] or None
        if "staff_code" in raw:
            code = parsing.text(raw["staff_code"])
            if code and code not in staff_by_code:
                raise FieldError(N_("unknown staff code %(value)s"), value=code)
            row["owner_id"] = staff_by_code.get(code) if code else None
        for field, label in (("opened_on", "opened_on"), ("last_trade_on", "last_trade_on"),
                             ("last_position_on", "last_position_on")):
            if field in raw:
                row[field] = parsing.day(raw[field], label)
        _assessment(raw, row, latest_assessment)
        return row

    rejected: list[dict[str, Any]] = []
    good, _ = _parse_rows(data, filename, parsing.CLIENT_COLUMNS, parse_row,
                          lambda raw: parsing.text(raw.get("account_no")) or None, rejected)

    fields = [f for f in CLIENT_FIELDS if f in good[next(iter(good))]] if good else []
    existing: dict[str, dict] = {}
    accounts = list(good)
    for chunk in chunks(accounts):
        for row in session.execute(
            sa.select(Client.id, Client.account_no, *[getattr(Client, f) for f in fields])
            .where(Client.account_no.in_(chunk))
        ).mappings():
            existing[row["account_no"]] = dict(row)

    now = clock.now()
    created, updated, unchanged = _upsert(
        session, Client, good, existing, fields,
        new_row=lambda row: {**row, "created_at": now, "updated_at": now, "opted_out": False},
        stamp={"updated_at": now})
    return _run(session, ImportKind.clients, filename, actor, created, updated, unchanged, rejected)


def _assessment(raw: dict, row: dict, latest: object) -> None:
    """投资者类别, 风险承受能力 and 风险测评日期 of one row into `row` (clients/appropriateness.py)."""
    if "investor_type" in raw:
        row["investor_type"] = parsing.investor_type(raw["investor_type"])
    if ("risk_tolerance" in raw) != ("risk_assessed_on" in raw):
        raise FileError(N_("the columns 风险承受能力 and 风险测评日期 come together: the file has only one of "
                           "them"))
    if "risk_tolerance" not in raw:
        return
    tolerance = parsing.risk_tolerance(raw["risk_tolerance"])
    assessed_on = parsing.day(raw["risk_assessed_on"], "risk_assessed_on")
    if tolerance is not None and assessed_on is None:
        raise FieldError(N_("risk tolerance %(value)s has no assessment date (column 风险测评日期)"),
                         value=tolerance.value)
    if assessed_on is not None and tolerance is None:
        raise FieldError(N_("the assessment date %(value)s has no risk tolerance (column 风险承受能力)"),
                         value=assessed_on.isoformat())
    if assessed_on is not None and assessed_on > latest:
        raise FieldError(N_("the assessment date %(value)s is in the future"), value=assessed_on.isoformat())
    row["risk_tolerance"], row["risk_assessed_on"] = tolerance, assessed_on


def _month_key(raw: dict) -> tuple[str, str] | None:
    account = parsing.text(raw.get("account_no"))
    if not account:
        return None
    try:
        return account, parsing.month(raw.get("month"))
    except FieldError:
        return account, parsing.text(raw.get("month"))


def import_monthly(session, data: bytes, filename: str, actor: Staff | None = None) -> ImportRun:
    """Upsert monthly figures by (account, month). Every account must already be in the client book."""

    def parse_row(raw: dict) -> dict:
        return {
            "account_no": parsing.account_no(raw.get("account_no")),
            "month": parsing.month(raw.get("month")),
            "avg_equity": parsing.amount(raw.get("avg_equity"), "avg_equity"),
            "commission": parsing.amount(raw.get("commission"), "commission"),
            "month_end_equity": parsing.amount(raw.get("month_end_equity"), "month_end_equity"),
        }

    rejected: list[dict[str, Any]] = []
    good, lines = _parse_rows(data, filename, parsing.MONTHLY_COLUMNS, parse_row, _month_key, rejected)

    client_ids: dict[str, int] = {}
    for chunk in chunks(sorted({a for a, _ in good})):
        client_ids.update(session.execute(
            sa.select(Client.account_no, Client.id).where(Client.account_no.in_(chunk))).all())

    kept: dict[tuple[int, str], dict] = {}
    unknown = False
    for (account, month_), row in good.items():
        client_id = client_ids.get(account)
        if client_id is None:
            unknown = True
            _reject(rejected, lines[(account, month_)], account,
                    FieldError(N_("account %(value)s is not in the client book"), value=account))
            continue
        kept[(client_id, month_)] = {**row, "client_id": client_id}
    if unknown:
        rejected.sort(key=lambda r: r["line"])

    existing: dict[tuple[int, str], dict] = {}
    ids = sorted({cid for cid, _ in kept})
    months = sorted({m for _, m in kept})
    for chunk in chunks(ids):
        for row in session.execute(
            sa.select(MonthlyFigure.id, MonthlyFigure.client_id, MonthlyFigure.month,
                      *[getattr(MonthlyFigure, f) for f in MONTHLY_FIELDS])
            .where(MonthlyFigure.client_id.in_(chunk), MonthlyFigure.month.in_(months))
        ).mappings():
            existing[(row["client_id"], row["month"])] = dict(row)

    created, updated, unchanged = _upsert(
        session, MonthlyFigure, kept, existing, MONTHLY_FIELDS,
        new_row=lambda row: {"client_id": row["client_id"], "month": row["month"],
                             **{f: row[f] for f in MONTHLY_FIELDS}})
    return _run(session, ImportKind.monthly, filename, actor, created, updated, unchanged, rejected)

