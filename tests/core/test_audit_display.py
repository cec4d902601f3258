"""The audit log in the reader's language, on the page and in its export: what acted without a person is named
("发送进程", not "worker"), details are "label: value" with Chinese as itself, and every time is in TIMEZONE."""
from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

from flask import current_app
from flask_babel import force_locale, gettext
from markupsafe import escape
from openpyxl import load_workbook

from core import audit
from core.audit_display import detail_text
from core.extensions import db

SEND_AT = datetime(2026, 3, 2, 0, 30, tzinfo=UTC)  # 08:30 in Shanghai


def _zh(text: str) -> str:
    with current_app.test_request_context(), force_locale("zh"):
        return gettext(text)


def _entries():
    at = datetime(2026, 3, 1, 16, 5, tzinfo=UTC)  # 2 March 00:05 in Shanghai, still 1 March in UTC
    audit.record(db.session, "broadcast.start", actor_label="worker", obj_type="broadcast", obj_id=7,
                 detail={"send_at": SEND_AT.isoformat(), "reason": "螺纹钢早评"}).at = at
    audit.record(db.session, "client.opt_out", actor_label="sms reply", obj_type="client", obj_id=3,
                 detail={"how": "sms", "text": "=1+1"}).at = at
    db.session.commit()


def test_the_page_names_actors_and_shows_local_times(app, client, auth, make_staff):
    make_staff("admin", email="admin@example.com")
    _entries()
    auth.login("admin@example.com")
    page = client.get("/audit").get_data(as_text=True)
    assert ">worker<" not in page and ">sms reply<" not in page
    assert f">{_zh('sending worker')}<" in page and f">{escape(_zh('the client' + chr(39) + 's SMS reply'))}<" in page
    assert "2026-03-02 00:05:00" in page  # the entry's time
    assert "2026-03-02 08:30:00" in page and "+00:00" not in page  # a time inside the details
    assert "原因: 螺纹钢早评" in page and "\\u87ba" not in page


def test_the_export_is_the_page_as_a_spreadsheet(app, client, auth, make_staff):
    make_staff("admin", email="admin@example.com")
    _entries()
    auth.login("admin@example.com")
    response = client.get("/audit.csv")
    assert response.status_code == 200 and response.data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows[0] == [_zh(h) for h in ("Time", "Who", "Action", "Object", "Detail", "IP address")]
    assert rows[0][:2] == ["时间", "操作人"]
    worker = next(r for r in rows if r[1] == _zh("sending worker"))
    assert worker[0] == "2026-03-02 00:05:00" and "2026-03-02 08:30:00" in worker[4] and "螺纹钢早评" in worker[4]
    reply = next(r for r in rows if "1+1" in r[4])
    assert reply[4].endswith("=1+1")  # inside the text, so never the start of a formula
    only = list(csv.reader(io.StringIO(client.get("/audit.csv?action=client.opt_out").data.decode("utf-8-sig"))))
    assert len(only) == 2
    sheet = load_workbook(io.BytesIO(client.get("/audit.xlsx").data)).active
    assert [c.value for c in sheet[1]] == rows[0] and sheet.max_row == len(rows)
    assert client.get("/audit.exe").status_code == 404


def test_detail_text_neutralises_nothing_it_need_not_and_translates_known_words(app):
    with app.test_request_context(), force_locale("en"):
        assert detail_text({"reason": "bad credentials", "forced": True}, "Asia/Shanghai") == \
            "Reason: wrong email or password; Forced: yes"
        assert detail_text({"roles": ["admin", "approver"], "unknown_key": 3}, "Asia/Shanghai") == \
            "Roles: Administrator、Approver (compliance); unknown_key: 3"


def test_details_that_are_codes_read_as_the_pages_name_them(app):
    """A state change, a clone, a test send: states, kinds, fields and queues by their names, each key by what it
    holds (a clone's source is no 'previous state', a test send's number no 'new state')."""
    with app.test_request_context(), force_locale("zh"):
        changed = detail_text({"from": "approved", "to": "draft", "fields": ["title", "body"]}, "Asia/Shanghai")
        assert changed == "原状态: 已批准; 新状态: 草稿; 字段: 标题、短信内容"
        kind = detail_text({"kind": "daily_comment", "queue": "research"}, "Asia/Shanghai")
        assert kind == "类型: 日评; 队列: 研究"
        clone = detail_text({"source": 12, "source_version": 3}, "Asia/Shanghai")
        assert clone == "复制自群发: 12; 复制时的版本: 3"
        sent = detail_text({"message_id": 40, "mobile": "139****1111", "segments": 2}, "Asia/Shanghai")
        assert sent == "短信编号: 40; 手机号码: 139****1111; 计费条数: 2"
        assert detail_text({"by": "totp"}, "Asia/Shanghai") == "方式: 验证器动态码"
        # a detail written as None says nothing, and a scheduling's own keys are named
        scheduled = detail_text({"send_at": None, "recurrence": None, "confirmed_duplicate": True}, "Asia/Shanghai")
        assert scheduled == "明知24小时内已发过相同内容仍发送: 是"
