from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UTCDateTime, utcnow


class ProcessDraft(Base):
    """What a process owner saved in the modeler, the decision table editor or the form editor
    and has not deployed: one draft per kind, key and person, overwritten on every save.

    ``kind`` is ``bpmn`` (``process_key`` is the process id, ``source`` the BPMN XML), ``dmn``
    (the DMN file name and its XML) or ``form`` (the form's file name in ``forms/`` and its JSON
    Schema). ``based_on_version`` is the deployed version the draft started from, if any.
    """

    __tablename__ = "process_draft"
    __table_args__ = (UniqueConstraint("kind", "process_key", "saved_by"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(10), default="bpmn")
    process_key: Mapped[str] = mapped_column(String(255), index=True)
    source: Mapped[str] = mapped_column(Text)
    saved_by: Mapped[str] = mapped_column(String(120))
    saved_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    based_on_version: Mapped[int | None] = mapped_column(Integer)
