"""A table as a file download (CSV or XLSX, core/exports.py) in the configured time zone."""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from urllib.parse import quote

from flask import Response, abort, current_app

from core.exports import FORMATS, table_bytes


def download(fmt: str, stem: str, header: Sequence[str], rows: Iterable[Sequence[object]],
             title: str = "Sheet1") -> Response:
    """`stem`.csv or `stem`.xlsx as an attachment; an unknown format is a 404, like any unknown address."""
    if fmt not in FORMATS:
        abort(404)
    content, mimetype = table_bytes(fmt, header, rows, current_app.config["TIMEZONE"], title)
    name = f"{stem}.{fmt}"
    ascii_name = name.encode("ascii", "replace").decode().replace("?", "_")
    return Response(content, mimetype=mimetype, headers={
        "Content-Disposition": f"attachment; filename={ascii_name}; filename*=UTF-8''{quote(name)}"})
