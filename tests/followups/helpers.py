"""Helpers shared by the follow-up tests: a client's SMS through the real, signed webhook, and the page tests'
sign-in, staff and clients."""
from __future__ import annotations

import re

import sqlalchemy as sa

from clients.models import Client
from clients.tiers import Tier
from core.extensions import db
from followups.models import FollowUp
from sms import signing
from sms.gateway import auth_token

TO_NUMBER = "+10000000000"
RESEARCH_TEXT = "螺纹还能拿吗？止损放在哪里"
BUSINESS_TEXT = "我想问一下出金什么时候到账"


def inbound_form(number: str, body: str, sid: str | None = None, **extra) -> dict[str, str]:
    """Twilio's incoming-message webhook fields for an SMS from `number`."""
    return signing.inbound_form(number, TO_NUMBER, body, sid=sid, **extra)


def signature_for(app, form: dict[str, str]) -> str:
    """The X-Twilio-Signature the provider would send for `form` posted to PUBLIC_BASE_URL/sms/inbound."""
    return signing.signature(auth_token(app.config), app.config["PUBLIC_BASE_URL"].rstrip("/") + "/sms/inbound", form)


def reply_from(app, number: str, body: str, sid: str | None = None):
    """POST Twilio's incoming-message webhook for an SMS from `number`, correctly signed, as the provider does;
    in its own app context (its own database session), as a request in a server. Returns the response."""
    form = inbound_form(number, body, sid)
    base = app.config["PUBLIC_BASE_URL"].rstrip("/")
    signature = signature_for(app, form)
    with app.app_context():
        return app.test_client().post("/sms/inbound", data=form, headers={"X-Twilio-Signature": signature},
                                      base_url=base + "/")


def text(response) -> str:
    return response.get_data(as_text=True)


def flashes(page: str) -> str:
    """The flashed messages of a page, joined."""
    return " ".join(re.findall(r'<p class="flash [^"]*" role="status">(.*?)</p>', page, re.S))


def sign_in(auth, email: str) -> None:
    """Sign in (out of any earlier account) and read the pages in English."""
    if auth.token:
        auth.post("/logout")
    assert auth.login(email).status_code == 302
    auth.post("/language/en")


def item_of(client: Client) -> FollowUp:
    """The client's follow-up, read afresh (the webhook wrote it in another session)."""
    db.session.expire_all()
    return db.session.scalar(sa.select(FollowUp).where(FollowUp.client_id == client.id))


def make_desk(make_staff, make_client):
    """One of each role (a researcher on duty, two business staff of one branch) and a client of each of the
    business staff: 83001 王芳 (gold, of a@) and 83002 李强 (diamond, of b@)."""
    people = {
        "chief": make_staff("chief_analyst", email="chief@example.com"),
        "researcher": make_staff("researcher", email="res@example.com", name="研究员甲"),
        "researcher2": make_staff("researcher", email="res2@example.com", name="研究员乙"),
        "approver": make_staff("approver", email="ok@example.com"),
        "admin": make_staff("admin", email="admin@example.com"),
        "a": make_staff("business_staff", email="a@example.com", name="业务甲"),
        "b": make_staff("business_staff", email="b@example.com", name="业务乙"),
    }
    people["researcher"].on_duty = True
    db.session.commit()
    clients = {
        "wang": make_client("83001", name="王芳", owner_id=people["a"].id, tier=Tier.gold),
        "li": make_client("83002", name="李强", owner_id=people["b"].id, tier=Tier.diamond),
    }
    return people, clients
