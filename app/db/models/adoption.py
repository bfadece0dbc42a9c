"""The adoption register (P11): children free for adoption, persons wishing to adopt, the matches
and the proposals made in them.

Every row carries the record scope with record kind ``adoption`` and ``confidential`` true, so
``app.access.scope.record_filter`` keeps it to the adoption register unit (auditors read it,
read-only). Archived rows (``archived_on`` set, after the adoption is final) are read-only and
left out of the active lists; ``retention_until`` is the day they may be destroyed.
"""
from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UTCDateTime, utcnow
from .instances import RecordScope


class Archivable:
    archived_on: Mapped[date | None] = mapped_column(Date)
    retention_until: Mapped[date | None] = mapped_column(Date)


class AdoptionChild(RecordScope, Archivable, Base):
    """A child legally free for adoption (the child card). ``person_id`` is the child in the
    ``person`` table; what P9/P10 and VDEĀVK already know is copied in when the card is made."""

    __tablename__ = "adoption_child"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    birth_date: Mapped[date] = mapped_column(Date)
    sex: Mapped[str] = mapped_column(String(1))
    # siblings in the register share a group code; ``siblings_together``: the court decided
    # they are adopted together
    sibling_group: Mapped[str | None] = mapped_column(String(40), index=True)
    siblings_together: Mapped[bool] = mapped_column(Boolean, default=False)
    # codes of app.domain.adoption.HEALTH_CONDITIONS
    health_conditions: Mapped[list[str]] = mapped_column(JSON, default=list)
    health_notes: Mapped[str] = mapped_column(Text, default="")
    special_needs: Mapped[str] = mapped_column(Text, default="")
    # VDEĀVK's answer, as of ``disability_checked_on``
    disability_checked_on: Mapped[date | None] = mapped_column(Date)
    disability_found: Mapped[bool | None] = mapped_column(Boolean)
    disability_severity: Mapped[str | None] = mapped_column(String(20))
    disability_opinion_number: Mapped[str | None] = mapped_column(String(40))
    special_care_opinion: Mapped[bool | None] = mapped_column(Boolean)
    deciding_court_code: Mapped[str | None] = mapped_column(String(40))
    free_for_adoption_on: Mapped[date] = mapped_column(Date)
    # the institution (organisation code) or foster family now caring for the child
    carer_code: Mapped[str | None] = mapped_column(String(40))
    carer_name: Mapped[str] = mapped_column(String(200), default="")
    region_code: Mapped[str | None] = mapped_column(String(40))
    # the biological parents: shown only to the roles in app.adoption.service.PARENT_DATA_ROLES
    parents_info: Mapped[str] = mapped_column(Text, default="")
    # where the card was pre-filled from (e.g. "p10:<decision id>", "p9:<instance id>")
    prefilled_from: Mapped[str] = mapped_column(String(80), default="")
    # free | in_match | adopted
    status: Mapped[str] = mapped_column(String(20), default="free", index=True)
    created_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Adopter(RecordScope, Archivable, Base):
    """A person or a couple wishing to adopt: the suitability decision, the registration that
    orders the queue, the preferences and how to reach them."""

    __tablename__ = "adoption_adopter"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))  # single | couple
    # the applicants: [{"given_name", "family_name", "personal_code"}], one or two
    applicants: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    suitability_court_code: Mapped[str] = mapped_column(String(40))
    suitability_decision_on: Mapped[date] = mapped_column(Date)
    suitability_until: Mapped[date] = mapped_column(Date)
    renewed_on: Mapped[date | None] = mapped_column(Date)
    registered_on: Mapped[date] = mapped_column(Date, index=True)
    children_max: Mapped[int] = mapped_column(Integer, default=1)
    age_min: Mapped[int] = mapped_column(Integer, default=0)
    age_max: Mapped[int] = mapped_column(Integer, default=17)
    sex_preference: Mapped[str] = mapped_column(String(3), default="any")
    siblings_accepted: Mapped[bool] = mapped_column(Boolean, default=False)
    health_accepted: Mapped[list[str]] = mapped_column(JSON, default=list)
    regions: Mapped[list[str]] = mapped_column(JSON, default=list)
    abroad: Mapped[bool] = mapped_column(Boolean, default=False)
    country: Mapped[str] = mapped_column(String(2), default="LV")
    address: Mapped[str] = mapped_column(String(500), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    email: Mapped[str] = mapped_column(String(255), default="")
    # active | withdrawn | adopted
    status: Mapped[str] = mapped_column(String(20), default="active", index=True)
    withdrawn_on: Mapped[date | None] = mapped_column(Date)
    # The adopter's own words or the orphan court's decision, as the withdrawal gave it.
    withdrawal_reason: Mapped[str] = mapped_column(Text, default="", server_default="")
    created_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AdoptionMatch(RecordScope, Archivable, Base):
    """One search of an adopter for a child or a sibling group: a P11 instance. The ranked list
    and the exclusions are the last computation's (``computed_on``)."""

    __tablename__ = "adoption_match"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id"),
                                                     unique=True)
    child_ids: Mapped[list[int]] = mapped_column(JSON)
    started_on: Mapped[date] = mapped_column(Date)
    started_by: Mapped[str] = mapped_column(String(120))
    computed_on: Mapped[date | None] = mapped_column(Date)
    # [{"adopter_id", "rank", "abroad", "registered_on"}]
    ranked: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    # [{"adopter_id", "reasons": [codes]}]
    excluded: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    # searching | proposed | getting_to_know | in_court | final | no_adopter
    status: Mapped[str] = mapped_column(String(20), default="searching", index=True)
    adopter_id: Mapped[int | None] = mapped_column(ForeignKey("adoption_adopter.id"))
    final_on: Mapped[date | None] = mapped_column(Date)
    ended_on: Mapped[date | None] = mapped_column(Date)


class AdoptionProposal(RecordScope, Archivable, Base):
    """The children proposed to one adopter in a match, in the order asked (``number``), and
    what came of it."""

    __tablename__ = "adoption_proposal"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    match_id: Mapped[int] = mapped_column(ForeignKey("adoption_match.id"), index=True)
    adopter_id: Mapped[int] = mapped_column(ForeignKey("adoption_adopter.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    proposed_on: Mapped[date] = mapped_column(Date)
    answer_due: Mapped[date] = mapped_column(Date)
    # None while waiting; ACCEPTED | REFUSED | NO_ANSWER | NOT_COMPLETED (getting to know or
    # the court did not end in an adoption)
    answer: Mapped[str | None] = mapped_column(String(20))
    answered_on: Mapped[date | None] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(Text, default="")
    meeting_from: Mapped[date | None] = mapped_column(Date)
    meeting_until: Mapped[date | None] = mapped_column(Date)
    court_decision_on: Mapped[date | None] = mapped_column(Date)
    court_reference: Mapped[str] = mapped_column(String(80), default="")
    # the job that made it: a retried job finds the row
    idempotency_key: Mapped[str | None] = mapped_column(String(120), unique=True)
