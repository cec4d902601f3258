"""Downloads people open in Excel: a BOM so that Chinese is read as UTF-8, times in TIMEZONE, and no cell that a
spreadsheet would run as a formula, in CSV and XLSX alike."""
from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from core.exports import cell, csv_bytes, neutralise, table_bytes, xlsx_bytes

ZONE = "Asia/Shanghai"


@pytest.mark.parametrize(("text", "shown"), [
    ("-3.5", "-3.5"),                        # a plain number is data
    ("+3", "+3"),
    ("-1e5", "-1e5"),
    ("+8613800000000", "+8613800000000"),    # an E.164 number is data
    ("=1+1", "'=1+1"),
    ("@SUM(A1:A2)", "'@SUM(A1:A2)"),
    ("@SUM", "'@SUM"),
    ("\t=x", "'\t=x"),
    ("\r=x", "'\r=x"),
    ("+86 138 0000 0000", "'+86 138 0000 0000"),  # not E.164: a spreadsheet would compute it
    ("-2+3", "'-2+3"),
    ("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"),
    ("+", "'+"),
    ("螺纹钢", "螺纹钢"),
    ("a=1", "a=1"),
    ("", ""),
])
def test_neutralise(text, shown):
    assert neutralise(text) == shown


def test_cells_keep_numbers_and_show_times_in_the_time_zone():
    assert cell(None, ZONE) == ""
    assert cell(-3, ZONE) == -3 and cell(Decimal("18.40"), ZONE) == Decimal("18.40")
    assert cell(datetime(2026, 3, 2, 0, 30, tzinfo=UTC), ZONE) == "2026-03-02 08:30:00"
    assert cell({"标题": "螺纹钢"}, ZONE) == '{"标题": "螺纹钢"}'
    assert cell(["=x"], ZONE) == '["=x"]'


def test_csv_has_a_bom_crlf_and_neutralised_cells():
    data = csv_bytes(["账号", "姓名"], [["83001", "=1+1"], ["83002", "-3.5"]], ZONE)
    assert data.startswith(b"\xef\xbb\xbf")
    text = data.decode("utf-8-sig")
    assert text.split("\r\n")[0] == "账号,姓名"
    assert list(csv.reader(io.StringIO(text)))[1:] == [["83001", "'=1+1"], ["83002", "-3.5"]]


def test_xlsx_has_the_same_rows_and_no_formula():
    rows = [["83001", "=1+1", 3, datetime(2026, 3, 2, 0, 30, tzinfo=UTC)], ["83002", "@SUM", Decimal("1.5"), None]]
    book = load_workbook(io.BytesIO(xlsx_bytes(["账号", "姓名", "条数", "时间"], rows, ZONE, "送达报告")))
    sheet = book.active
    assert sheet.title == "送达报告"
    values = [[c.value for c in r] for r in sheet.iter_rows()]
    assert values == [["账号", "姓名", "条数", "时间"], ["83001", "'=1+1", 3, "2026-03-02 08:30:00"],
                      ["83002", "'@SUM", 1.5, None]]
    assert all(c.data_type != "f" for r in sheet.iter_rows() for c in r)


def test_an_unknown_format_is_refused():
    assert table_bytes("csv", ["a"], [], ZONE)[1].startswith("text/csv")
    with pytest.raises(ValueError):
        table_bytes("pdf", ["a"], [], ZONE)
