"""The cockpit tests use the history tests' app, accounts and cases."""
from tests.history.conftest import (
    account,
    app,
    auditor,
    operator,
    p9_case,
    web_services,
    web_settings,
)

__all__ = ["account", "app", "auditor", "operator", "p9_case", "web_services", "web_settings"]
