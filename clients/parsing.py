"""Reading the settlement system's exports: file formats, headers and field values. No Flask, no database.

A file is CSV (UTF-8, UTF-8 with BOM, GBK/GB18030 as Chinese Excel writes it) or XLSX. Columns are
matched by their English or Chinese header, in any order. Each field parser raises `FieldError` with a
message that names what is wrong, which the import reports against the row's line number.
"""
from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from clients import appropriateness
from core import phones
from core.errors import N_, Problem, ServiceError, Translate

ImportProblem = Problem


class FileError(ServiceError):
    """The file as a whole cannot be read (nothing is imported)."""

    domain = "import"

    def __init__(self, template: str, **args: object):
        super().__init__(template, field="file", code="unreadable_file", **args)

    def text(self, translate: Translate) -> str:
        return translate(N_("The file cannot be read: %(reason)s"), {"reason": translate(self.template, self.args_)})


class FieldError(ImportProblem):
    """One value of one row is wrong."""


@dataclass(frozen=True)
class Column:
    key: str
    headers: tuple[str, ...]
    required: bool = False


CLIENT_COLUMNS = (
    Column("account_no", ("account_no", "资金账号"), required=True),
    Column("name", ("name", "客户名称"), required=True),
    Column("mobile", ("mobile", "手机号码")),
    Column("branch", ("branch", "营业部")),
    Column("staff_code", ("staff_code", "客户经理编号")),
    Column("opened_on", ("opened_on", "开户日期")),
    Column("last_trade_on", ("last_trade_on", "最近交易日期")),
    Column("last_position_on", ("last_position_on", "最近持仓日期")),
    Column("investor_type", ("investor_type", "投资者类别")),
    Column("risk_tolerance", ("risk_tolerance", "风险承受能力")),
    Column("risk_assessed_on", ("risk_assessed_on", "风险测评日期")),
)

MONTHLY_COLUMNS = (
    Column("account_no", ("account_no", "资金账号"), required=True),
    Column("month", ("month", "月份"), required=True),
    Column("avg_equity", ("avg_equity", "月均权益", "日均权益"), required=True),
    Column("commission", ("commission", "手续费"), required=True),
    Column("month_end_equity", ("month_end_equity", "月末权益"), required=True),
)

MAX_XLSX_UNCOMPRESSED = 200 * 1024 * 1024  # refuse zip bombs before openpyxl inflates them


def _norm_header(text: object) -> str:
    return re.sub(r"[\s_\-]+", "", str(text or "").replace("\ufeff", "")).lower()


def column_name(key: str, columns: tuple[Column, ...]) -> str:
    """A column as people name it: its Chinese header (资金账号, not account_no), as the import page lists it."""
    return next((c.headers[1] for c in columns if c.key == key), key)


def match_headers(header_row: list[object], columns: tuple[Column, ...]) -> dict[str, int]:
    """Map each known column key to its position; FileError names missing or repeated columns."""
    wanted = {_norm_header(h): c.key for c in columns for h in c.headers}
    found: dict[str, int] = {}
    for pos, cell in enumerate(header_row):
        key = wanted.get(_norm_header(cell))
        if key is None:
            continue
        if key in found:
            raise FileError(N_("column %(column)s appears twice in the header"), column=column_name(key, columns))
        found[key] = pos
    missing = [c for c in columns if c.required and c.key not in found]
    if missing:
        names = "、".join(c.headers[1] for c in missing)  # as the settlement system's files name them
        raise FileError(N_("missing column(s): %(columns)s"), columns=names)
    return found


def decode_csv(data: bytes) -> str:
    """UTF-8 (with or without BOM) first; Chinese Excel's GBK is read as its superset GB18030."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise FileError(N_("the file is neither UTF-8 nor GBK/GB18030 text"))


def _csv_rows(data: bytes) -> Iterator[list[object]]:
    text = decode_csv(data)
    if "\x00" in text:  # a binary file, or UTF-16 text; no database column takes NUL characters either
        raise FileError(N_("the file contains NUL characters; save it again as CSV (UTF-8) or XLSX"))
    sample = text[:4096]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",\t;")
    except csv.Error:
        dialect = csv.excel
    try:
        yield from csv.reader(io.StringIO(text, newline=""), dialect)
    except csv.Error as exc:  # e.g. a cell longer than the csv module's field limit (128 KiB)
        raise FileError(N_("the file cannot be read as CSV: %(reason)s"), reason=exc) from None


def _xlsx_rows(data: bytes) -> Iterator[list[object]]:
    from openpyxl import load_workbook

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            total = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile:
        raise FileError(N_("the file looks like XLSX but is not a valid workbook")) from None
    if total > MAX_XLSX_UNCOMPRESSED:
        raise FileError(N_("the workbook expands to more than 200 MB; refused"))
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds for a broken workbook
        raise FileError(N_("the workbook cannot be opened; save it again from Excel as .xlsx")) from None
    try:
        sheet = workbook.worksheets[0]
        for row in sheet.iter_rows(values_only=True):
            yield list(row)
    except Exception:  # the sheet is read lazily: broken XML, entity bombs, bad checksums surface only here
        raise FileError(N_("the workbook cannot be read; save it again from Excel as .xlsx")) from None
    finally:
        workbook.close()


def read_table(data: bytes, filename: str, columns: tuple[Column, ...]) -> Iterator[tuple[int, dict[str, object]]]:
    """Yield (line number, {column key: raw value}) for every non-empty data row.

    Line numbers count the header as line 1, as a spreadsheet shows them. Raises FileError before the
    first row when the file cannot be read or lacks a required column.
    """
    if not data:
        raise FileError(N_("the file is empty"))
    is_xlsx = data[:4] == b"PK\x03\x04" or filename.lower().endswith((".xlsx", ".xlsm"))
    rows = _xlsx_rows(data) if is_xlsx else _csv_rows(data)
    header: list[object] | None = None
    positions: dict[str, int] = {}
    line = 0
    for row in rows:
        line += 1
        if header is None:
            if all(_blank(v) for v in row):
                continue
            header = row
            positions = match_headers(row, columns)
            continue
        if all(_blank(v) for v in row):
            continue
        yield line, {key: (row[pos] if pos < len(row) else None) for key, pos in positions.items()}
    if header is None:
        raise FileError(N_("the file has no header row"))


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def text(value: object) -> str:
    """A cell as trimmed text; whole numbers from spreadsheets lose their '.0'."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def account_no(value: object) -> str:
    result = text(value)
    if not result:
        raise FieldError(N_("account number is empty"))
    if len(result) > 32 or not re.fullmatch(r"[0-9A-Za-z\-]+", result):
        raise FieldError(N_("account number %(value)s may hold only letters, digits and hyphens (at most 32)"),
                         value=result)
    return result


def name(value: object) -> str:
    result = text(value)
    if not result:
        raise FieldError(N_("name is empty"))
    if len(result) > 100:
        raise FieldError(N_("name is longer than 100 characters"))
    return result


def mobile(value: object, region: str = "CN") -> str | None:
    """E.164, or None when the cell is empty; FieldError when it is not a valid mobile number."""
    raw = text(value)
    if not raw:
        return None
    try:
        return phones.e164_mobile(raw, region)
    except phones.PhoneError as exc:
        raise FieldError(exc.template, **exc.args_) from None


_DATE = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$|^(\d{4})(\d{2})(\d{2})$")


def day(value: object, label: str) -> date | None:
    """YYYY-MM-DD, YYYY/MM/DD or YYYYMMDD (or a spreadsheet date); empty means never."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    raw = text(value)
    if not raw:
        return None
    raw = raw.split(" ")[0]  # "2024-01-05 00:00:00" from a spreadsheet
    match = _DATE.match(raw)
    if not match:
        raise FieldError(N_("%(field)s %(value)s is not a date (use YYYY-MM-DD, YYYY/MM/DD or YYYYMMDD)"), field=label, value=raw)
    parts = [g for g in match.groups() if g is not None]
    try:
        result = date(int(parts[0]), int(parts[1]), int(parts[2]))
    except ValueError:
        raise FieldError(N_("%(field)s %(value)s is not a real date"), field=label, value=raw) from None
    if not 1900 <= result.year <= 2100:
        raise FieldError(N_("%(field)s %(value)s is out of range"), field=label, value=raw)
    return result


_MONTH = re.compile(r"^(\d{4})[-/.]?(\d{1,2})$")


def month(value: object) -> str:
    if isinstance(value, (datetime, date)):
        return f"{value.year:04d}-{value.month:02d}"
    raw = text(value)
    match = _MONTH.match(raw)
    if not match or not 1 <= int(match.group(2)) <= 12 or not 1990 <= int(match.group(1)) <= 2100:
        raise FieldError(N_("month %(value)s is not a month (use YYYY-MM)"), value=raw)
    return f"{int(match.group(1)):04d}-{int(match.group(2)):02d}"


# below 2**53 cents, so that SQLite (which keeps NUMERIC as a float) gives back exactly what was stored
MAX_AMOUNT = Decimal("1e13")


def amount(value: object, label: str) -> Decimal:
    """Yuan, thousands separators allowed; never negative, at most 2 decimals kept."""
    if isinstance(value, bool):
        raise FieldError(N_("%(field)s is not a number"), field=label)
    if isinstance(value, (int, float, Decimal)):
        raw = str(value)
    else:
        raw = text(value).replace(",", "").replace("，", "").replace("¥", "").replace("￥", "").strip()
    if not raw:
        raise FieldError(N_("%(field)s is empty"), field=label)
    try:
        result = Decimal(raw)
    except InvalidOperation:
        raise FieldError(N_("%(field)s %(value)s is not a number"), field=label, value=raw) from None
    if not result.is_finite():
        raise FieldError(N_("%(field)s %(value)s is not a number"), field=label, value=raw)
    if result < 0:
        raise FieldError(N_("%(field)s %(value)s is negative"), field=label, value=raw)
    if result >= MAX_AMOUNT:
        raise FieldError(N_("%(field)s %(value)s is too large"), field=label, value=raw)
    return result.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def investor_type(value: object) -> appropriateness.InvestorType | None:
    """普通/专业 or ordinary/professional (any case, full-width too); empty means not on file."""
    raw = text(value)
    if not raw:
        return None
    try:
        return appropriateness.read_investor_type(raw)
    except ValueError:
        raise FieldError(N_("investor type %(value)s is not 普通/专业 (ordinary/professional)"), value=raw) from None


def risk_tolerance(value: object) -> appropriateness.RiskTolerance | None:
    """C1-C5 or 保守型/谨慎型/稳健型/积极型/激进型; empty means not assessed."""
    raw = text(value)
    if not raw:
        return None
    try:
        return appropriateness.read_tolerance(raw)
    except ValueError:
        raise FieldError(N_("risk tolerance %(value)s is not C1-C5 or 保守型/谨慎型/稳健型/积极型/激进型"),
                         value=raw) from None
