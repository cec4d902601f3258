"""Webhooks from the SMS provider. Each request must carry Twilio's signature over PUBLIC_BASE_URL + path,
so that they work behind a proxy and nobody else can move a message's state."""
from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, request
from flask_babel import gettext as _
from twilio.request_validator import RequestValidator
from twilio.twiml.messaging_response import MessagingResponse

from core import clock
from core.extensions import csrf, db
from messaging import dispatch, inbound
from sms.gateway import auth_token

bp = Blueprint("sms", __name__, url_prefix="/sms")
csrf.exempt(bp)  # signed by the provider instead

MAX_WEBHOOK_BYTES = 64 * 1024


def verified_form() -> dict[str, str]:
    """The form of a correctly signed webhook; 403 when the signature is missing or wrong, 413 when huge."""
    if (request.content_length or 0) > MAX_WEBHOOK_BYTES:
        abort(413)
    signature = request.headers.get("X-Twilio-Signature", "")
    url = current_app.config["PUBLIC_BASE_URL"].rstrip("/") + request.full_path.rstrip("?")
    form = request.form.to_dict()
    token = auth_token(current_app.config) if current_app.config.get("SMS_GATEWAY") != "twilio" \
        else current_app.config.get("TWILIO_AUTH_TOKEN")
    if not signature or not token or not RequestValidator(token).validate(url, form, signature):
        abort(403)
    return form


@bp.post("/status")
def status():
    form = verified_form()
    sid = form.get("MessageSid") or form.get("SmsSid")
    reported = form.get("MessageStatus") or form.get("SmsStatus")
    if not sid or not reported:
        abort(400)
    message_id = request.args.get("m", "")
    dispatch.apply_callback(db.session, sid[:64], reported, form.get("ErrorCode") or None, clock.now(),
                            int(message_id) if message_id.isdigit() else None)
    db.session.commit()
    return "", 204


def twiml(text: str = "") -> Response:
    answer = MessagingResponse()
    if text:
        answer.message(text)
    return Response(str(answer), mimetype="text/xml")


@bp.post("/inbound", endpoint="inbound")
def inbound_message():
    """A client's SMS. Stored (and committed) before anything else; a replay of the same MessageSid is
    answered the same way and changes nothing; what happens next is the registered handler's (follow-ups)."""
    form = verified_form()
    try:
        incoming = inbound.parse_webhook(form)
    except inbound.BadWebhook as exc:
        return Response(_(exc.template, **exc.args_), status=400, mimetype="text/plain")
    return twiml(inbound.receive(current_app._get_current_object(), db.session, incoming, clock.now()))
