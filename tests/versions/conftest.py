"""The web app of tests/web with a process owner, an auditor and a caseworker signed in."""
from __future__ import annotations

from tests.modeler.conftest import account, auditor, caseworker, owner  # noqa: F401
from tests.web.conftest import app, web_services, web_settings  # noqa: F401
