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

from clients.models import Client
from core import clock
from core.extensions import db
from core.roles import require
from messaging import inbound
from messaging.models import InboundMessage, OutboundMessage
from sms import signing
from sms.segments import measure

bp = Blueprint("phone", __name__, url_prefix="/sms/phone")

PICK_LIMIT = 200
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
    """`?account=` picks the client; `&part=thread` answers the conversation alone, for the page's polling."""
    account = (request.args.get("account") or "").strip()
    client = _client(account)
    problem = None
    if account and client is None:
        problem = _("There is no client with account number %(account)s.", account=account)
    elif client is not None and not client.mobile:
        problem = _("This client has no mobile number on file.")
    lines = conversation(client) if client is not None and client.mobile else []
    if request.args.get("part") == "thread":
        return render_template("followups/_phone_thread.html", lines=lines, client=client)
    clients = db.session.scalars(sa.select(Client).where(Client.mobile.is_not(None))
                                 .order_by(Client.account_no).limit(PICK_LIMIT))
    return render_template("followups/phone.html", client=client, account=account, problem=problem, lines=lines,
                           clients=list(clients), max_body=MAX_BODY)


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
    return redirect(url_for("phone.phone", account=account))
