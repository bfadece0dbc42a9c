# The browser tests drive the same app the web tests build.
from tests.web.conftest import app, web_services, web_settings  # noqa: F401
