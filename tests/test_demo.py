from sqlalchemy import func, select

from app.auth.service import authenticate
from app.db.models import HumanTask, ProcessInstance, User
from app.demo import DEMO_USERS, load_demo_data
from app.services import Services

from .engine.helpers import deploy_processes


def test_demo_data_loads_once_and_its_logins_work(services: Services) -> None:
    deploy_processes(services)
    load_demo_data(services)
    with services.sessions() as session:
        first = session.scalar(select(func.count()).select_from(ProcessInstance))
        keys = set(session.scalars(select(ProcessInstance.process_key)))
    load_demo_data(services)
    with services.sessions() as session:
        assert session.scalar(select(func.count()).select_from(User)) == len(DEMO_USERS)
        # A second load adds nothing, and every process has demo cases.
        assert session.scalar(select(func.count()).select_from(ProcessInstance)) == first
        deployed = {path.stem for path in services.settings.processes_dir.glob("p*.bpmn")}
        assert deployed <= keys, deployed - keys
        # P9: the three cases of the caseworker demo, P10's two decisions (a child placed, one
        # returned home, which ended its placement) and the P9 area's four (overdue, due within
        # 14 days, one with a report delivered, one placed by NPAIS).
        assert session.scalar(select(func.count()).select_from(ProcessInstance).where(
            ProcessInstance.process_key == "p09_out_of_family_care")) == 9
        assert session.scalar(select(func.count()).select_from(ProcessInstance).where(
            ProcessInstance.process_key == "p09_out_of_family_care",
            ProcessInstance.status == "active")) == 8
        # Waiting for the institution to register the placement: the caseworker demo's three,
        # P10's placed child and the NPAIS placement.
        assert session.scalar(select(func.count()).select_from(HumanTask)
                              .where(HumanTask.candidate_groups == "institution",
                                     HumanTask.element_id == "register_placement",
                                     HumanTask.status == "open")) == 5
        demo = DEMO_USERS[0]
        assert authenticate(session, demo.username, demo.password) is not None
        assert authenticate(session, demo.username, "wrong") is None
