"""The viewer of the current web request, worked out once per request."""
from __future__ import annotations

import io
from typing import NoReturn

from flask import Response, abort, current_app, g, request, send_file
from flask_login import current_user

from app import services_of

from . import log as access_log
from .scope import Viewer, viewer_of


def current_viewer() -> Viewer:
    viewer = g.get("dicase_viewer")
    if viewer is None:
        user = current_user
        with services_of(current_app).sessions() as session:
            viewer = viewer_of(session, user.username, user.roles, user.groups,
                               user.organisation_code)
        g.dicase_viewer = viewer
    return viewer


def deny(record_type: str, record_id: int | None) -> NoReturn:
    """A record outside the person's scope, or one that does not exist: the same 404 either
    way, so ids cannot be probed, and a line in the access log."""
    access_log.record_access(services_of(current_app).sessions, current_viewer(),
                             access_log.DENIED, record_type, record_id, request.path)
    abort(404)


def log_view(record_type: str, record_id: int | None, action: str = access_log.VIEW) -> None:
    access_log.record_access(services_of(current_app).sessions, current_viewer(), action,
                             record_type, record_id, request.path)


def private_download(body: bytes | str, mimetype: str, filename: str) -> Response:
    """A file with case data: offered for saving (never shown inline), kept out of every cache.
    Text goes as UTF-8 with a byte-order mark, so spreadsheet programs read Latvian letters; a
    file name with Latvian letters is encoded as RFC 6266 asks."""
    if isinstance(body, str):
        body = ("\ufeff" + body).encode("utf-8")
    response = send_file(io.BytesIO(body), mimetype=mimetype, as_attachment=True,
                         download_name=filename, max_age=0, etag=False)
    response.headers["Cache-Control"] = "private, no-store"
    return response
