"""The pages as staff use them: sign-in, client list and page, import report, review and publication."""
from __future__ import annotations

import io

import sqlalchemy as sa

from clients.models import Client, ReviewState, TierReview
from clients.tiers import Tier
from core.audit import AuditEntry
from core.extensions import db


def text(response) -> str:
    return response.get_data(as_text=True)


def test_sign_in_failure_is_audited_and_success_lands_on_home(client, auth, make_staff):
    make_staff("admin", email="a@example.com", name="管理员")
    bad = auth.login("a@example.com", "wrong-password")
    assert bad.status_code == 200
    assert "Wrong email or password" in text(bad) or "邮箱或密码错误" in text(bad)
    failed = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "auth.login_failed"))
    assert failed is not None and failed.actor_label == "a@example.com"
    assert "wrong-password" not in str(failed.detail)
    good = auth.login("a@example.com")
    assert good.status_code == 302
    assert "管理员" in text(client.get("/"))


def test_open_redirect_after_sign_in_is_refused(client, make_staff):
    from tests.conftest import PASSWORD, csrf_from

    make_staff("researcher", email="a@example.com")  # no second factor: this answer is the last redirect
    token = csrf_from(text(client.get("/login")))
    response = client.post("/login?next=//evil.example/x", data={"email": "a@example.com", "password": PASSWORD,
                                                                  "csrf_token": token})
    assert response.status_code == 302 and response.headers["Location"] == "/"


def test_csrf_is_required_on_forms(client, auth, make_staff):
    make_staff("admin", email="a@example.com")
    no_token = client.post("/login", data={"email": "a@example.com", "password": "correct-horse-1"})
    assert no_token.status_code == 400
    auth.login("a@example.com")
    for path in ("/logout", "/language/en", "/tier-reviews", "/imports"):
        assert client.post(path, data={}).status_code == 400, path


def test_session_cookie_flags(client, auth, make_staff):
    make_staff("admin", email="a@example.com")
    response = auth.login("a@example.com")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_business_staff_page_shows_only_own_clients(client, auth, make_staff, make_client):
    me = make_staff("business_staff", email="me@example.com", staff_code="S01")
    other = make_staff("business_staff", email="other@example.com", staff_code="S02")
    make_client("84001", name="我的客户", owner_id=me.id)
    make_client("84002", name="别人的客户", owner_id=other.id)
    auth.login("me@example.com")
    page = text(client.get("/clients"))
    assert "我的客户" in page and "别人的客户" not in page
    assert client.get("/clients/84001").status_code == 200
    assert client.get("/clients/84002").status_code == 404  # as if there were none: see test_confidential


def test_client_list_filters_and_search(client, auth, make_staff, make_client):
    make_staff("admin", email="a@example.com")
    make_client("84010", name="黄金客户", tier=Tier.gold)
    make_client("84011", name="休眠客户", tier=Tier.dormant, mobile="+8613900007777")
    auth.login("a@example.com")
    assert "黄金客户" in text(client.get("/clients?tier=vip")) and "休眠客户" not in text(client.get("/clients?tier=vip"))
    assert "休眠客户" in text(client.get("/clients?q=7777"))
    assert "黄金客户" not in text(client.get("/clients?q=7777"))
    assert client.get("/clients?tier=bogus").status_code == 200  # shown with a message, not a crash


def test_names_with_markup_are_shown_as_text(client, auth, make_staff, make_client):
    make_staff("admin", email="a@example.com")
    make_client("84020", name="<script>alert(1)</script>")
    auth.login("a@example.com")
    for path in ("/clients", "/clients/84020"):
        page = text(client.get(path))
        assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page


def test_import_page_reports_each_bad_row(client, auth, make_staff):
    make_staff("admin", email="a@example.com")
    auth.login("a@example.com")
    data = "资金账号,客户名称,手机号码\n85001,好,13812345678\n85002,坏,999\n85003,,13812345679\n".encode("gbk")
    response = auth.post("/imports", {"kind": "clients", "clients-file": (io.BytesIO(data), "book.csv")},
                         content_type="multipart/form-data", follow_redirects=True)
    page = text(response)
    assert response.status_code == 200
    assert "999" in page and "85002" in page and "85003" in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Client)) == 1


def test_import_page_explains_an_unreadable_file(client, auth, make_staff):
    make_staff("admin", email="a@example.com")
    auth.login("a@example.com")
    response = auth.post("/imports", {"kind": "clients", "clients-file": (io.BytesIO(b"a,b\n1,2\n"), "x.csv")},
                         content_type="multipart/form-data")
    assert response.status_code == 200 and "资金账号、客户名称" in text(response) and "account_no" not in text(response)


def test_review_page_shows_changes_and_publishes(client, auth, make_staff, make_client, add_figures):
    make_staff("approver", email="c@example.com")
    c = make_client("86001", name="升级客户", tier=Tier.quality)
    for month in ("2026-07", "2026-08", "2026-09"):
        add_figures(c, month, avg_equity="2000000")
    auth.login("c@example.com")
    made = auth.post("/tier-reviews", {"quarter": "2026Q3"})
    assert made.status_code == 302
    review = db.session.scalar(sa.select(TierReview))
    page = text(client.get(f"/tier-reviews/{review.id}?change=up"))
    assert "升级客户" in page
    assert auth.post("/tier-reviews", {"quarter": "2026Q9"}).status_code == 200  # form error, nothing made
    assert auth.post("/tier-reviews", {"quarter": "2099Q1"}).status_code == 200  # not ended: refused
    assert db.session.scalar(sa.select(sa.func.count()).select_from(TierReview)) == 1
    published = auth.post(f"/tier-reviews/{review.id}/publish", follow_redirects=True)
    assert published.status_code == 200
    db.session.expire_all()
    assert db.session.get(TierReview, review.id).state == ReviewState.published
    assert db.session.scalar(sa.select(Client.tier).where(Client.account_no == "86001")) == Tier.gold
    history = text(client.get("/clients/86001"))
    assert "2026Q3" in history


def test_language_switch_shows_chinese_and_english(client, auth, make_staff):
    make_staff("admin", email="a@example.com")
    auth.login("a@example.com")
    auth.post("/language/en")
    assert "Clients" in text(client.get("/"))
    auth.post("/language/zh")
    assert "客户" in text(client.get("/"))


def test_consent_is_recorded_with_when_and_how(client, auth, make_staff, make_client):
    me = make_staff("business_staff", email="me@example.com", staff_code="S01")
    make_client("86010", owner_id=me.id)
    auth.login("me@example.com")
    assert "86010" in text(client.get("/clients/86010"))
    assert auth.post("/clients/86010/consent", {"opted_out": "1", "how": ""}).status_code == 302
    assert db.session.scalar(sa.select(Client.opted_out).where(Client.account_no == "86010")) is False
    auth.post("/clients/86010/consent", {"opted_out": "1", "how": "客户来电要求"})
    db.session.expire_all()
    c = db.session.scalar(sa.select(Client).where(Client.account_no == "86010"))
    assert c.opted_out is True and c.opt_out_source == "客户来电要求" and c.opted_out_at is not None
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "client.opt_out"))
    assert entry.object_id == "86010" and entry.actor_id == me.id
    assert "客户来电要求" in text(client.get("/clients/86010"))
    auth.post("/clients/86010/consent", {"opted_out": "0", "how": "书面申请恢复"})
    db.session.expire_all()
    assert db.session.scalar(sa.select(Client.opted_out).where(Client.account_no == "86010")) is False


def test_a_stale_draft_says_why_it_cannot_be_published(client, auth, make_staff):
    from clients.reviews import create_review

    make_staff("approver", email="c@example.com")
    first = create_review(db.session, "2026Q3")
    second = create_review(db.session, "2026Q3")
    db.session.commit()
    auth.login("c@example.com")
    assert auth.post(f"/tier-reviews/{second.id}/publish").status_code == 302
    page = text(client.get(f"/tier-reviews/{first.id}"))
    assert f"/tier-reviews/{first.id}/publish" not in page and "2026Q3" in page
    refused = auth.post(f"/tier-reviews/{first.id}/publish", follow_redirects=True)
    assert refused.status_code == 200
    db.session.expire_all()
    assert db.session.get(TierReview, first.id).state == ReviewState.draft
    listing = text(client.get("/tier-reviews"))
    assert listing.count("badge ok") == 2  # "published" and "current tiers" on the second review only


def test_how_a_client_opted_out_is_shown_in_the_readers_language(client, auth, make_staff, make_client):
    """The system stores how a client opted out in English ("sms reply SM…", "carrier 21610"); the client's page
    shows it in Chinese, the SMS id kept, and a person's own words as written."""
    from datetime import datetime, timezone

    make_staff("admin", email="a@example.com")
    for account, how in (("87001", "sms reply SM0123456789abcdef"), ("87002", "carrier 21610"),
                         ("87003", "电话告知")):
        c = make_client(account)
        c.opted_out, c.opted_out_at, c.opt_out_source = True, datetime(2026, 11, 20, 2, tzinfo=timezone.utc), how
    db.session.commit()
    auth.login("a@example.com")
    assert "短信回复 SM0123456789abcdef" in text(client.get("/clients/87001"))
    page = text(client.get("/clients/87002"))
    assert "运营商拒收（错误 21610）" in page and "carrier 21610" not in page
    assert "电话告知" in text(client.get("/clients/87003"))
