"""Pages for comparing process versions, migrating running instances and running BPMN unit
tests. Reading a comparison: process owners, administrators, auditors; migrating and running
tests: process owners and administrators. The logic is in app.engine.migration and
``service``."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user, login_required
from werkzeug.wrappers import Response as Redirect

from app import services_of
from app.engine import migration
from app.modeler.views import may_manage, may_read
from app.services import Services

from . import service

bp = Blueprint("versions", __name__, url_prefix="/processes")


def _services() -> Services:
    return services_of(current_app)


def _versions() -> tuple[int, int]:
    try:
        return int(request.values["from"]), int(request.values["to"])
    except (KeyError, ValueError):
        abort(400)


def _field_labels() -> dict[str, str]:
    """The names app.engine.migration gives what changed, in the reader's language."""
    return {"type": gettext("type"), "name": gettext("name"), "lane": gettext("lane"),
            "event (timer expression, message)": gettext("event (timer expression, message)"),
            "conditions": gettext("conditions"), "default flow": gettext("default flow"),
            "operation": gettext("operation"), "parameters": gettext("parameters"),
            "result variable": gettext("result variable"), "script": gettext("script"),
            "pre-script": gettext("pre-script"), "post-script": gettext("post-script"),
            "outgoing flows": gettext("outgoing flows"),
            "incoming flows": gettext("incoming flows"),
            "documentation": gettext("documentation"), "form": gettext("form"),
            "candidate groups": gettext("candidate groups"), "due date": gettext("due date"),
            "follow-up date": gettext("follow-up date")}


@bp.get("/<key>/compare")
@login_required
def compare(key: str) -> str:
    if not may_read():
        abort(403)
    old, new = _versions()
    try:
        with _services().sessions() as db:
            changes = migration.compare_versions(db, key, old, new)
    except migration.MigrationRefused:
        abort(404)
    return render_template("versions/compare.html", key=key, old=old, new=new, changes=changes,
                           may_manage=may_manage(), labels=_field_labels())


@bp.get("/<key>/migrate")
@login_required
def migrate_plan(key: str) -> str:
    if not may_manage():
        abort(403)
    old, new = _versions()
    try:
        candidates = migration.plan(_services().engine, key, old, new)
    except migration.MigrationRefused:
        abort(404)
    return render_template("versions/migrate.html", key=key, old=old, new=new,
                           candidates=candidates)


@bp.post("/<key>/migrate")
@login_required
def migrate_run(key: str) -> Redirect:
    if not may_manage():
        abort(403)
    old, new = _versions()
    try:
        outcome = migration.migrate(_services().engine, key, old, new, current_user.username)
    except migration.MigrationRefused as err:
        flash(str(err), "error")
    else:
        flash(gettext("%(moved)d instance(s) moved to version %(version)d; %(refused)d could not "
                      "move.", moved=len(outcome.migrated), version=new,
                      refused=len(outcome.refused)), "success")
    versions: dict[str, Any] = {"from": old, "to": new}
    return redirect(url_for("versions.migrate_plan", key=key, **versions))


@bp.post("/revert-migration")
@login_required
def revert() -> Redirect:
    if not may_manage():
        abort(403)
    try:
        instance_id = int(request.form["instance"])
    except (KeyError, ValueError):
        abort(400)
    try:
        migration.revert(_services().engine, instance_id, current_user.username)
    except migration.MigrationRefused as err:
        flash(str(err), "error")
    else:
        flash(gettext("Instance %(id)d is back on the version it came from.", id=instance_id),
              "success")
    return redirect(request.referrer or url_for("modeler.catalogue"))


@bp.post("/<key>/unit-tests")
@login_required
def unit_tests(key: str) -> str:
    if not may_manage():
        abort(403)
    settings = _services().settings
    with _services().sessions() as db:
        run = service.run_unit_tests(db, key, settings.processes_dir / "tests",
                                     settings.processes_dir, current_user.username)
    return render_template("versions/unit_tests.html", run=run)
