"""What the child card form shows before the specialist types anything: the child's facts from
DI Case (``service.prefill_child``: the person, P10's decision, P9's placement) and VDEĀVK's
disability decision asked through its adapter.

VDEĀVK is asked while the form is shown so that its answer ticks the health conditions the
specialist confirms; the card's own VDEĀVK record (opinion number, severity, the day checked)
is written by the match's first step (``adoption.check_health``), which asks again on the day.
If VDEĀVK does not answer the form says so and nothing is lost: the match checks later."""
from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import date

from adapters.registry import AdapterError, CallContext
from adapters.vdeavk.messages import DisabilityDecision
from app.config import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class HealthAnswer:
    asked: bool
    decision: DisabilityDecision | None = None

    @property
    def conditions(self) -> list[str]:
        if self.decision is None:
            return []
        return ["disability", "special_care"] if self.decision.special_care_opinion \
            else ["disability"]


def ask_vdeavk(settings: Settings, personal_code: str | None, day: date) -> HealthAnswer:
    """VDEĀVK's decision in force on ``day``; not asked without a code or a configured
    VDEĀVK, and a failed call is an answer not received (logged without the code)."""
    if not personal_code or not settings.vdeavk_url:
        return HealthAnswer(False)
    from adapters.vdeavk import client as vdeavk

    # a read: each look is its own request (VDEĀVK answers a key once)
    call = CallContext(f"adoption-card-{uuid.uuid4()}", settings.adapter_settings(),
                       settings.adapter_timeout)
    try:
        return HealthAnswer(True, vdeavk.get_disability_status(call, personal_code, day))
    except AdapterError as err:
        log.warning("VDEĀVK did not answer for the adoption card form (%s)", err.system or "vdeavk")
        return HealthAnswer(False)
