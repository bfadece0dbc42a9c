"""P1's demo persons: loaded once, in every state, with the simulators answering."""
from __future__ import annotations

from collections import Counter

from sqlalchemy import func, select

from app.assessment.demo import load_demo
from app.assessment.service import PROCESS_KEY
from app.db.models import HumanTask, ProcessInstance
from app.db.models.support_plans import SupportPlanVersion
from app.domain.calendar import today_in_latvia
from app.services import Services
from tests.processes.test_p01_adult_needs_assessment import p1, p1_settings  # noqa: F401 - fixtures


def test_demo_cases_in_every_state_and_loaded_once(p1: Services) -> None:  # noqa: F811
    load_demo(p1, today_in_latvia())
    load_demo(p1, today_in_latvia())
    with p1.sessions() as session:
        instances = session.scalars(select(ProcessInstance).where(
            ProcessInstance.process_key == PROCESS_KEY)).all()
        waiting = Counter(session.scalars(select(HumanTask.element_id).where(
            HumanTask.status == "open", HumanTask.process_key == PROCESS_KEY)))
        sources = Counter(session.scalars(select(SupportPlanVersion.source)))
        most_versions = session.scalar(select(func.max(SupportPlanVersion.version)))
    assert len(instances) == 17
    # Seed 81 is not in the register: its application waits for correction.
    assert waiting == {"interview": 4, "draft_iap": 3, "approve_iap": 2, "correct_application": 1}
    # Seed 28's plan was closed; the register says seed 79's person has died.
    assert sum(i.status == "completed" for i in instances) == 2
    assert sources == {"assessment": 6, "municipality": 6}  # 26: v2; 27, 28: v2, v3; 33: v2
    assert most_versions == 3
