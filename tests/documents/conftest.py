from tests.web.conftest import app, make_user, web_services, web_settings  # noqa: F401
