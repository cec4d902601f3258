"""The access log names the path of each request, never its query string: a search for a client carries
the client's name or mobile there (`/clients?q=13800138000`), and a log is read by more people, and kept
longer, than the book. Used by `flask serve`; gunicorn is given the same rule by its access-log format
(docs/deployment.md, `%(U)s` instead of `%(r)s`)."""
from __future__ import annotations

from urllib.parse import urlsplit

from werkzeug.serving import WSGIRequestHandler

# gunicorn's default access-log format with the request's path (%(U)s) instead of its line (%(r)s), and without
# the Referer (%(f)s), which carries the previous page's query string
GUNICORN_ACCESS_LOG_FORMAT = '%(h)s %(l)s %(u)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s "%(a)s"'


# paths that are themselves secrets: a research note's link is its reader's key (broadcast/notes_views.py)
SECRET_PATHS = ("/n/",)


def logged_path(raw: str) -> str:
    """What the log keeps of a request's target: its path, without the query or fragment, and without the
    secret part of a path that is a key."""
    path = urlsplit(raw).path or "/"
    for prefix in SECRET_PATHS:
        if path.startswith(prefix):
            return prefix + "…"
    return path


class PathOnlyRequestHandler(WSGIRequestHandler):
    """Werkzeug's request handler, logging `METHOD /path HTTP/1.1` without the query string."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        if getattr(self, "path", None) is None:  # a request line too broken to read: log nothing of it
            self.log("info", '"%s" %s %s', "-", code, size)
            return
        line = f"{self.command} {logged_path(self.path)} {self.request_version}"
        self.log("info", '"%s" %s %s', line.translate(self._control_char_table), code, size)
