"""Open data pages: the public list of the data sets, each data set's page (period and territory
chosen by the reader, a table, a chart, downloads, the history of published versions), the
files (CSV, JSON, data package, the DCAT-AP catalogue), all without sign-in and only of
published releases; and the ministry statistician's review of the month's drafts."""
from __future__ import annotations

import json
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import Session

from app import services_of
from app.access.request import current_viewer, deny, log_view
from app.access.scope import MINISTRY, actionable_filter, record_filter
from app.areas import MenuItem
from app.db.models import HumanTask, OpenDataRelease, ProcessInstance
from app.domain.calendar import parse_date
from app.engine.errors import EngineError
from app.engine.runtime import Actor
from app.forms import service as forms
from app.forms import views as task_forms
from app.texts import N_
from app.web import current_language, engine_error_message, log_engine_refusal

from . import dcat, formats, presentation, releases, service
from .definitions import DATASETS, Definition, PeriodError, period_kind, previous_period

bp = Blueprint("opendata", __name__, static_folder="static",
               static_url_path="/static/opendata")

_TYPES = {"csv": "text/csv; charset=utf-8", "json": "application/json"}


# --- helpers -------------------------------------------------------------------------------------


def _refuse(status: int, message: str) -> ResponseReturnValue:
    """A public refusal that says what was wrong in the address, with the way back."""
    return render_template("opendata/error.html", status=status, message=message), status


def _definition(code: str) -> Definition | None:
    return DATASETS.get(code)


def _base_url() -> str:
    return services_of(current_app).settings.public_url or request.url_root


def _lang() -> str:
    return current_language()


def _title(definition: Definition) -> str:
    return definition.title_en if _lang() == "en" else definition.title_lv


def _unknown_dataset(code: str) -> ResponseReturnValue:
    return _refuse(404, _("There is no open data set %(code)s. The data sets are D1 to D9.",
                          code=code[:20]))


def _period_or_error(definition: Definition, period: str) -> str | None:
    """None when the period is well formed for the data set; else the message."""
    try:
        kind = period_kind(period)
    except PeriodError:
        return _("The period must be written as a year (2025), a quarter (2025-Q3) or a month "
                 "(2025-10).")
    if kind != definition.period:
        kinds = {"year": _("a year, e.g. 2025"), "quarter": _("a quarter, e.g. 2025-Q3"),
                 "month": _("a month, e.g. 2025-10")}
        return _("%(code)s is published for %(kind)s.", code=definition.code,
                 kind=kinds[definition.period])
    return None


def _download(body: bytes, extension: str, filename: str) -> Response:
    response = Response(body, mimetype=_TYPES[extension].split(";")[0],
                        content_type=_TYPES[extension])
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    # Open data: anyone may fetch it from anywhere (a portal's preview, a notebook).
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


def _published_versions(db: Session, code: str) -> list[OpenDataRelease]:
    return releases.history(db, code)


# --- public pages --------------------------------------------------------------------------------


@bp.get("/open-data")
def index() -> ResponseReturnValue:
    with services_of(current_app).sessions() as db:
        latest = {code: releases.latest_published(db, code) for code in DATASETS}
    return render_template("opendata/index.html", datasets=list(DATASETS.values()),
                           latest=latest, lang=_lang())


@bp.get("/open-data/<dataset>")
def dataset_page(dataset: str) -> ResponseReturnValue:
    definition = _definition(dataset)
    if definition is None:
        return _unknown_dataset(dataset)
    lang = _lang()
    period = (request.args.get("period") or "").strip()
    territory_code = (request.args.get("territory") or presentation.NATIONAL).strip()
    if period:
        problem = _period_or_error(definition, period)
        if problem:
            return _refuse(400, problem)
    with services_of(current_app).sessions() as db:
        versions = _published_versions(db, definition.code)
        release = releases.latest_published(db, definition.code, period or None)
    if release is None:
        if period:
            return _refuse(404, _("%(code)s has no published figures for %(period)s.",
                                  code=definition.code, period=period))
        return render_template("opendata/dataset.html", definition=definition, release=None,
                               versions=[], periods=[], lang=lang, title=_title(definition))
    content = release.content
    territory = presentation.territory_of(content, territory_code)
    if territory is None:
        return _refuse(400, _("There is no territory %(code)s in %(dataset)s. Choose the whole "
                              "country, a planning region or a municipality from the list.",
                              code=territory_code[:40], dataset=definition.code))
    total = _("Total")
    periods = list(dict.fromkeys(v.period for v in versions))
    return render_template(
        "opendata/dataset.html", definition=definition, release=release, versions=versions,
        periods=periods, lang=lang, title=_title(definition), territory=territory,
        reference_date=parse_date(str(content.get("reference_date") or release.period_end)),
        territories=presentation.territories(content),
        rows=presentation.table_rows(definition, content, territory.code, lang, total),
        parts=presentation.parts_rows(definition, content, territory, lang),
        chart=presentation.chart(definition, content, territory.code, lang))


@bp.get("/open-data/catalogue.jsonld")
def catalogue() -> Response:
    with services_of(current_app).sessions() as db:
        by_dataset = {code: _published_versions(db, code) for code in DATASETS}
    body = json.dumps(dcat.catalogue(DATASETS.values(), by_dataset, _base_url()),
                      ensure_ascii=False, indent=2).encode("utf-8")
    response = Response(body, content_type="application/ld+json; charset=utf-8")
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


@bp.get("/open-data/<dataset>/datapackage.json")
def datapackage(dataset: str) -> ResponseReturnValue:
    definition = _definition(dataset)
    if definition is None:
        return _unknown_dataset(dataset)
    with services_of(current_app).sessions() as db:
        versions = _published_versions(db, definition.code)
    if not versions:
        return _refuse(404, _("%(code)s has no published figures yet.", code=definition.code))
    body = json.dumps(formats.datapackage(definition, versions, _base_url()),
                      ensure_ascii=False, indent=2).encode("utf-8")
    return _download(body, "json", f"{definition.code}-datapackage.json")


def _file(dataset: str, period: str, extension: str,
          version: int | None = None) -> ResponseReturnValue:
    definition = _definition(dataset)
    if definition is None:
        return _unknown_dataset(dataset)
    problem = _period_or_error(definition, period)
    if problem:
        return _refuse(400, problem)
    with services_of(current_app).sessions() as db:
        if version is None:
            release = releases.latest_published(db, definition.code, period)
        else:
            release = db.scalars(select(OpenDataRelease).where(
                OpenDataRelease.dataset == definition.code, OpenDataRelease.period == period,
                OpenDataRelease.version == version,
                OpenDataRelease.status == releases.PUBLISHED)).first()
    if release is None:
        return _refuse(404, _("%(code)s has no published figures for %(period)s.",
                              code=definition.code, period=period) if version is None else
                       _("%(code)s %(period)s has no published version %(version)d.",
                         code=definition.code, period=period, version=version))
    render = formats.csv_bytes if extension == "csv" else formats.json_bytes
    name = f"{definition.code}-{release.period}-v{release.version}.{extension}"
    return _download(render(release.content), extension, name)


@bp.get("/open-data/<dataset>/<period>.csv")
def period_csv(dataset: str, period: str) -> ResponseReturnValue:
    return _file(dataset, period, "csv")


@bp.get("/open-data/<dataset>/<period>.json")
def period_json(dataset: str, period: str) -> ResponseReturnValue:
    return _file(dataset, period, "json")


@bp.get("/open-data/<dataset>/<period>/v<int:version>.csv")
def version_csv(dataset: str, period: str, version: int) -> ResponseReturnValue:
    return _file(dataset, period, "csv", version)


@bp.get("/open-data/<dataset>/<period>/v<int:version>.json")
def version_json(dataset: str, period: str, version: int) -> ResponseReturnValue:
    return _file(dataset, period, "json", version)


# --- the statistician's review -------------------------------------------------------------------


def _readable_instance(db: Session) -> ProcessInstance | None:
    return db.scalars(select(ProcessInstance).where(
        ProcessInstance.process_key == service.PROCESS_KEY,
        ProcessInstance.business_key == service.BUSINESS_KEY,
        record_filter(current_viewer(), ProcessInstance))
        .order_by(ProcessInstance.id.desc()).limit(1)).first()


def _review_sections(db: Session, drafts: list[OpenDataRelease]) -> list[dict[str, Any]]:
    lang, total = _lang(), _("Total")
    sections = []
    for draft in drafts:
        definition = releases.definition_of(draft.dataset)
        compared = presentation.comparison_rows(definition, releases.comparison(db, draft),
                                                lang, total)
        before = releases.latest_published(db, draft.dataset,
                                           previous_period(draft.period))
        sections.append({"release": draft, "definition": definition,
                         "title": _title(definition), "rows": compared,
                         "flagged": sum(r["flagged"] for r in compared),
                         "previous": before})
    return sections


@bp.route("/open-data/review", methods=["GET", "POST"])
@login_required
def review() -> ResponseReturnValue:
    services = services_of(current_app)
    viewer = current_viewer()
    with services.sessions() as db:
        instance = _readable_instance(db)
        if instance is None:
            if viewer.organisation_kind != MINISTRY or request.method == "POST":
                deny("opendata_review", None)
            # The ministry before the process first ran: nothing to review yet.
            return render_template("opendata/review.html", sections=[], task=None,
                                   waiting=None, threshold=releases.CHANGE_THRESHOLD_PERCENT,
                                   lang=_lang())
        drafts = service.drafts_of(db, instance.id)
        sections = _review_sections(db, drafts)
        task = db.scalars(select(HumanTask).where(
            HumanTask.instance_id == instance.id, HumanTask.element_id == service.REVIEW_TASK,
            actionable_filter(viewer))).first()
        waiting = service.open_review_task(db, instance.id)
    log_view("opendata_review", instance.id)
    schema = forms.load_schema(services.settings.forms_dir, task.form_key) \
        if task is not None and task.form_key else None
    page = {"instance": instance, "sections": sections, "task": task, "waiting": waiting,
            "threshold": releases.CHANGE_THRESHOLD_PERCENT, "lang": _lang()}
    if task is None or schema is None:
        if request.method == "POST":
            abort(404)
        return render_template("opendata/review.html", **page)
    if request.method == "GET":
        values = task_forms.starting_values(services, task, schema, current_user.username)
        return _review_page(page, schema, values)
    posted = task_forms.read_task_form(services, task, schema, current_user.username)
    if posted.response is not None:
        return redirect(url_for("opendata.review"))
    if not posted.ready:
        return _review_page(page, schema, posted.values, errors=posted.errors,
                            status=posted.status)
    try:
        services.engine.complete_task(task.id, Actor(viewer.username, frozenset(viewer.groups)),
                                      posted.data)
    except EngineError as err:
        log_engine_refusal(err)
        return _review_page(page, schema, posted.values, alert=engine_error_message(err),
                            status=err.http_status)
    task_forms.forget_forms(services, task.id)
    if posted.data.get("review_decision") == "PUBLISH":
        flash(_("The figures will be published in a moment."), "success")
    else:
        flash(_("The drafts are returned and will not be published."), "success")
    return redirect(url_for("opendata.review"))


def _review_page(page: dict[str, Any], schema: forms.Schema, values: dict[str, Any], *,
                 errors: dict[str, list[str]] | None = None, alert: str | None = None,
                 status: int = 200) -> ResponseReturnValue:
    services = services_of(current_app)
    context = task_forms.page_context(services, page["task"], schema, values, errors=errors)
    return render_template("opendata/review.html", **page, **context, alert=alert), status


MENU = (MenuItem("opendata.review", N_("Open data review"), frozenset({MINISTRY})),)
