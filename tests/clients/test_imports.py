"""Imports from settlement exports: encodings, headers in any order, bad rows, idempotency."""
from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa
from openpyxl import Workbook

from clients.imports import import_clients, import_monthly
from clients.models import Client, MonthlyFigure
from clients.parsing import FileError
from core.audit import AuditEntry
from core.extensions import db

HEADER_ZH = "资金账号,客户名称,手机号码,营业部,客户经理编号,开户日期,最近交易日期,最近持仓日期"


def csv_bytes(lines: list[str], encoding: str = "utf-8") -> bytes:
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


def run_clients(data: bytes, filename: str = "clients.csv"):
    run = import_clients(db.session, data, filename)
    db.session.commit()
    return run


def clients_by_account() -> dict[str, Client]:
    return {c.account_no: c for c in db.session.scalars(sa.select(Client))}


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_chinese_csv_in_every_encoding_excel_writes(app, make_staff, encoding):
    make_staff("business_staff", staff_code="S01")
    data = csv_bytes([HEADER_ZH, "80001,张伟,13812345678,上海浦东营业部,S01,2020-01-05,2026/09/30,20260929"],
                     encoding)
    run = run_clients(data)
    assert (run.created, run.updated, run.unchanged, run.rejected) == (1, 0, 0, [])
    c = clients_by_account()["80001"]
    assert c.name == "张伟" and c.branch == "上海浦东营业部"
    assert c.mobile == "+8613812345678"
    assert c.owner.staff_code == "S01"
    assert (c.opened_on, c.last_trade_on, c.last_position_on) == (date(2020, 1, 5), date(2026, 9, 30),
                                                                  date(2026, 9, 29))


def test_english_headers_in_any_order_and_missing_optional_columns(app):
    data = csv_bytes(["mobile,name,account_no", "+86 139 0000 1111,Li Lei,80002"])
    run = run_clients(data)
    assert run.created == 1 and not run.rejected
    c = clients_by_account()["80002"]
    assert (c.name, c.mobile, c.owner_id, c.opened_on) == ("Li Lei", "+8613900001111", None, None)


def test_xlsx_with_numbers_and_dates_as_cells(app):
    wb = Workbook()
    ws = wb.active
    ws.append(["客户名称", "资金账号", "手机号码", "开户日期", "最近交易日期"])
    ws.append(["王芳", 80003, 13812340000, date(2019, 3, 1), None])
    buf = io.BytesIO()
    wb.save(buf)
    run = run_clients(buf.getvalue(), "book.xlsx")
    assert run.created == 1 and not run.rejected
    c = clients_by_account()["80003"]
    assert (c.mobile, c.opened_on, c.last_trade_on) == ("+8613812340000", date(2019, 3, 1), None)


def test_bad_rows_are_reported_with_line_and_reason_and_good_rows_imported(app, make_staff):
    make_staff("business_staff", staff_code="S01")
    data = csv_bytes([
        HEADER_ZH,
        "80010,好客户,13812345678,上海,S01,2020-01-01,,",          # line 2: good
        "80011,坏手机,12345,上海,S01,2020-01-01,,",                 # line 3: phone
        "80012,坏经理,13812345679,上海,S99,2020-01-01,,",           # line 4: unknown staff
        "80013,坏日期,13812345680,上海,S01,2020-13-01,,",           # line 5: date
        "80014,,13812345681,上海,S01,2020-01-01,,",                 # line 6: empty name
        "80015,重复一,13812345682,上海,S01,2020-01-01,,",           # line 7: duplicate...
        "80015,重复二,13812345683,上海,S01,2020-01-01,,",           # line 8: ...of line 7
        "80016,无手机,,上海,,,,",                                   # line 9: good, no mobile, no owner
    ])
    run = run_clients(data)
    assert run.created == 2
    reasons = {r["line"]: r["reason"] for r in run.rejected}
    assert sorted(reasons) == [3, 4, 5, 6, 7, 8]
    assert "mobile" in reasons[3] and "12345" in reasons[3]
    assert "S99" in reasons[4]
    assert "2020-13-01" in reasons[5]
    assert "name" in reasons[6]
    assert "line 7" in reasons[8]
    assert {r["account_no"] for r in run.rejected if r["line"] in (7, 8)} == {"80015"}
    book = clients_by_account()
    assert set(book) == {"80010", "80016"}
    assert book["80016"].mobile is None and book["80016"].owner_id is None


def test_reimport_is_idempotent_and_changes_are_updates(app, make_staff):
    make_staff("business_staff", staff_code="S01")
    lines = [HEADER_ZH, "80020,甲,13812345678,上海,S01,2020-01-01,2026-01-01,",
             "80021,乙,13812345679,上海,S01,2020-01-01,,"]
    first = run_clients(csv_bytes(lines))
    assert (first.created, first.updated, first.unchanged) == (2, 0, 0)
    second = run_clients(csv_bytes(lines))
    assert (second.created, second.updated, second.unchanged, second.rejected) == (0, 0, 2, [])
    lines[2] = "80021,乙,13812345679,上海,S01,2020-01-01,2026-10-01,"
    third = run_clients(csv_bytes(lines))
    assert (third.created, third.updated, third.unchanged) == (0, 1, 1)
    assert clients_by_account()["80021"].last_trade_on == date(2026, 10, 1)


def test_a_bad_row_never_overwrites_what_is_stored(app):
    run_clients(csv_bytes(["account_no,name,mobile", "80030,原名,13812345678"]))
    run = run_clients(csv_bytes(["account_no,name,mobile", "80030,新名,not-a-phone"]))
    assert run.updated == 0 and len(run.rejected) == 1
    c = clients_by_account()["80030"]
    assert (c.name, c.mobile) == ("原名", "+8613812345678")


def test_consent_survives_reimport(app, make_client):
    make_client("80031", name="甲", mobile="+8613812345678", opted_out=True)
    run_clients(csv_bytes(["account_no,name,mobile", "80031,甲,13812345678"]))
    assert clients_by_account()["80031"].opted_out is True


@pytest.mark.parametrize("data, fragment", [
    (b"", "empty"),
    (b"name,mobile\r\nx,13812345678\r\n", "资金账号"),  # the column as the files name it
    (b"\xff\xfe\x00\x00garbage\x81", "UTF-8"),
    (b"PK\x03\x04not really a zip", "workbook"),
])
def test_unreadable_files_write_nothing(app, data, fragment):
    with pytest.raises(FileError) as info:
        import_clients(db.session, data, "f.csv" if not data.startswith(b"PK") else "f.xlsx")
    assert fragment in str(info.value)
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Client)) == 0


def test_import_is_audited(app, make_staff):
    admin = make_staff("admin")
    import_clients(db.session, csv_bytes(["account_no,name", "80040,甲"]), "a.csv", actor=admin)
    db.session.commit()
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "import.clients"))
    assert entry.actor_id == admin.id and entry.detail["created"] == 1


def test_monthly_figures_upsert_with_bad_rows(app, make_client):
    make_client("80050")
    make_client("80051")
    data = csv_bytes([
        "资金账号,月份,月均权益,手续费,月末权益",
        '80050,2026-07,"1,234,567.89",1200,"1,300,000"',   # 2 good, thousands separators
        "80051,2026-07,-5,0,0",                            # 3 negative
        "80051,2026-08,abc,0,0",                           # 4 non-numeric
        "80099,2026-07,1,1,1",                             # 5 not in the book
        "80050,2026-13,1,1,1",                             # 6 bad month
        "80050,2026-07,9,9,9",                             # 7 duplicate of 2
        "80051,2026-09,0,0,0",                             # 8 good
    ])
    run = import_monthly(db.session, data, "m.csv")
    db.session.commit()
    assert run.created == 1
    reasons = {r["line"]: r["reason"] for r in run.rejected}
    assert sorted(reasons) == [2, 3, 4, 5, 6, 7]
    assert "negative" in reasons[3] and "abc" in reasons[4] and "80099" in reasons[5]
    assert "2026-13" in reasons[6] and "line 2" in reasons[7]

    again = import_monthly(db.session, data, "m.csv")
    db.session.commit()
    assert (again.created, again.updated, again.unchanged) == (0, 0, 1)
    fixed = csv_bytes(["account_no,month,avg_equity,commission,month_end_equity",
                       '80050,2026-07,"1,234,567.89",1200,"1,300,000"', "80051,2026-09,0,5.5,0"])
    third = import_monthly(db.session, fixed, "m2.csv")
    db.session.commit()
    assert (third.created, third.updated, third.unchanged) == (1, 1, 0)
    figures = {(f.client_id, f.month): f for f in db.session.scalars(sa.select(MonthlyFigure))}
    assert len(figures) == 2
    july = next(f for f in figures.values() if f.month == "2026-07")
    assert july.avg_equity == Decimal("1234567.89") and july.month_end_equity == Decimal("1300000.00")


def test_a_landline_is_not_a_mobile(app):
    run = run_clients(csv_bytes(["account_no,name,mobile", "80060,甲,02112345678", "80061,乙,+85291234567"]))
    assert [r["line"] for r in run.rejected] == [2]
    assert "mobile" in run.rejected[0]["reason"]
    assert clients_by_account()["80061"].mobile == "+85291234567"  # a Hong Kong mobile is a mobile


def test_a_repeat_after_a_bad_row_is_still_a_duplicate(app):
    run = run_clients(csv_bytes(["account_no,name,mobile", "80070,甲,123", "80070,甲,13812345678"]))
    assert run.created == 0 and [r["line"] for r in run.rejected] == [2, 3]
    assert "line 2" in run.rejected[1]["reason"]


def test_amounts_round_half_up_and_huge_ones_are_refused(app, make_client):
    make_client("80080")
    data = csv_bytes(["account_no,month,avg_equity,commission,month_end_equity",
                      "80080,2026-07,0.005,1.125,99999999999.99", "80080,2026-08,10000000000000,0,0"])
    run = import_monthly(db.session, data, "m.csv")
    db.session.commit()
    assert [r["line"] for r in run.rejected] == [3] and "too large" in run.rejected[0]["reason"]
    figure = db.session.scalar(sa.select(MonthlyFigure))
    assert (figure.avg_equity, figure.commission) == (Decimal("0.01"), Decimal("1.13"))
    assert figure.month_end_equity == Decimal("99999999999.99")
    again = import_monthly(db.session, data, "m.csv")
    assert again.unchanged == 1 and again.updated == 0


@pytest.mark.parametrize("fmt", ["xlsx", "gbk"])
def test_monthly_figures_from_xlsx_and_gbk(app, make_client, fmt):
    make_client("80090")
    header = ["资金账号", "月份", "月均权益", "手续费", "月末权益"]
    if fmt == "xlsx":
        wb = Workbook()
        wb.active.append(header)
        wb.active.append([80090, "2026-07", 1234567.5, "1,000", 0])
        buf = io.BytesIO()
        wb.save(buf)
        data, name = buf.getvalue(), "m.xlsx"
    else:
        data, name = csv_bytes([",".join(header), '80090,2026-07,1234567.5,"1,000",0'], "gbk"), "m.csv"
    run = import_monthly(db.session, data, name)
    db.session.commit()
    assert run.created == 1 and not run.rejected
    figure = db.session.scalar(sa.select(MonthlyFigure))
    assert (figure.avg_equity, figure.commission) == (Decimal("1234567.50"), Decimal("1000.00"))
