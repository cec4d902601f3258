"""A Twilio emulator of the project's own: the part of Twilio's REST API that sending SMS uses, served over
real HTTP (normally on loopback), for tests, demos and benchmarks of the Twilio gateway through the real
``twilio`` SDK (point it here with ``sms.twilio_client.make_client(..., api_base=emulator.base_url)``).

    with TwilioEmulator() as emu:
        client = make_client(emu.account_sid, emu.auth_token, api_base=emu.base_url)
        msg = client.messages.create(to="+15551234567", from_="+15557654321", body="hi")

Served (all under HTTP Basic auth with the account SID and auth token; otherwise 401, code 20003):

* ``POST /2010-04-01/Accounts/{AccountSid}/Messages.json`` (form: To, From or MessagingServiceSid, Body,
  StatusCallback, MediaUrl...) -> 201 and a Message resource shaped like Twilio's (status ``queued``, or
  ``accepted`` when sent through a Messaging Service without From, as Twilio does). Errors, as Twilio:
  21604 no To, 21603 neither From nor MessagingServiceSid, 21602 no Body (nor MediaUrl/ContentSid),
  21617 Body over 1600 characters, 21211 To in `invalid_numbers` (or not E.164 when ``strict_e164``),
  21610 To in `unsubscribed`. Error bodies are ``{"code", "message", "more_info", "status"}``.
* ``GET .../Messages/{Sid}.json`` -> the stored message (its status follows the callbacks sent);
  ``GET .../Messages.json`` -> a page of messages, newest first (To, From, PageSize, Page).
* Any other path: 404, code 20404; another account's path: 404 too.

Faults (thread-safe; queued in order, each consumed by one message-create request; a faulted request
creates no message): `fail_next` (answer 429/500/503 with a Twilio error), `hang_next` (wait before
answering, to trip client timeouts), and `latency` (seconds added to every create, settable any time).

Status callbacks are signed as Twilio signs them (X-Twilio-Signature =
``RequestValidator(auth_token).compute_signature(url, params)``): `callback` posts one now;
``auto_deliver=True`` posts ``sent`` then ``delivered`` after every successful create, from background
threads, with a deterministic (seeded) share ``fail_share`` of messages ending ``undelivered`` with
ErrorCode 30005 instead.

Command line: ``python -m sms.emulator --port 8099 --account-sid AC... --auth-token ... [--latency 0.05]
[--auto-deliver] [--fail-share 0.1]`` serves in the foreground until Ctrl-C/SIGTERM.

Modules: `core` (TwilioEmulator: settings, lifecycle), `server` (HTTP server, request handler, auth and
routing), `store` (message store, validation, Twilio-shaped JSON and error bodies, segment counting),
`faults` (fault injection), `callbacks` (signed status callbacks, auto-delivery), `cli` (``main``).
"""
from __future__ import annotations

from ..signing import API_VERSION as API_VERSION
from .cli import main
from .core import TwilioEmulator
from .store import DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN, count_segments
from .store import ERR_UNKNOWN_HANDSET as ERR_UNKNOWN_HANDSET
from .store import MAX_BODY as MAX_BODY
from .store import log as log

__all__ = ["TwilioEmulator", "DEFAULT_ACCOUNT_SID", "DEFAULT_AUTH_TOKEN", "count_segments", "main"]
