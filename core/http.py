"""How every request fails, in one place: the API answers {"error", "code", "field"} in the caller's
language (Accept-Language, English by default); pages flash the message and go back, or show an error page.

A service refuses by raising core.errors.ServiceError; `init_app` registers the one handler that answers it
and rolls the transaction back, so views and endpoints catch nothing themselves. A page whose refusal should
show something else than a redirect back (a form that keeps what was typed) says so with `on_refusal`.
"""
from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

from flask import current_app, flash, g, has_request_context, jsonify, redirect, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException
from werkzeug.routing import IntegerConverter

from core.errors import ServiceError
from core.extensions import db
from core.templating import problem_text

MESSAGES = {
    400: _l("bad request"),
    401: _l("a valid API token is required (Authorization: Bearer ...)"),
    403: _l("your role does not allow this"),
    404: _l("not found"),
    405: _l("method not allowed"),
    409: _l("conflict"),
    413: _l("the upload is too large"),
    429: _l("too many requests; wait and try again"),
}
# the stable codes of the answers that do not come from a service
CODES = {400: "request.invalid", 401: "auth.token_required", 403: "auth.forbidden", 404: "request.not_found",
         405: "request.method_not_allowed", 409: "request.conflict", 413: "request.too_large",
         429: "request.too_many"}

# the furthest page anyone reads: beyond it, the offset would overflow the database driver
MAX_PAGE = 1_000_000
# signed by the provider and checked there: their input is the webhooks' own business
UNGUARDED = ("/sms/status", "/sms/inbound", "/static/")
API_PREFIX = "/api/"
API_DEFAULT_LOCALE = "en"


class DatabaseId(IntegerConverter):
    """`<int:...>` in every route: at most nine digits, so that a number past the database's 32-bit ids
    matches no route (404) instead of overflowing the driver (500). The limit is in the pattern, not a
    range check after matching, so that a route with several methods still answers 404, not 405."""

    regex = r"\d{1,9}"


def _has_nul(value) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


def hostile_input() -> tuple[str, str | None] | None:
    """What is wrong with a request no page or endpoint can use, as (message, field), or None.

    PostgreSQL refuses text holding NUL characters (SQLite takes them), so such a request would end in a
    database error; and a page number past MAX_PAGE overflows the offset. Both are refused at the door
    for every page and endpoint, whatever each one checks itself.
    """
    nul = _("text may not contain NUL characters")
    for name, value in request.args.items(multi=True):
        if _has_nul(name) or _has_nul(value):
            return nul, name
    if _has_nul(request.path):
        return nul, None
    for name in ("page", "per_page"):
        value = request.args.get(name, "").strip()
        if value.isdigit() and int(value) > MAX_PAGE:
            return _("%(name)s is at most %(limit)s", name=name, limit=MAX_PAGE), name
    if request.method in ("POST", "PUT", "PATCH"):
        if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
            for name, value in request.form.items(multi=True):
                if _has_nul(name) or _has_nul(value):
                    return nul, name
        elif request.is_json and _has_nul(request.get_json(silent=True)):
            return nul, None
    return None


def api_error(message: str, status: int, field: str | None = None, code: str | None = None, **details):
    """The API's one shape of failure: {"error", "code", "field"} (and `details`, such as compliance's list)."""
    code = code or CODES.get(status, "request.error")
    response = jsonify({"error": str(message), "code": code, "field": field, **details})
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = "Bearer"
    return response


def is_api() -> bool:
    """Whether the current request (if any) is the JSON API's."""
    return has_request_context() and request.path.startswith(API_PREFIX)


def accepted_language(languages) -> str | None:
    """The first of `languages` the request's Accept-Language asks for, also by its primary tag (zh-CN,
    zh-Hans and en-US name zh and en), or None."""
    best = request.accept_languages.best_match(languages)
    if best:
        return best
    for asked, _quality in request.accept_languages:
        primary = asked.replace("_", "-").split("-")[0].lower()
        if primary in languages:
            return primary
    return None


def api_locale() -> str:
    """The API speaks the caller's Accept-Language only (never a page session's choice), English by default,
    so that one API never answers in a mix of languages."""
    return accepted_language(current_app.config["LANGUAGES"]) or API_DEFAULT_LOCALE


# ---- what a page shows when a service refuses -------------------------------------------------------------

def on_refusal(*, back: str | Callable[[ServiceError], str] | None = None,
               render: Callable[[ServiceError], object] | None = None, flash: bool = True) -> None:
    """What this request's page answers a ServiceError with, after the flash and the rollback: a redirect to
    `back` (a URL, or a function of the error giving one), or `render(error)` (a form page that shows again
    with what was typed). Without either, a form goes back to the same-site referrer, else to its own URL if
    that can be read (GET), else to the start page; a page that was only read shows the error page. The
    message is flashed unless `flash` is false (a fragment that shows it itself)."""
    g.refusal_back, g.refusal_render, g.refusal_flash = back, render, flash


def same_site(url: str | None) -> str | None:
    """The path (and query) of `url` when it points into this site (a path of ours, or a full URL of this
    host: a referrer), else None: what every redirect to a URL the request names goes through, so that none is
    an open redirect."""
    if not url or "\\" in url:
        return None
    parts = urlsplit(url)
    if parts.scheme or parts.netloc:
        if parts.scheme not in ("http", "https") or parts.netloc != request.host:
            return None
    elif not parts.path.startswith("/"):
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _readable(path: str) -> bool:
    adapter = current_app.url_map.bind_to_environ(request.environ)
    try:
        adapter.match(path, method="GET")
    except HTTPException:
        return False
    return True


def _back(exc: ServiceError) -> str:
    """Where a refused form goes back to: the page's own choice, the same-site referrer, the form's URL if
    it can be read, or the start page."""
    declared = g.get("refusal_back")
    if declared is not None:
        return declared(exc) if callable(declared) else declared
    here = request.path + (f"?{request.query_string.decode()}" if request.query_string else "")
    return same_site(request.referrer) or (here if _readable(request.path) else "/")


def _error_page(status: int, message: str | None = None):
    titles = {
        400: _("The request could not be understood. Go back and try again."),
        403: _("You do not have access to this page."),
        404: _("This page does not exist."),
        405: _("This page cannot be used this way."),
        413: _("The upload is too large."),
        429: _("Too many sign-in attempts. Wait a few minutes and try again."),
    }
    message = message or titles.get(status, _("Something went wrong (%(status)s).", status=status))
    return render_template("error.html", status=status, message=message), status


def _page_refusal(exc: ServiceError, message: str):
    if exc.status in (403, 404):  # as abort() would: the page of the status, never a hint of what is there
        return _error_page(exc.status)
    render = g.get("refusal_render")
    if request.method == "GET" and render is None and g.get("refusal_back") is None:
        return _error_page(exc.status, message)  # a read that cannot be served: redirecting would loop
    if g.get("refusal_flash", True):
        flash(message, "error")
    if render is not None:
        return render(exc)
    return redirect(_back(exc))


def init_app(app) -> None:
    @app.before_request
    def refuse_hostile_input():
        if request.path.startswith(UNGUARDED):
            return None
        problem = hostile_input()
        if problem is None:
            return None
        if is_api():
            return api_error(problem[0], 400, problem[1], "request.hostile_input")
        return _error_page(400)

    @app.errorhandler(ServiceError)
    def service_error(exc: ServiceError):
        db.session.rollback()
        message = exc.text(problem_text)
        if is_api():
            return api_error(message, exc.status, exc.field, exc.code, **exc.details(problem_text))
        return _page_refusal(exc, message)

    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError):
        if is_api():
            return api_error(_("CSRF token missing or invalid"), 400, code="request.csrf")
        return _error_page(400, _("The form expired or was sent from elsewhere. Go back, reload and try again."))

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        status = exc.code or 500
        if is_api():
            return api_error(MESSAGES.get(status, exc.name), status)
        return _error_page(status)
