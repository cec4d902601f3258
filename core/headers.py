"""The headers every answer carries so that a browser keeps our pages to themselves.

- Content-Security-Policy: scripts only from our own static files (no inline script, no `on...=` handler
  attributes, no eval), styles from our own files (no inline `style=`), images of ours or `data:` (a QR code),
  forms only to us, no plugins, and no framing by anyone (`frame-ancestors 'none'`, with X-Frame-Options for
  older browsers).
- X-Content-Type-Options: nosniff, so that an upload's bytes are never run as a script or a page.
- Referrer-Policy: same-origin, so that a research note's link (`/n/<token>`, a secret in the URL) and a
  search's words never leave in the Referer header of a link the page holds.
"""
from __future__ import annotations

CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "font-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])

HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def init_app(app) -> None:
    @app.after_request
    def protect(response):
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)
        return response
