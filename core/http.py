"""Error pages and JSON errors: the API answers {"error", "field"}; pages answer with a readable page."""
from __future__ import annotations

from flask import jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

MESSAGES = {
    400: "bad request",
    401: "a valid API token is required (Authorization: Bearer ...)",
    403: "your role does not allow this",
    404: "not found",
    405: "method not allowed",
    409: "conflict",
    413: "the upload is too large",
}


def api_error(message: str, status: int, field: str | None = None):
    response = jsonify({"error": message, "field": field})
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = "Bearer"
    return response


def _is_api() -> bool:
    return request.path.startswith("/api/")


def init_app(app) -> None:
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
        }
        message = titles.get(status, _("Something went wrong (%(status)s).", status=status))
        return render_template("error.html", status=status, message=message), status
