"""Bearer access tokens for the API (OidcClient.verify_api_token), against the fake Keycloak."""
from __future__ import annotations

import time
from typing import Any

import pytest

from app.auth.oidc import (
    OidcAccountNotAllowed,
    OidcClient,
    OidcConfig,
    OidcTokenInvalid,
)
from tests.auth.fake_keycloak import FakeKeycloak, new_signing_key


@pytest.fixture
def oidc(keycloak: FakeKeycloak) -> OidcClient:
    return OidcClient(OidcConfig(server_url=keycloak.url, realm=keycloak.realm,
                                 client_id=keycloak.client_id,
                                 client_secret=keycloak.client_secret))


def access_token(keycloak: FakeKeycloak, **changes: Any) -> str:
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": keycloak.issuer, "sub": "sub-1", "iat": now, "exp": now + 300, "typ": "Bearer",
        "azp": keycloak.client_id, "aud": "account", "preferred_username": "sandra",
        "realm_access": {"roles": ["dicase-caseworker"]}, "groups": ["/org/RIGA"]}
    claims.update(changes)
    return keycloak.sign({name: value for name, value in claims.items() if value is not None})


def test_a_token_issued_to_di_case_stands_for_its_person(
        oidc: OidcClient, keycloak: FakeKeycloak) -> None:
    identity = oidc.verify_api_token(access_token(keycloak))
    assert (identity.username, identity.roles, identity.organisation_code) \
        == ("sandra", ("caseworker",), "RIGA")


def test_a_token_of_another_client_needs_di_case_in_its_audience(
        oidc: OidcClient, keycloak: FakeKeycloak) -> None:
    with pytest.raises(OidcTokenInvalid):
        oidc.verify_api_token(access_token(keycloak, azp="municipal-system"))
    identity = oidc.verify_api_token(access_token(keycloak, azp="municipal-system",
                                                  aud=["account", keycloak.client_id]))
    assert identity.username == "sandra"


@pytest.mark.parametrize("changes", [
    {"typ": "ID", "aud": "dicase"}, {"typ": None}, {"exp": int(time.time()) - 3600},
    {"iss": "http://127.0.0.1:1/realms/dicase"}, {"sub": None},
], ids=["id-token", "no-type", "expired", "issuer", "no-subject"])
def test_tokens_that_are_not_access_tokens_of_this_realm_now_are_refused(
        oidc: OidcClient, keycloak: FakeKeycloak, changes: dict[str, Any]) -> None:
    with pytest.raises(OidcTokenInvalid):
        oidc.verify_api_token(access_token(keycloak, **changes))


def test_a_token_signed_with_another_key_is_refused(oidc: OidcClient,
                                                    keycloak: FakeKeycloak) -> None:
    keycloak.sign_with = new_signing_key(kid=keycloak.signing_key["kid"])
    with pytest.raises(OidcTokenInvalid):
        oidc.verify_api_token(access_token(keycloak))


def test_a_token_without_a_di_case_role_is_not_allowed(oidc: OidcClient,
                                                      keycloak: FakeKeycloak) -> None:
    with pytest.raises(OidcAccountNotAllowed):
        oidc.verify_api_token(access_token(keycloak, realm_access={"roles": ["other"]}))
