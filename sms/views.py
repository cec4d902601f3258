"""Webhooks from the SMS provider. Each request must carry Twilio's signature over PUBLIC_BASE_URL + path,
so that they work behind a proxy and nobody else can move a message's state."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, request
from twilio.request_validator import RequestValidator

from broadcast import dispatch
from core.extensions import csrf, db
from core.timeutil import utcnow
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
    dispatch.apply_callback(db.session, sid[:64], reported, form.get("ErrorCode") or None, utcnow(),
                            int(message_id) if message_id.isdigit() else None)
    db.session.commit()
    return "", 204
