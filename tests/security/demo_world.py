"""One demo world per test module: the app with every process deployed, the demo data loaded
(`dicase demo-data`: its accounts, persons and cases in Rīga and Jelgava), a few more accounts
and records, and a signed-in client per account.

Built once per module because the security tests only read it or are refused: a refusal changes
nothing, and the few requests that change something act on records no other check uses.
"""
from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, select

from app import create_app
from app.api import keys
from app.auth.service import create_user
from app.config import PROJECT_ROOT, Settings
from app.db import transaction
from app.db.models import (
    Adopter,
    AdoptionChild,
    AdoptionMatch,
    Attachment,
    CaseDocument,
    HumanTask,
    OutboxMessage,
    Person,
    ProcessInstance,
    ReportPack,
    ServiceRecord,
    SupportPlanVersion,
    User,
)
from app.demo import load_demo_data
from app.engine.deploy import deploy_directory
from app.inbox.service import InboxQuery, save_filter
from app.modeler.service import save_draft
from app.services import Services, build_services
from tests.conftest import _EMPTY_TABLES
from tests.web.conftest import login

# Accounts beyond the demo's: another VSAC (for the institutions' records), an operator, and an
# account with no role at all. Their password satisfies the password policy.
EXTRA_PASSWORD = "Latgales-kontu-parole-2026"
EXTRA_USERS = {
    "latgale": (["caseworker"], ["institution"], "VSAC-LATGALE"),
    "operators": (["operator"], [], "LM"),
    "noroles": ([], [], "RIGA"),
}


@dataclass
class World:
    app: Flask
    services: Services
    ids: dict[str, Any]
    api_keys: dict[str, str]
    _clients: dict[str, FlaskClient] = field(default_factory=dict)

    def client(self, username: str) -> FlaskClient:
        """A test client signed in as ``username`` (a demo account or one of EXTRA_USERS)."""
        if username not in self._clients:
            client = self.app.test_client()
            password = EXTRA_PASSWORD if username in EXTRA_USERS else f"demo-{username}"
            response = login(client, username, password)
            assert response.status_code == 302, (username, response.status_code)
            self._clients[username] = client
        return self._clients[username]

    def anonymous(self) -> FlaskClient:
        return self.app.test_client()


def _module_database(template: str, directory: Path) -> str:
    if template.startswith("sqlite"):
        path = directory / "world.sqlite"
        shutil.copy(Path(template.split("///", 1)[1]), path)
        return f"sqlite:///{path}"
    engine = create_engine(template)
    with engine.begin() as conn:
        conn.exec_driver_sql(_EMPTY_TABLES)
    engine.dispose()
    return template


@pytest.fixture(scope="module")
def world(database_template: str, simulator_servers: dict[str, Any],
          tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    import requests

    from adapters.simulators import adapter_settings

    for simulator in simulator_servers.values():
        requests.post(f"{simulator.url}/_control/reset", json={}, timeout=5).raise_for_status()
    url = _module_database(database_template, tmp_path_factory.mktemp("security"))
    settings = Settings(database_url=url, forms_dir=PROJECT_ROOT / "forms",
                        processes_dir=PROJECT_ROOT / "processes", secret_key="security-tests",
                        start_simulators=False, in_process_workers=False,
                        pseudonym_demo_key_file=Path(os.devnull) / "none",
                        **adapter_settings(simulator_servers))  # type: ignore[arg-type]
    services = build_services(settings)
    outcome = deploy_directory(services.sessions, settings.processes_dir, "test")
    assert not outcome.errors, outcome.errors
    load_demo_data(services)
    ids, api_keys = _records(services)
    app = create_app(services=services)
    app.config.update(TESTING=True)
    yield World(app, services, ids, api_keys)
    services.db.dispose()


def _records(services: Services) -> tuple[dict[str, Any], dict[str, str]]:
    """Ids of one record of each kind in Rīga's (or the adoption unit's) scope, and API keys."""
    ids: dict[str, Any] = {}
    with transaction(services.sessions) as db:
        for username, (roles, groups, organisation) in EXTRA_USERS.items():
            create_user(db, username, username.capitalize(), EXTRA_PASSWORD, roles, groups,
                        organisation)

        def first(query: Any) -> Any:
            found = db.scalars(query.limit(1)).first()
            assert found is not None, str(query)
            return found

        riga_task = first(select(HumanTask).where(
            HumanTask.status == "open", HumanTask.municipality_code == "RIGA",
            HumanTask.institution_code.is_(None), HumanTask.candidate_groups == "social_service")
            .order_by(HumanTask.id))
        ids["task"] = riga_task.id
        ids["person"] = first(select(Person.id).where(
            Person.municipality_code == "RIGA", Person.institution_code == "VSAC-RIGA",
            Person.confidential.is_(False)).order_by(Person.id))
        ids["planned_person"] = first(select(SupportPlanVersion.person_id).join(
            Person, Person.id == SupportPlanVersion.person_id).where(
            Person.municipality_code == "RIGA").order_by(SupportPlanVersion.person_id))
        ids["p6_person"] = first(select(ProcessInstance.person_id).where(
            ProcessInstance.process_key == "p06_community_preparation",
            ProcessInstance.institution_code == "VSAC-RIGA").order_by(ProcessInstance.id))
        ids["instance"] = first(select(ProcessInstance.id).where(
            ProcessInstance.municipality_code == "RIGA",
            ProcessInstance.process_key == "p01_adult_needs_assessment")
            .order_by(ProcessInstance.id))
        ids["placement"] = first(select(ProcessInstance.id).where(
            ProcessInstance.process_key == "p09_out_of_family_care",
            ProcessInstance.status == "active", ProcessInstance.institution_code == "VSAC-RIGA")
            .order_by(ProcessInstance.id))
        for name, key in (("group_home_report", "p05_group_home_report"),
                          ("nsk_report", "p07_nsk_report")):
            ids[name] = first(select(ProcessInstance.id).where(
                ProcessInstance.process_key == key, ProcessInstance.municipality_code == "RIGA"))
        ids["document"] = first(select(CaseDocument.id).where(
            CaseDocument.municipality_code == "RIGA").order_by(CaseDocument.id))
        ids["message"] = first(select(OutboxMessage.id).where(
            OutboxMessage.channel == "in_app", OutboxMessage.recipient_code == "RIGA"))
        ids["service_record"] = first(select(ServiceRecord.id).where(
            ServiceRecord.status == "rejected", ServiceRecord.municipality_code == "RIGA"))
        ids["adoption_child"] = first(select(AdoptionChild.id).order_by(AdoptionChild.id))
        ids["adopter"] = first(select(Adopter.id).order_by(Adopter.id))
        ids["match"] = first(select(AdoptionMatch.id).order_by(AdoptionMatch.id))
        content = b"%PDF-1.4 a test attachment"
        attachment = Attachment(instance_id=riga_task.instance_id, task_id=riga_task.id,
                                field_name="file", file_name="izziņa.pdf",
                                content_type="application/pdf", size=len(content),
                                sha256=hashlib.sha256(content).hexdigest(), content=content,
                                uploaded_by="soc")
        db.add(attachment)
        db.flush()
        ids["attachment"] = attachment.id
        ids["filter"] = save_filter(db, "soc", "Mani", InboxQuery.from_args({})).id
        soc = first(select(User).where(User.username == "soc"))
        report_pack = ReportPack(user_id=soc.id, period="2026-01",
                                 instance_id=riga_task.instance_id, contents=[], content=content,
                                 content_sha256=hashlib.sha256(content).hexdigest(),
                                 size=len(content))
        db.add(report_pack)
        db.flush()
        ids["report_pack"] = report_pack.id
        ids["draft"] = save_draft(db, "bpmn", "p09_out_of_family_care",
                                  (PROJECT_ROOT / "processes" / "p09_out_of_family_care.bpmn")
                                  .read_text(encoding="utf-8"), "procesi").id
        api_keys = {
            organisation: keys.create_key(db, organisation_code=organisation,
                                          name=f"security {organisation}", roles=roles,
                                          groups=["social_service"], created_by="tests").secret
            for organisation, roles in (("RIGA", ["caseworker"]), ("JELGAVA", ["caseworker"]),
                                        ("LM-AUDIT", ["auditor"]))}
    ids["process_key"] = "p09_out_of_family_care"
    ids["form"] = min(p.name for p in (PROJECT_ROOT / "forms").glob("*.json"))
    ids["decisions"] = min(p.name for p in (PROJECT_ROOT / "processes").glob("*.dmn"))
    return ids, api_keys
