"""The access tests drive the real web app, with the web tests' fixtures."""
from tests.web.conftest import app, web_services, web_settings

__all__ = ["app", "web_services", "web_settings"]
