"""The rows an engine step reads and writes, through SQLAlchemy Core.

A step touches one instance row, its definition and a handful of derived rows; going through
Core keeps the cost of persistence near that of the engine itself (the ORM's unit of work cost
several times more per step). Optimistic concurrency is explicit here: the instance row is
written only where its version is still the one read.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, Table, insert, select, update
from sqlalchemy.orm import Session

from app.db.models import ProcessDefinition, ProcessInstance, utcnow

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
    ended_at: datetime | None = None


_DEFINITION_COLUMNS = (_definitions.c.id, _definitions.c.process_key, _definitions.c.version,
                       _definitions.c.file_name, _definitions.c.content_hash)
_INSTANCE_COLUMNS = (_instances.c.id, _instances.c.definition_id, _instances.c.process_key,
                     _instances.c.business_key, _instances.c.status, _instances.c.state,
                     _instances.c.version, _instances.c.event_seq, _instances.c.last_event_hash)


def latest_definition(session: Session, process_key: str) -> DefinitionRow:
    row = session.execute(select(*_DEFINITION_COLUMNS)
                          .where(_definitions.c.process_key == process_key)
                          .order_by(_definitions.c.version.desc()).limit(1)).first()
    if row is None:
        raise UnknownProcess(process_key)
    return DefinitionRow(*row)


def definition(session: Session, definition_id: int) -> DefinitionRow:
    return DefinitionRow(*session.execute(select(*_DEFINITION_COLUMNS)
                                          .where(_definitions.c.id == definition_id)).one())


def definition_source(session: Session, definition_id: int) -> tuple[str, dict[str, str]]:
    row = session.execute(select(_definitions.c.source_xml, _definitions.c.dmn_sources)
                          .where(_definitions.c.id == definition_id)).one()
    return row.source_xml, row.dmn_sources or {}


def lock_instance(session: Session, instance_id: int) -> InstanceRow:
    """Read the instance row and hold it for this transaction (FOR UPDATE on PostgreSQL; SQLite's
    write transaction already excludes other writers)."""
    row = session.execute(select(*_INSTANCE_COLUMNS).where(_instances.c.id == instance_id)
                          .with_for_update()).first()
    if row is None:
        raise InstanceNotFound(instance_id)
    return InstanceRow(*row)


def insert_instance(session: Session, definition: DefinitionRow, business_key: str | None,
                    state: str, started_by: str) -> InstanceRow:
    now = utcnow()
    instance_id = session.execute(insert(_instances).values(
        definition_id=definition.id, process_key=definition.process_key, business_key=business_key,
        status="active", state=state, started_by=started_by, created_at=now, updated_at=now,
        event_seq=0, last_event_hash="", version=1).returning(_instances.c.id)).scalar_one()
    return InstanceRow(instance_id, definition.id, definition.process_key, business_key, "active",
                       state, 1, 0, "")


def write_instance(session: Session, instance: InstanceRow) -> None:
    """Write the step's outcome, only over the version this step read."""
    values = {"state": instance.state, "status": instance.status, "event_seq": instance.event_seq,
              "last_event_hash": instance.last_event_hash, "updated_at": utcnow(),
              "version": instance.version + 1}
    if instance.ended_at is not None:
        values["ended_at"] = instance.ended_at
    result: CursorResult[Any] = session.execute(  # type: ignore[assignment]
        update(_instances)
        .where(_instances.c.id == instance.id, _instances.c.version == instance.version)
        .values(**values))
    if result.rowcount != 1:
        raise ConcurrentChange(instance.id)
    instance.version += 1
