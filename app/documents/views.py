"""Downloading a generated document, for whoever may read its case."""
from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, request
from flask_login import login_required
from sqlalchemy import select

from app import services_of
from app.access import log as access_log
from app.access.request import current_viewer, private_download
from app.access.scope import record_filter
from app.db.models import CaseDocument

bp = Blueprint("documents", __name__)


@bp.get("/documents/<int:document_id>")
@login_required
def download(document_id: int) -> Response:
    services = services_of(current_app)
    viewer = current_viewer()
    with services.sessions() as db:
        row = db.scalars(select(CaseDocument).where(
            CaseDocument.id == document_id, record_filter(viewer, CaseDocument))).first()
        content = row.content if row is not None else b""
    if row is None:
        access_log.record_access(services.sessions, viewer, access_log.DENIED, "document",
                                 document_id, request.path)
        abort(404)
    access_log.record_access(services.sessions, viewer, access_log.DOWNLOAD, "document",
                             document_id, request.path)
    return private_download(content, "application/pdf",
                            f"{row.kind}-{row.instance_id}-v{row.version}.pdf")
