"""What an import says about a file names its columns as people name them (the settlement system's Chinese
headers, as the import page lists them), never the code's keys ("name/客户名称", "risk_tolerance/...")."""
from __future__ import annotations

import io
import re

import pytest

from clients.imports import import_clients
from clients.parsing import FileError
from core.extensions import db


def _refusal(data: str) -> FileError:
    with pytest.raises(FileError) as info:
        import_clients(db.session, data.encode(), "clients.csv")
    return info.value


KEYS = re.compile(r"account_no|\bname\b|risk_tolerance|risk_assessed_on|[a-z_]+/")


@pytest.mark.parametrize(("data", "named"), [
    ("资金账号,手机号码\n1,+8613800000001\n", "客户名称"),
    ("手机号码\n+8613800000001\n", "资金账号、客户名称"),
    ("资金账号,客户名称,name\n1,甲,乙\n", "客户名称"),                     # the same column twice
    ("资金账号,客户名称,风险承受能力\n1,甲,C3\n", "风险测评日期"),           # one of two that come together
])
def test_file_problems_name_columns_as_users_do(app, data, named):
    problem = _refusal(data)
    shown = problem.template % problem.args_ if problem.args_ else problem.template
    assert named in shown and not KEYS.search(shown), shown


def test_the_import_page_says_which_column_is_missing_in_chinese(app, client, auth, make_staff):
    make_staff("admin", email="admin@example.com")
    auth.login("admin@example.com")
    response = auth.post("/imports", {"kind": "clients",
                                      "clients-file": (io.BytesIO("资金账号,手机号码\n1,+8613800000001\n".encode()),
                                                       "f.csv")},
                         content_type="multipart/form-data", follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "缺少列：客户名称" in page and "name/" not in page
