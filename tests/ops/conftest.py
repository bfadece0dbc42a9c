"""The ops tests use the web tests' app: the real app on a migrated database, processes deployed."""
from tests.web.conftest import (  # noqa: F401 - fixtures, found by name
    anna,
    app,
    make_user,
    p9_task,
    sign_in,
    start_p9,
    web_services,
    web_settings,
)
