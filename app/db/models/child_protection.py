from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UTCDateTime, utcnow
from .instances import RecordScope


class ChildProtectionDecision(RecordScope, Base):
    """An orphan court's decision as NPAIS delivered it (P10): to separate a child from the family
    (it starts a case, ``instance_id``) or to return the child (it ends the case it names in
    ``separation_id``). The separation's row also records what the case did with the child: the
    placement (``placement_instance_id``, the P9 instance) and its end. The scope columns are the
    decision's: the child's municipality, the receiving institution, the orphan court."""

    __tablename__ = "child_protection_decision"
    __table_args__ = (
        Index("ix_child_protection_decision_court", "orphan_court_code", "decision_date"),
        Index("ix_child_protection_decision_municipality", "municipality_code", "decision_date"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # NPAIS's identifier: a message delivered twice is recognised by it and applied once
    npais_decision_id: Mapped[str] = mapped_column(String(60), unique=True)
    kind: Mapped[str] = mapped_column(String(12))  # SEPARATION | RETURN
    decision_date: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(Text, default="")
    # the decision's placement, when the court named it (otherwise the social worker enters it)
    planned_placement_date: Mapped[date | None] = mapped_column(Date)
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id"), index=True)
    separation_id: Mapped[int | None] = mapped_column(
        ForeignKey("child_protection_decision.id"), index=True)
    # whether the population register knew the child (None: not asked, the child was known here)
    register_found: Mapped[bool | None] = mapped_column(Boolean)
    placement_instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id"))
    placed_on: Mapped[date | None] = mapped_column(Date)
    placed_institution_code: Mapped[str | None] = mapped_column(String(40))
    placement_ended_on: Mapped[date | None] = mapped_column(Date)
    received_by: Mapped[str] = mapped_column(String(120))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
