from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UTCDateTime, utcnow
from .instances import RecordScope


class GroupHomeStay(RecordScope, Base):
    """One stay of a person in a group home (P5). Rows are never deleted: a transfer ends the
    stay (``end_reason`` TRANSFERRED, ``transferred_to_id``) and opens the next one, so the
    history of every stay with its dates stays in the table. ``end_date`` is the last day stayed.
    The scope columns are those of the receiving municipality for the stay there.
    """

    __tablename__ = "group_home_stay"
    __table_args__ = (
        Index("ix_group_home_stay_home", "group_home_code", "start_date"),
        Index("ix_group_home_stay_municipality", "municipality_code", "start_date"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"), index=True)
    group_home_code: Mapped[str] = mapped_column(String(40))
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)
    # ENDED | TRANSFERRED, or None while the person stays
    end_reason: Mapped[str | None] = mapped_column(String(20))
    transferred_to_id: Mapped[int | None] = mapped_column(ForeignKey("group_home_stay.id"))
    created_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
