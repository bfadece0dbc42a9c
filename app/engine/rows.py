"""The rows an engine step reads and writes, through SQLAlchemy Core.

A step touches one instance row, its definition and a handful of derived rows; going through
Core keeps the cost of persistence near that of the engine itself (the ORM's unit of work cost
several times more per step). Optimistic concurrency is explicit here: the instance row is
written only where its version is still the one read.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, func, insert, select, update
from sqlalchemy.orm import Session

from app.access.scope import Scope
from app.db.models import HumanTask, ProcessDefinition, ProcessInstance, utcnow
from app.db.models.base import UTCDateTime

from .errors import EngineError, InstanceNotFound, UnknownProcess

_instances = cast(Table, ProcessInstance.__table__)
_definitions = cast(Table, ProcessDefinition.__table__)


class ConcurrentChange(EngineError):
    http_status = 409

    def __init__(self, instance_id: int) -> None:
        super().__init__(f"Process instance {instance_id} was changed by someone else at the same "
                         "moment; nothing was saved, please try again")


@dataclass
class DefinitionRow:
    id: int
    process_key: str
    version: int
    file_name: str
    content_hash: str


@dataclass
class InstanceRow:
    id: int
    definition_id: int
    process_key: str
    business_key: str | None
    status: str
    state: str
    version: int
    event_seq: int
    last_event_hash: str
    # Whose record the instance is; its human tasks copy it (app.access.scope).
    scope: Scope = field(default_factory=Scope)
    ended_at: datetime | None = None


_DEFINITION_COLUMNS = (_definitions.c.id, _definitions.c.process_key, _definitions.c.version,
                       _definitions.c.file_name, _definitions.c.content_hash)
_INSTANCE_COLUMNS = (_instances.c.id, _instances.c.definition_id, _instances.c.process_key,
                     _instances.c.business_key, _instances.c.status, _instances.c.state,
                     _instances.c.version, _instances.c.event_seq, _instances.c.last_event_hash,
                     _instances.c.record_kind, _instances.c.person_id,
                     _instances.c.municipality_code, _instances.c.institution_code,
                     _instances.c.orphan_court_code, _instances.c.confidential)
_SCOPE_AT = 9  # where the scope columns start in _INSTANCE_COLUMNS


# Built once: an engine step runs these thousands of times, and building a statement and its
# cache key costs more than executing it. Executed on the session's connection, past the ORM.
_LATEST_DEFINITION = (select(*_DEFINITION_COLUMNS)
                      .where(_definitions.c.process_key == bindparam("key"))
                      .order_by(_definitions.c.version.desc()).limit(1))
_DEFINITION = select(*_DEFINITION_COLUMNS).where(_definitions.c.id == bindparam("id"))
_DEFINITION_SOURCE = (select(_definitions.c.source_xml, _definitions.c.dmn_sources)
                      .where(_definitions.c.id == bindparam("id")))
_LOCK_INSTANCE = (select(*_INSTANCE_COLUMNS).where(_instances.c.id == bindparam("id"))
                  .with_for_update())
_tasks = cast(Table, HumanTask.__table__)
# One round trip for "which instance holds this task" and "lock that instance".
_LOCK_INSTANCE_OF_TASK = (
    select(*_INSTANCE_COLUMNS)
    .where(_instances.c.id == select(_tasks.c.instance_id).where(_tasks.c.id == bindparam("task"))
           .scalar_subquery())
    .with_for_update(of=_instances))
_INSERT_INSTANCE = insert(_instances).returning(_instances.c.id)
_WRITE_INSTANCE = (
    update(_instances)
    .where(_instances.c.id == bindparam("b_id"), _instances.c.version == bindparam("b_version"))
    .values(state=bindparam("b_state"), status=bindparam("b_status"),
            event_seq=bindparam("b_event_seq"), last_event_hash=bindparam("b_last_event_hash"),
            updated_at=bindparam("b_updated_at", type_=UTCDateTime()),
            ended_at=func.coalesce(bindparam("b_ended_at", type_=UTCDateTime()),
                                   _instances.c.ended_at),
            version=bindparam("b_version") + 1)
)


def latest_definition(session: Session, process_key: str) -> DefinitionRow:
    row = session.connection().execute(_LATEST_DEFINITION, {"key": process_key}).first()
    if row is None:
        raise UnknownProcess(process_key)
    return DefinitionRow(*row)


def definition(session: Session, definition_id: int) -> DefinitionRow:
    return DefinitionRow(*session.connection().execute(_DEFINITION, {"id": definition_id}).one())


def definition_source(session: Session, definition_id: int) -> tuple[str, dict[str, str]]:
    row = session.connection().execute(_DEFINITION_SOURCE, {"id": definition_id}).one()
    return row.source_xml, row.dmn_sources or {}


def lock_instance(session: Session, instance_id: int) -> InstanceRow:
    """Read the instance row and hold it for this transaction (FOR UPDATE on PostgreSQL; SQLite's
    write transaction already excludes other writers)."""
    row = session.connection().execute(_LOCK_INSTANCE, {"id": instance_id}).first()
    if row is None:
        raise InstanceNotFound(instance_id)
    return _instance_row(row)


def lock_instance_of_task(session: Session, task_id: int) -> InstanceRow | None:
    row = session.connection().execute(_LOCK_INSTANCE_OF_TASK, {"task": task_id}).first()
    return _instance_row(row) if row is not None else None


def _instance_row(row: Sequence[Any]) -> InstanceRow:
    (instance_id, definition_id, process_key, business_key, status, state, version, event_seq,
     last_event_hash) = row[:_SCOPE_AT]
    return InstanceRow(instance_id, definition_id, process_key, business_key, status, state,
                       version, event_seq, last_event_hash, Scope(*row[_SCOPE_AT:]))


def insert_instance(session: Session, definition: DefinitionRow, business_key: str | None,
                    state: str, started_by: str, scope: Scope) -> InstanceRow:
    now = utcnow()
    instance_id = session.connection().execute(_INSERT_INSTANCE, {
        "definition_id": definition.id, "process_key": definition.process_key,
        "business_key": business_key, "status": "active", "state": state,
        "started_by": started_by, "created_at": now, "updated_at": now, "event_seq": 0,
        "last_event_hash": "", "version": 1, **scope.columns()}).scalar_one()
    return InstanceRow(instance_id, definition.id, definition.process_key, business_key, "active",
                       state, 1, 0, "", scope)


def write_instance(session: Session, instance: InstanceRow) -> None:
    """Write the step's outcome, only over the version this step read."""
    result = session.connection().execute(_WRITE_INSTANCE, {
        "b_id": instance.id, "b_version": instance.version, "b_state": instance.state,
        "b_status": instance.status, "b_event_seq": instance.event_seq,
        "b_last_event_hash": instance.last_event_hash, "b_updated_at": utcnow(),
        "b_ended_at": instance.ended_at})
    if result.rowcount != 1:
        raise ConcurrentChange(instance.id)
    instance.version += 1
