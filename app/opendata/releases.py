"""Open-data releases: a data set's protected table for a period, kept as versions.

``prepare`` computes the table (aggregate.py), lets disclosure control decide what may be shown
(disclosure.py; D2's providers are organisations and are shown exactly) and writes a draft
``OpenDataRelease`` holding the content every format is rendered from (docs/opendata.md,
"Release content"). A statistician reviews drafts next to the previous period (``comparison``);
``publish`` and ``discard`` close a draft. Nothing is deleted: preparing a period again makes
the next version, a discarded draft stays as a row, and every published version stays history.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Any, Final

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from app.audit.chain import append_system_event
from app.db import transaction
from app.db.models import OpenDataRelease, utcnow
from app.opendata.aggregate import NATIONAL, Aggregate, Territory, aggregate, territories
from app.opendata.definitions import (
    DATASETS,
    Definition,
    Measure,
    latest_complete_period,
    parse_period,
    period_kind,
    previous_period,
)
from app.opendata.disclosure import (
    SUPPRESSED,
    TOTAL,
    Key,
    PublishedTable,
    protect,
    publish_exact,
)
from app.opendata.extract import store_key_versions

# A change of a published number by more than this from the previous period is flagged for the
# statistician's review.
CHANGE_THRESHOLD_PERCENT: Final = Decimal(20)

DRAFT: Final = "draft"
PUBLISHED: Final = "published"
DISCARDED: Final = "discarded"

TOTAL_CODE: Final = "TOTAL"  # a summed-out dimension in the published rows
CONFIDENTIAL: Final = "c"
_LEVELS: Final = ("national", "planning_region", "municipality")


class ReleaseError(ValueError):
    """A release cannot be made or changed as asked (unknown data set, not a draft, ...)."""


def definition_of(dataset: str) -> Definition:
    try:
        return DATASETS[dataset]
    except KeyError:
        raise ReleaseError(f"no data set {dataset!r}") from None


def prepare(sessions: sessionmaker[Session], dataset: str, period: str, *, actor: str,
            instance_id: int | None = None) -> int:
    """A new draft version of the data set for the period; its id."""
    definition = definition_of(dataset)
    _check_period(definition, period)
    content = _computed(sessions, definition, period)
    with transaction(sessions) as session:
        return _write_draft(session, definition, period, content, actor, instance_id).id


def prepare_due(sessions: sessionmaker[Session], today: date, *, actor: str,
                instance_id: int | None = None) -> list[int]:
    """A draft of each data set's latest complete period, unless its content is the same as
    that period's latest published version (nothing new to review); the new drafts' ids."""
    prepared = []
    for definition in DATASETS.values():
        period = latest_complete_period(definition, today)
        if parse_period(period)[1] < parse_period(definition.first_period)[1]:
            continue
        content = _computed(sessions, definition, period)
        with transaction(sessions) as session:
            current = latest_published(session, definition.code, period)
            if current is not None and current.content_sha256 == content_sha256(content) and (
                    current.definition_sha256 == definition.sha256):
                continue
            prepared.append(
                _write_draft(session, definition, period, content, actor, instance_id).id)
    return prepared


def _computed(sessions: sessionmaker[Session], definition: Definition,
              period: str) -> dict[str, Any]:
    # Counted in a read-only session: on SQLite a write transaction would hold the database's
    # write lock for the seconds a national-scale query takes.
    with sessions() as session:
        versions = store_key_versions(session)
        if len(versions) > 1:
            raise ReleaseError(
                "the statistics store holds pseudonyms of two keys "
                f"({', '.join(sorted(versions))}): load every extract again under the new key")
        return release_content(aggregate(session, definition, period))


def publish(sessions: sessionmaker[Session], release_ids: Iterable[int], *, actor: str) -> None:
    """Publish drafts; a release that is not a draft is refused and nothing changes."""
    with transaction(sessions) as session:
        releases = _drafts(session, release_ids, "published")
        if not releases:
            return
        now = utcnow()
        for release in releases:
            release.status = PUBLISHED
            release.published_at = now
            release.published_by = actor
        append_system_event(session, "opendata_published", actor, {
            "releases": [_summary(r) for r in releases]})


def discard(sessions: sessionmaker[Session], release_ids: Iterable[int], *, actor: str,
            reason: str) -> None:
    """Discard drafts (the rows stay); the reason goes to the audit log."""
    if not reason.strip():
        raise ReleaseError("a discarded release needs a reason")
    with transaction(sessions) as session:
        releases = _drafts(session, release_ids, "discarded")
        if not releases:
            return
        for release in releases:
            release.status = DISCARDED
            release.discard_reason = reason
        append_system_event(session, "opendata_discarded", actor, {
            "releases": [_summary(r) for r in releases], "reason": reason})


def history(db: Session, dataset: str) -> list[OpenDataRelease]:
    """The data set's published releases, newest period first, newest version first."""
    return list(db.scalars(
        select(OpenDataRelease)
        .where(OpenDataRelease.dataset == dataset, OpenDataRelease.status == PUBLISHED)
        .order_by(OpenDataRelease.period_end.desc(), OpenDataRelease.version.desc())))


def latest_published(db: Session, dataset: str,
                     period: str | None = None) -> OpenDataRelease | None:
    """The newest published version for the period, or of the newest published period."""
    query = select(OpenDataRelease).where(OpenDataRelease.dataset == dataset,
                                          OpenDataRelease.status == PUBLISHED)
    if period is not None:
        query = query.where(OpenDataRelease.period == period)
    return db.scalars(query.order_by(OpenDataRelease.period_end.desc(),
                                     OpenDataRelease.version.desc()).limit(1)).first()


def comparison(db: Session, release: OpenDataRelease) -> list[dict[str, Any]]:
    """Each number of the release next to the same number of the previous period's published
    release: ``value``, ``previous`` (None where suppressed, absent or not published),
    ``change_percent`` (one decimal) and ``flagged`` when the change is over
    CHANGE_THRESHOLD_PERCENT (or a number appeared from zero)."""
    definition = definition_of(release.dataset)
    before = latest_published(db, release.dataset, previous_period(release.period))
    dimension_names = [d.name for d in definition.dimensions]
    earlier: dict[tuple[Any, ...], dict[str, Any]] = {}
    if before is not None:
        for row in before.content["rows"]:
            earlier[_row_key(row, dimension_names)] = row
    compared = []
    for row in release.content["rows"]:
        previous_row = earlier.get(_row_key(row, dimension_names), {})
        for measure in definition.measures:
            value = _number(row.get(measure.name))
            previous = _number(previous_row.get(measure.name))
            change: Decimal | None = None
            flagged = False
            if value is not None and previous is not None:
                if previous:
                    change = ((value - previous) * 100 / previous).quantize(Decimal("0.1"))
                    flagged = abs(change) > CHANGE_THRESHOLD_PERCENT
                else:
                    flagged = value != 0
            compared.append({
                "level": row["level"], "territory_code": row["territory_code"],
                "territory_lv": row["territory_lv"], "territory_en": row["territory_en"],
                **{name: row[name] for name in dimension_names},
                "measure": measure.name, "value": row.get(measure.name),
                "previous": None if previous_row == {} else previous_row.get(measure.name),
                "change_percent": None if change is None else str(change),
                "flagged": flagged,
            })
    return compared


# --- content ------------------------------------------------------------------------------------


def release_content(result: Aggregate, published: PublishedTable | None = None) -> dict[str, Any]:
    """The release content (docs/opendata.md): columns and rows, suppressed numbers as null
    flagged ``c``, every territory level, every combination of dimensions and totals."""
    definition = result.definition
    if published is None:
        published = _protected(result)
    by_code = {t.code: t for t in territories()}
    count, average = definition.count, _average_measure(definition)
    numbers: dict[tuple[Territory, Key], Any] = {}
    for label, shown in published.cells.items():
        numbers[(by_code[label[0]], label[1:])] = shown
    for label, shown in published.margins.items():
        place = NATIONAL if label[0] == TOTAL else by_code[label[0]]
        numbers[(place, label[1:])] = shown
    for groups in published.breakdowns.values():
        for label, shown in groups.items():
            numbers[(by_code[label[0]], label[1:])] = shown
    order = {code: i for i, code in enumerate(by_code)}
    value_order = [{TOTAL: -1, **{code: i for i, code in enumerate(d.codes)}}
                   for d in definition.dimensions]
    rows = []
    for (place, rest), shown in sorted(numbers.items(), key=lambda item: (
            _LEVELS.index(item[0][0].level), order.get(item[0][0].code, -1),
            [value_order[i][v] for i, v in enumerate(item[0][1])])):
        row: dict[str, Any] = {
            "level": place.level, "territory_code": place.code, "atvk_code": place.atvk_code,
            "territory_lv": place.name_lv, "territory_en": place.name_en,
            "planning_region": place.planning_region,
        }
        for dimension, value in zip(definition.dimensions, rest, strict=True):
            row[dimension.name] = TOTAL_CODE if value == TOTAL else value
        row[count.name] = None if shown is SUPPRESSED else shown
        row[count.name + "_flag"] = CONFIDENTIAL if shown is SUPPRESSED else ""
        if average is not None:
            label = (TOTAL if place is NATIONAL else place.code, *rest)
            mean = published.averages.get(label)
            # A hidden count of 0 has no average either: an unflagged empty average would
            # give the zero away, so the average is flagged whenever its count is.
            hidden = shown is SUPPRESSED or mean is SUPPRESSED
            row[average.name] = None if hidden or mean is None else str(mean)
            row[average.name + "_flag"] = CONFIDENTIAL if hidden else ""
        rows.append(row)
    return {
        "dataset": definition.code, "period": result.period,
        "period_start": result.period_start.isoformat(),
        "period_end": result.period_end.isoformat(),
        "reference_date": result.reference_date.isoformat(),
        "columns": _columns(definition), "rows": rows,
    }


def content_sha256(content: Mapping[str, Any]) -> str:
    body = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def _columns(definition: Definition) -> list[dict[str, str]]:
    def column(name: str, kind: str, title_lv: str, title_en: str, about_lv: str,
               about_en: str) -> dict[str, str]:
        return {"name": name, "type": kind, "title_lv": title_lv, "title_en": title_en,
                "description_lv": about_lv, "description_en": about_en}

    found = [
        column("level", "string", "Līmenis", "Level",
               "municipality (pašvaldība), planning_region (plānošanas reģions) vai national "
               "(valsts)", "municipality, planning_region or national"),
        column("territory_code", "string", "Teritorijas kods", "Territory code",
               "Pašvaldības vai plānošanas reģiona kods; LV — valsts kopā",
               "Municipality or planning region code; LV for the whole country"),
        column("atvk_code", "string", "ATVK kods", "ATVK code",
               "Pašvaldības kods Administratīvo teritoriju un teritoriālo vienību klasifikatorā",
               "The municipality's code in the classification of administrative territories "
               "(ATVK)"),
        column("territory_lv", "string", "Teritorija", "Territory (Latvian)",
               "Teritorijas nosaukums latviski", "The territory's name in Latvian"),
        column("territory_en", "string", "Teritorija (angliski)", "Territory",
               "Teritorijas nosaukums angliski", "The territory's name in English"),
        column("planning_region", "string", "Plānošanas reģions", "Planning region",
               "Plānošanas reģiona kods", "The planning region's code"),
    ]
    for dimension in definition.dimensions:
        codes = ", ".join(f"{v.code} ({v.label_lv})" for v in dimension.values)
        codes_en = ", ".join(f"{v.code} ({v.label_en})" for v in dimension.values)
        found.append(column(dimension.name, "string", dimension.title_lv, dimension.title_en,
                            f"{codes}; TOTAL — kopā", f"{codes_en}; TOTAL for all"))
    for measure in definition.measures:
        kind = "integer" if measure.kind == "count" else "number"
        found.append(column(measure.name, kind, measure.title_lv, measure.title_en,
                            measure.description_lv, measure.description_en))
        found.append(column(measure.name + "_flag", "string", "Atzīme", "Flag",
                            "c — konfidenciāli (vērtība netiek publicēta)",
                            "c: confidential (the value is not published)"))
    return found


# --- internals ----------------------------------------------------------------------------------


def _check_period(definition: Definition, period: str) -> None:
    try:
        kind = period_kind(period)
    except ValueError as error:
        raise ReleaseError(str(error)) from None
    if kind != definition.period:
        raise ReleaseError(f"{definition.code} is published by {definition.period}, "
                           f"not for {period!r}")
    if parse_period(period)[1] < parse_period(definition.first_period)[1]:
        raise ReleaseError(f"{definition.code} starts with {definition.first_period}")


def _protected(result: Aggregate) -> PublishedTable:
    if result.definition.disclosure == "none":
        return publish_exact(result.table)
    return protect(result.table)


def _average_measure(definition: Definition) -> Measure | None:
    return next((m for m in definition.measures if m.kind == "average"), None)


def _write_draft(session: Session, definition: Definition, period: str,
                 content: dict[str, Any], actor: str, instance_id: int | None) -> OpenDataRelease:
    _, start, end = parse_period(period)
    version = session.scalar(
        select(func.coalesce(func.max(OpenDataRelease.version), 0))
        .where(OpenDataRelease.dataset == definition.code, OpenDataRelease.period == period))
    count = definition.count.name
    release = OpenDataRelease(
        dataset=definition.code, period=period, period_start=start, period_end=end,
        version=int(version or 0) + 1, status=DRAFT, instance_id=instance_id,
        definition_sha256=definition.sha256, content=content,
        content_sha256=content_sha256(content), row_count=len(content["rows"]),
        suppressed_count=sum(1 for row in content["rows"] if row[count + "_flag"]),
        created_by=actor)
    session.add(release)
    session.flush()
    return release


def _drafts(session: Session, release_ids: Iterable[int], action: str) -> list[OpenDataRelease]:
    wanted = sorted(set(release_ids))
    releases = list(session.scalars(
        select(OpenDataRelease).where(OpenDataRelease.id.in_(wanted))
        .order_by(OpenDataRelease.id).with_for_update()))
    missing = set(wanted) - {r.id for r in releases}
    if missing:
        raise ReleaseError(f"no release {sorted(missing)}")
    for release in releases:
        if release.status != DRAFT:
            raise ReleaseError(f"release {release.id} ({release.dataset} {release.period} "
                               f"v{release.version}) is {release.status}, only a draft can be "
                               f"{action}")
    return releases


def _summary(release: OpenDataRelease) -> dict[str, Any]:
    return {"id": release.id, "dataset": release.dataset, "period": release.period,
            "version": release.version, "content_sha256": release.content_sha256}


def _row_key(row: Mapping[str, Any], dimensions: Sequence[str]) -> tuple[Any, ...]:
    return (row["level"], row["territory_code"], *(row[name] for name in dimensions))


def _number(value: Any) -> Decimal | None:
    if value is None:
        return None
    return Decimal(str(value))
