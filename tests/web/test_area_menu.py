"""The main menu offers each area's pages to the organisations whose work they are."""
from __future__ import annotations

import pytest
from flask import Flask

from app.auth.service import create_user
from app.db import transaction
from app.services import Services
from tests.web.conftest import PASSWORD, login

PAGES = {"/region-data": "Reģiona dati", "/service-records": "Pakalpojumu uzskaite",
         "/group-homes/reports": "Grupu māju pārskati",
         "/community-preparation/residents": "Ikdienas aktivitāšu žurnāls"}


@pytest.mark.parametrize(("organisation", "expected"), [
    ("PR-RIGA", {"/region-data", "/service-records"}),
    ("RIGA", {"/service-records", "/group-homes/reports"}),
    ("LM", {"/region-data", "/service-records", "/group-homes/reports"}),
    ("VSAC-RIGA", {"/community-preparation/residents"}),
    ("RIGA-BT", set()),
])
def test_each_organisation_sees_its_pages(app: Flask, web_services: Services, organisation: str,
                                          expected: set[str]) -> None:
    with transaction(web_services.sessions) as session:
        create_user(session, "menu", "Menu", PASSWORD, roles=["caseworker"], groups=[],
                    organisation_code=organisation)
    client = app.test_client()
    assert login(client, "menu").status_code == 302
    page = client.get("/", follow_redirects=True).text
    menu = page.split('class="main-nav"', 1)[1].split("</nav>", 1)[0]
    shown = {path for path in PAGES if f'href="{path}"' in menu}
    assert shown == expected
    for path in expected:
        assert PAGES[path] in menu  # in Latvian
        assert client.get(path).status_code == 200
