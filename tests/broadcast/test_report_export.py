"""The delivery report as people open it in Excel: CSV with a BOM and XLSX, the same rows, headers and states
in the reader's language, times in TIMEZONE, formulas neutralised."""
from __future__ import annotations

import csv
import io

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale, gettext
from openpyxl import load_workbook

from clients.models import Client
from core.extensions import db
from core.timeutil import to_local
from messaging.models import OutboundMessage
from tests.broadcast.helpers import start_now


def _zh(text: str) -> str:
    """The header in Chinese, from the catalogue (tests/core/test_catalogue.py holds it complete)."""
    with current_app.test_request_context(), force_locale("zh"):
        return gettext(text)


def _sent(app, client, auth, approved, clock, worker, language="zh"):
    db.session.scalar(sa.select(Client).where(Client.account_no == "1")).name = "=HYPERLINK(\"x\")"
    db.session.commit()
    start_now(app, approved, clock, worker)
    worker.send_batch()
    auth.login(approved.chief.email)
    if language != "zh":
        auth.post(f"/language/{language}")


def test_csv_report_speaks_chinese_with_local_times(app, client, auth, approved, clock, worker):
    _sent(app, client, auth, approved, clock, worker)
    response = client.get(f"/broadcasts/{approved.id}/report.csv")
    assert response.mimetype == "text/csv" and "filename=broadcast-" in response.headers["Content-Disposition"]
    assert response.data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows[0][:5] == ["资金账号", "客户名称", "手机号码", "客户等级", "状态"]
    assert rows[0][5:] == [_zh(h) for h in ("Error", "Segments", "Provider message ID", "Handed over at", "Note opens")]
    assert len(rows) == 6
    first = rows[1]
    assert first[1] == "'=HYPERLINK(\"x\")" and first[2] == "138****0001"  # masked for the analyst
    assert first[3] == "黄金" and first[4] == "服务商排队中"
    handed = db.session.scalars(sa.select(OutboundMessage.handed_over_at).order_by(OutboundMessage.id)).first()
    assert first[8] == to_local(handed, "Asia/Shanghai").strftime("%Y-%m-%d %H:%M:%S")
    assert "+00:00" not in response.data.decode("utf-8-sig")


def test_xlsx_report_has_the_same_rows(app, client, auth, approved, clock, worker):
    _sent(app, client, auth, approved, clock, worker)
    as_csv = list(csv.reader(io.StringIO(client.get(f"/broadcasts/{approved.id}/report.csv").data.decode("utf-8-sig"))))
    response = client.get(f"/broadcasts/{approved.id}/report.xlsx")
    assert response.status_code == 200 and response.mimetype.endswith("spreadsheetml.sheet")
    sheet = load_workbook(io.BytesIO(response.data)).active
    as_xlsx = [["" if v is None else str(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    assert as_xlsx == as_csv
    assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)
    assert client.get(f"/broadcasts/{approved.id}/report.pdf").status_code == 404


def test_english_readers_get_english_headers(app, client, auth, approved, clock, worker):
    _sent(app, client, auth, approved, clock, worker, language="en")
    with app.app_context():  # a fresh g, so that the language chosen above is read again
        data = client.get(f"/broadcasts/{approved.id}/report.csv").data.decode("utf-8-sig")
    assert data.startswith("Account,Name,Mobile,Tier,State,") and "Gold" in data
