"""The simulator's "client phone": an admin sends an SMS as a chosen client and watches that client's messages
both ways. The reply enters exactly where the provider's webhook hands it over (messaging.inbound.receive:
checked, stored first, routed), so the demo shows the whole loop: intake, classification, routing, the
queue, the answer and its delivery.

Only while the simulator is the gateway (404 otherwise): with Twilio the phones are real.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from clients import privacy
from clients.models import Client
from core import clock
from core.extensions import db
from core.roles import require
from followups import phone_lookup, service
from messaging import inbound
from messaging.models import InboundMessage, OutboundMessage
from sms import signing
from sms.segments import measure

bp = Blueprint("phone", __name__, url_prefix="/sms/phone")

THREAD_LIMIT = 100
MAX_BODY = inbound.MAX_BODY_CHARS  # what the webhook accepts
DEFAULT_TO = "+10000000000"


@bp.before_request
def simulator_only():
    if current_app.config.get("SMS_GATEWAY", "simulator") != "simulator":
        abort(404)


@dataclass
class Line:
    at: datetime
    direction: str  # "in" (the client's SMS) or "out" (to the client)
    body: str
    state: str | None = None
    purpose: str | None = None
    error: str | None = None


def conversation(client: Client, limit: int = THREAD_LIMIT) -> list[Line]:
    """The client's last messages both ways, oldest first."""
    lines = [Line(m.received_at, "in", m.body) for m in db.session.scalars(
        sa.select(InboundMessage).where(InboundMessage.from_number == client.mobile)
        .order_by(InboundMessage.id.desc()).limit(limit))]
    lines += [Line(m.handed_over_at or m.created_at, "out", m.body, m.state.value, m.purpose.value, m.error_code)
              for m in db.session.scalars(sa.select(OutboundMessage).where(OutboundMessage.client_id == client.id)
                                          .order_by(OutboundMessage.id.desc()).limit(limit))]
    lines.sort(key=lambda line: line.at)
    return lines[-limit:]


def _client(account: str) -> Client | None:
    return db.session.scalar(sa.select(Client).where(Client.account_no == account)) if account else None


@bp.get("", endpoint="phone")
@require("sms.phone")
def phone_page():
    """`?account=` picks the client; `q` (name, account, masked mobile) and `broadcast` (its recipients) find
    one; `sent` (a reply's provider id) says where that reply went. `part=thread` and `part=routed` answer the
    conversation or where the reply went alone, for the page's polling."""
    account = (request.args.get("account") or "").strip()
    client = _client(account)
    problem = None
    if account and client is None:
        problem = _("There is no client with account number %(account)s.", account=account)
    elif client is not None and not client.mobile:
        problem = _("This client has no mobile number on file.")
    lines = conversation(client) if client is not None and client.mobile else []
    sent = (request.args.get("sent") or "").strip()[:64]
    reached = phone_lookup.reached(db.session, sent, client) if sent and client is not None and client.mobile else None
    if request.args.get("part") == "thread":
        return render_template("followups/_phone_thread.html", lines=lines, client=client)
    if request.args.get("part") == "routed":
        return render_template("followups/_phone_routed.html", reached=reached, **_reach_context(reached))
    q = (request.args.get("q") or "").strip()[:100]
    broadcast_id = request.args.get("broadcast", type=int)
    found = phone_lookup.find_clients(db.session, q, broadcast_id) if client is None or q or broadcast_id else []
    return render_template("followups/phone.html", client=client, account=account, problem=problem, lines=lines,
                           clients=found, masked={c.id: privacy.mobile_for(current_user, c) for c in found},
                           q=q, broadcast_id=broadcast_id, broadcasts=phone_lookup.sent_broadcasts(db.session),
                           sent=sent if reached is not None else "", reached=reached, max_body=MAX_BODY,
                           **_reach_context(reached))


def _reach_context(reached: phone_lookup.Reached | None) -> dict:
    """Whether the admin may open the item the reply reached (admins see the triage queue only)."""
    item = reached.item if reached is not None else None
    try:
        opens = item is not None and service.get_item(db.session, current_user, item.id) is not None
    except service.Forbidden:
        opens = False
    return {"opens_item": opens}


@bp.post("/send", endpoint="send")
@require("sms.phone")
def send():
    """Send `body` as the client `account`: checked as the webhook checks a provider's message, then stored
    and routed by the same intake (messaging.inbound.receive)."""
    account = (request.form.get("account") or "").strip()
    body = (request.form.get("body") or "").strip()
    client = _client(account)
    if client is None or not client.mobile:
        flash(_("Choose a client with a mobile number first."), "error")
        return redirect(url_for("phone.phone", account=account or None))
    if not body or len(body) > MAX_BODY:
        flash(_("Write a message of 1 to %(limit)s characters.", limit=MAX_BODY), "error")
        return redirect(url_for("phone.phone", account=account))
    config = current_app.config
    form = signing.inbound_form(client.mobile, config.get("TWILIO_FROM") or DEFAULT_TO, body,
                                segments=measure(body).segments)
    try:  # checked as the webhook checks what the provider sends
        incoming = inbound.parse_webhook(form)
    except inbound.BadWebhook as exc:
        flash(_("The message was refused: %(text)s", text=_(exc.template, **exc.args_)), "error")
        return redirect(url_for("phone.phone", account=account))
    name = client.name
    db.session.rollback()  # end this request's transaction: intake stores and routes in its own
    inbound.receive(current_app._get_current_object(), db.session, incoming, clock.now())
    flash(_("Sent as %(name)s. The reply was stored and routed into the follow-up queues as a real one is.",
            name=name), "success")
    return redirect(url_for("phone.phone", account=account, sent=incoming.sid))
