from __future__ import annotations

from sqlalchemy import Boolean, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base


class Organisation(Base):
    """Who a user works for; the organisation decides which records the user may see.

    Kinds: ministry, municipality (its social service), planning_region, vsac (state social care
    centre), service_provider, orphan_court, adoption_register, auditor.
    """

    __tablename__ = "organisation"

    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    kind: Mapped[str] = mapped_column(String(30), index=True)
    name_lv: Mapped[str] = mapped_column(String(255))
    name_en: Mapped[str] = mapped_column(String(255))
    # The municipality whose territory the organisation serves (a municipality's own code, the
    # orphan court's municipality); None for national bodies.
    municipality_code: Mapped[str | None] = mapped_column(String(40), index=True)
    # The planning region a municipality belongs to, or the region a planning region is.
    region_code: Mapped[str | None] = mapped_column(String(40), index=True)
    # Official ATVK 2021 code of the territory, and whether it was taken from the classifier.
    atvk_code: Mapped[str | None] = mapped_column(String(7))
    atvk_from_classifier: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
