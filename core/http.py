"""Error pages and JSON errors: the API answers {"error", "field"}; pages answer with a readable page."""
from __future__ import annotations

from flask import jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException
from werkzeug.routing import IntegerConverter

MESSAGES = {
    400: "bad request",
    401: "a valid API token is required (Authorization: Bearer ...)",
    403: "your role does not allow this",
    404: "not found",
    405: "method not allowed",
    409: "conflict",
    413: "the upload is too large",
    429: "too many requests; wait and try again",
}

# the furthest page anyone reads: beyond it, the offset would overflow the database driver
MAX_PAGE = 1_000_000
# signed by the provider and checked there: their input is the webhooks' own business
UNGUARDED = ("/sms/status", "/sms/inbound", "/static/")


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


def api_error(message: str, status: int, field: str | None = None):
    response = jsonify({"error": message, "field": field})
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = "Bearer"
    return response


def _is_api() -> bool:
    return request.path.startswith("/api/")


def init_app(app) -> None:
    @app.before_request
    def refuse_hostile_input():
        if request.path.startswith(UNGUARDED):
            return None
        problem = hostile_input()
        if problem is None:
            return None
        if _is_api():
            return api_error(problem[0], 400, problem[1])
        return render_template("error.html", status=400,
                               message=_("The request could not be understood. Go back and try again.")), 400

    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError):
        if _is_api():
            return api_error("CSRF token missing or invalid", 400)
        return render_template("error.html", status=400,
                               message=_("The form expired or was sent from elsewhere. Go back, reload and try again.")), 400

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        status = exc.code or 500
        if _is_api():
            description = exc.description if status == 400 and exc.description else MESSAGES.get(status, exc.name)
            return api_error(description, status)
        titles = {
            400: _("The request could not be understood. Go back and try again."),
            403: _("You do not have access to this page."),
            404: _("This page does not exist."),
            405: _("This page cannot be used this way."),
            413: _("The upload is too large."),
            429: _("Too many sign-in attempts. Wait a few minutes and try again."),
        }
        message = titles.get(status, _("Something went wrong (%(status)s).", status=status))
        return render_template("error.html", status=status, message=message), status
