"""The security tests use the auth tests' apps (local accounts, single sign-on through the fake
Keycloak) and the web tests' fixtures."""
from tests.auth.conftest import (
    db,
    keycloak,
    keycloak_server,
    local_app,
    make_account,
    make_app,
    sso_app,
)

__all__ = ["db", "keycloak", "keycloak_server", "local_app", "make_account", "make_app",
           "sso_app"]
