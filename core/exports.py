"""Tables people download and open in Excel: one writer for CSV and XLSX, so both carry the same rows.

CSV is UTF-8 with a byte-order mark (Excel otherwise reads Chinese as GBK mojibake) and CRLF line ends. Times
are written in the configured time zone, as pages show them. A text cell that a spreadsheet would run as a
formula (it begins with = + - @, a tab or a carriage return) gets a leading ' so that it is shown, not run,
unless it is a plain number ("-3.5") or an E.164 phone number ("+8613800000000"), which are data as they are.
XLSX gets the same neutralisation: openpyxl stores a string that begins with = as a formula. No Flask here.
"""
from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from zoneinfo import ZoneInfo

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_E164 = re.compile(r"\+[1-9]\d{6,14}")
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"

CSV_MIMETYPE = "text/csv; charset=utf-8"
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMATS = ("csv", "xlsx")

Cell = str | int | float | Decimal


def neutralise(text: str) -> str:
    """`text` as a spreadsheet shows it rather than runs it: a leading ' before a would-be formula."""
    if not text.startswith(FORMULA_START) or _NUMBER.fullmatch(text) or _E164.fullmatch(text):
        return text
    return "'" + text


def cell(value: object, timezone: str) -> Cell:
    """One value as written: numbers stay numbers, times in `timezone`, everything else as safe text."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int | float | Decimal):
        return value
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(ZoneInfo(timezone))
        return value.strftime(TIME_FORMAT)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Enum):
        value = value.value
    if isinstance(value, dict | list):
        value = json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    return neutralise(str(value))


def _cells(row: Sequence[object], timezone: str) -> list[Cell]:
    return [cell(v, timezone) for v in row]


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence[object]], timezone: str) -> bytes:
    """The table as CSV: UTF-8 with BOM, CRLF, every cell through `cell`."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([neutralise(str(h)) for h in header])
    for row in rows:
        writer.writerow(_cells(row, timezone))
    return out.getvalue().encode("utf-8-sig")


def xlsx_bytes(header: Sequence[str], rows: Iterable[Sequence[object]], timezone: str, title: str = "Sheet1") -> bytes:
    """The same table as an XLSX workbook of one sheet, header row bold and frozen."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook(write_only=False)
    sheet = book.active
    sheet.title = _sheet_title(title)
    sheet.append([neutralise(str(h)) for h in header])
    for c in sheet[1]:
        c.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    for row in rows:
        values = [float(v) if isinstance(v, Decimal) else v for v in _cells(row, timezone)]
        sheet.append(values)
        for c in sheet[sheet.max_row]:
            if isinstance(c.value, str):
                c.data_type = "s"  # never a formula, whatever openpyxl guessed
    for i, h in enumerate(header, 1):
        sheet.column_dimensions[sheet.cell(1, i).column_letter].width = max(10, min(40, len(str(h)) * 2 + 2))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _sheet_title(title: str) -> str:
    """Excel refuses []:*?/\\ in a sheet's name and more than 31 characters."""
    return re.sub(r"[\[\]:*?/\\]", " ", title)[:31] or "Sheet1"


def table_bytes(fmt: str, header: Sequence[str], rows: Iterable[Sequence[object]], timezone: str,
                title: str = "Sheet1") -> tuple[bytes, str]:
    """(content, mimetype) of the table in `fmt` ("csv" or "xlsx")."""
    if fmt == "xlsx":
        return xlsx_bytes(header, rows, timezone, title), XLSX_MIMETYPE
    if fmt == "csv":
        return csv_bytes(header, rows, timezone), CSV_MIMETYPE
    raise ValueError(f"unknown export format {fmt!r}")
