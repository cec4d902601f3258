"""Imports of investor category and risk assessment (投资者类别, 风险承受能力, 风险测评日期): CSV and XLSX, Chinese and
English headers and values, bad values refused per row, and a file without the columns changing nothing."""
from __future__ import annotations

import io
from datetime import date, datetime

import pytest
import sqlalchemy as sa
from openpyxl import Workbook

from clients.appropriateness import InvestorType, RiskTolerance
from clients.imports import import_clients
from clients.models import Client
from clients.parsing import FileError
from core.extensions import db

HEADER_ZH = "资金账号,客户名称,投资者类别,风险承受能力,风险测评日期"
HEADER_EN = "account_no,name,investor_type,risk_tolerance,risk_assessed_on"


def csv_bytes(lines: list[str], encoding: str = "utf-8") -> bytes:
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


def xlsx_bytes(rows: list[list[object]]) -> bytes:
    wb = Workbook()
    for row in rows:
        wb.active.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def run(data: bytes, filename: str = "clients.csv"):
    result = import_clients(db.session, data, filename)
    db.session.commit()
    return result


def stored(account: str) -> tuple:
    db.session.expire_all()
    c = db.session.scalar(sa.select(Client).where(Client.account_no == account))
    return c.investor_type, c.risk_tolerance, c.risk_assessed_on


@pytest.mark.parametrize("encoding", ["utf-8-sig", "gbk"])
def test_chinese_headers_and_values_in_csv(app, encoding):
    result = run(csv_bytes([HEADER_ZH, "80001,张伟,普通,稳健型,2025-03-02", "80002,李娜,专业,C5,2024/12/31",
                            "80003,王强,普通投资者,保守型,20260105", "80004,赵敏,,,"], encoding))
    assert (result.created, result.rejected) == (4, [])
    assert stored("80001") == (InvestorType.ordinary, RiskTolerance.C3, date(2025, 3, 2))
    assert stored("80002") == (InvestorType.professional, RiskTolerance.C5, date(2024, 12, 31))
    assert stored("80003") == (InvestorType.ordinary, RiskTolerance.C1, date(2026, 1, 5))
    assert stored("80004") == (None, None, None)


def test_english_headers_and_values_any_case_and_full_width(app):
    result = run(csv_bytes([HEADER_EN, "80011,Li Lei,Ordinary,c4,2025-06-30", "80012,Han Meimei,PROFESSIONAL,Ｃ２,2025-01-01",
                            "80013,Jim,专业,积极型,2025-01-01"]))
    assert (result.created, result.rejected) == (3, [])
    assert stored("80011") == (InvestorType.ordinary, RiskTolerance.C4, date(2025, 6, 30))
    assert stored("80012") == (InvestorType.professional, RiskTolerance.C2, date(2025, 1, 1))
    assert stored("80013")[1] == RiskTolerance.C4


def test_xlsx_with_date_cells(app):
    data = xlsx_bytes([["资金账号", "客户名称", "投资者类别", "风险承受能力", "风险测评日期"],
                       [80021, "张伟", "普通", "激进型", datetime(2025, 5, 6)],
                       ["80022", "李娜", "professional", "C1", "2024-02-29"],
                       ["80023", "王强", "普通", "C9", "2025-01-01"]])
    result = run(data, "clients.xlsx")
    assert result.created == 2
    assert stored("80021") == (InvestorType.ordinary, RiskTolerance.C5, date(2025, 5, 6))
    assert stored("80022") == (InvestorType.professional, RiskTolerance.C1, date(2024, 2, 29))
    assert [(r["line"], r["account_no"]) for r in result.rejected] == [(4, "80023")]
    assert "C9" in result.rejected[0]["reason"]


@pytest.mark.parametrize(("row", "says"), [
    ("80031,甲,散户,C3,2025-01-01", "investor type 散户"),
    ("80031,甲,普通,C6,2025-01-01", "risk tolerance C6"),
    ("80031,甲,普通,中风险,2025-01-01", "risk tolerance 中风险"),
    ("80031,甲,普通,C3,2025-13-01", "2025-13-01"),
    ("80031,甲,普通,C3,", "has no assessment date"),
    ("80031,甲,普通,,2025-01-01", "has no risk tolerance"),
    ("80031,甲,普通,C3,2099-01-01", "is in the future"),
])
def test_bad_values_are_refused_per_row_with_a_reason(app, row, says):
    result = run(csv_bytes([HEADER_ZH, row, "80032,乙,普通,C2,2025-01-01"]))
    assert result.created == 1 and stored("80032")[1] == RiskTolerance.C2
    assert [(r["line"], r["account_no"]) for r in result.rejected] == [(2, "80031")]
    assert says in result.rejected[0]["reason"]
    assert db.session.scalar(sa.select(Client).where(Client.account_no == "80031")) is None


def test_a_bad_assessment_leaves_a_stored_client_as_it_was(app, make_client):
    make_client("80041", name="甲", investor_type=InvestorType.ordinary, risk_tolerance=RiskTolerance.C4,
                risk_assessed_on=date(2025, 1, 1))
    result = run(csv_bytes([HEADER_ZH, "80041,甲,普通,C7,2026-01-01"]))
    assert len(result.rejected) == 1
    assert stored("80041") == (InvestorType.ordinary, RiskTolerance.C4, date(2025, 1, 1))


def test_an_import_without_the_columns_leaves_the_stored_values(app, make_client):
    make_client("80051", name="甲", investor_type=InvestorType.professional, risk_tolerance=RiskTolerance.C3,
                risk_assessed_on=date(2025, 1, 1))
    result = run(csv_bytes(["资金账号,客户名称,手机号码", "80051,甲乙,13812345678"]))
    assert (result.updated, result.rejected) == (1, [])
    assert stored("80051") == (InvestorType.professional, RiskTolerance.C3, date(2025, 1, 1))
    result = run(csv_bytes(["资金账号,客户名称,投资者类别", "80051,甲乙,普通"]))
    assert stored("80051") == (InvestorType.ordinary, RiskTolerance.C3, date(2025, 1, 1))


def test_a_new_assessment_updates_and_the_same_file_again_changes_nothing(app, make_client):
    make_client("80061", name="甲", investor_type=InvestorType.ordinary, risk_tolerance=RiskTolerance.C2,
                risk_assessed_on=date(2023, 1, 1))
    data = csv_bytes([HEADER_ZH, "80061,甲,普通,积极型,2026-01-10"])
    assert run(data).updated == 1
    assert stored("80061") == (InvestorType.ordinary, RiskTolerance.C4, date(2026, 1, 10))
    again = run(data)
    assert (again.updated, again.unchanged) == (0, 1)


def test_a_tolerance_without_its_date_column_is_refused_as_a_file(app):
    with pytest.raises(FileError) as info:
        run(csv_bytes(["资金账号,客户名称,风险承受能力", "80071,甲,C3"]))
    assert "come together" in str(info.value)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Client)) == 0


def test_the_api_import_takes_the_columns_and_reports_bad_rows(app, client, make_staff, api_token):
    headers = api_token(make_staff("admin"))
    data = csv_bytes([HEADER_EN, "80081,甲,ordinary,C3,2025-01-01", "80082,乙,ordinary,C0,2025-01-01"])
    answer = client.post("/api/v1/clients/import", headers={**headers, "Content-Type": "text/csv"}, data=data)
    assert answer.status_code == 200 and answer.json["created"] == 1
    assert [r["account_no"] for r in answer.json["rejected"]] == ["80082"]
    got = client.get("/api/v1/clients/80081", headers=headers).json
    assert (got["investor_type"], got["investor_type_name"], got["risk_tolerance"], got["risk_tolerance_name"],
            got["risk_assessed_on"]) == ("ordinary", "普通投资者", "C3", "稳健型", "2025-01-01")


def test_the_client_page_shows_the_assessment_and_its_expiry(app, client, auth, make_staff, make_client):
    make_staff("admin", email="admin@example.com")
    make_client("80091", investor_type=InvestorType.ordinary, risk_tolerance=RiskTolerance.C3,
                risk_assessed_on=date(2020, 1, 1))
    make_client("80092", investor_type=InvestorType.professional, risk_tolerance=None, risk_assessed_on=None)
    auth.login("admin@example.com")
    page = client.get("/clients/80091").get_data(as_text=True)
    tolerance = page[page.index('id="risk-tolerance"'):][:600]
    assert "C3 稳健型" in tolerance and "2020-01-01" in tolerance and "2023-01-01" in tolerance
    assert "R1" in tolerance  # expired: nothing above R1
    professional = client.get("/clients/80092").get_data(as_text=True)
    assert "R1" not in professional[professional.index('id="risk-tolerance"'):][:600]
