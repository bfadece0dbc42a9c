"""The viewer of the current web request, worked out once per request."""
from __future__ import annotations

from flask import current_app, g
from flask_login import current_user

from app import services_of

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
