"""The notifications page, and the count shown beside it in the navigation."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, render_template
from flask_login import current_user, login_required

from app import services_of
from app.access.request import current_viewer

from . import service

bp = Blueprint("notifications", __name__)


@bp.get("/notifications")
@login_required
def index() -> str:
    with services_of(current_app).sessions() as db:
        shown = service.for_viewer(db, current_viewer())
    return render_template("notifications/index.html", notifications=shown)


@bp.app_context_processor
def _notification_count() -> dict[str, Any]:
    def count() -> int:
        if not current_user.is_authenticated:
            return 0
        with services_of(current_app).sessions() as db:
            return service.count_for_viewer(db, current_viewer())

    return {"notification_count": count}
