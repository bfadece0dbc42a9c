"""The fake Keycloak itself: python-keycloak can talk to it, and it refuses what Keycloak
refuses, so the sign-in tests' refusals come from real checks."""
from __future__ import annotations

import secrets
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests
from keycloak import KeycloakOpenID
from keycloak.exceptions import KeycloakAuthenticationError, KeycloakPostError

from app.auth.oidc import code_challenge_of
from tests.auth.fake_keycloak import FakeKeycloak

REDIRECT = "http://localhost/login/sso/callback"


def client_of(keycloak: FakeKeycloak, secret: str | None = None) -> KeycloakOpenID:
    return KeycloakOpenID(server_url=keycloak.url + "/", realm_name=keycloak.realm,
                          client_id=keycloak.client_id,
                          client_secret_key=secret or keycloak.client_secret)


def authorize(keycloak: FakeKeycloak, verifier: str, redirect_uri: str = REDIRECT) -> str:
    query = urlencode({"client_id": keycloak.client_id, "response_type": "code",
                       "redirect_uri": redirect_uri, "scope": "openid", "state": "s",
                       "nonce": "n", "code_challenge": code_challenge_of(verifier),
                       "code_challenge_method": "S256"})
    answer = requests.get(f"{keycloak.endpoint('auth')}?{query}", allow_redirects=False,
                          timeout=10)
    assert answer.status_code == 302, answer.text
    return parse_qs(urlsplit(answer.headers["Location"]).query)["code"][0]


def test_python_keycloak_reads_the_realm_and_its_keys(keycloak: FakeKeycloak) -> None:
    oidc = client_of(keycloak)
    assert oidc.well_known()["issuer"] == keycloak.issuer
    kinds = {(key["kty"], key["use"]) for key in oidc.certs()["keys"]}
    assert kinds == {("RSA", "sig"), ("RSA", "enc")}
    assert all("d" not in key and "p" not in key for key in oidc.certs()["keys"])  # public only


def test_a_code_exchanged_with_its_verifier_gives_verifiable_tokens(
        keycloak: FakeKeycloak) -> None:
    oidc = client_of(keycloak)
    verifier = secrets.token_urlsafe(64)
    tokens = oidc.token(grant_type="authorization_code", code=authorize(keycloak, verifier),
                        redirect_uri=REDIRECT, code_verifier=verifier)
    claims = oidc.decode_token(tokens["id_token"])
    assert claims["preferred_username"] == "sandra"
    assert claims["nonce"] == "n"
    assert claims["aud"] == keycloak.client_id
    assert oidc.userinfo(tokens["access_token"])["preferred_username"] == "sandra"


def test_the_token_endpoint_checks_verifier_secret_redirect_uri_and_single_use(
        keycloak: FakeKeycloak) -> None:
    oidc = client_of(keycloak)
    verifier = secrets.token_urlsafe(64)
    with pytest.raises(KeycloakPostError, match="PKCE"):
        oidc.token(grant_type="authorization_code", code=authorize(keycloak, verifier),
                   redirect_uri=REDIRECT, code_verifier=secrets.token_urlsafe(64))
    with pytest.raises(KeycloakPostError, match="redirect_uri"):
        oidc.token(grant_type="authorization_code", code=authorize(keycloak, verifier),
                   redirect_uri="http://localhost/elsewhere", code_verifier=verifier)
    with pytest.raises(KeycloakAuthenticationError) as refused:
        client_of(keycloak, "wrong").token(grant_type="authorization_code",
                                           code=authorize(keycloak, verifier),
                                           redirect_uri=REDIRECT, code_verifier=verifier)
    assert refused.value.response_code == 401
    code = authorize(keycloak, verifier)
    oidc.token(grant_type="authorization_code", code=code, redirect_uri=REDIRECT,
               code_verifier=verifier)
    with pytest.raises(KeycloakPostError, match="Code not valid"):
        oidc.token(grant_type="authorization_code", code=code, redirect_uri=REDIRECT,
                   code_verifier=verifier)


def test_the_authorization_endpoint_accepts_only_registered_redirect_uris(
        keycloak: FakeKeycloak) -> None:
    query = urlencode({"client_id": keycloak.client_id, "response_type": "code",
                       "redirect_uri": "https://evil.example/cb", "scope": "openid",
                       "state": "s", "code_challenge": "c", "code_challenge_method": "S256"})
    answer = requests.get(f"{keycloak.endpoint('auth')}?{query}", allow_redirects=False,
                          timeout=10)
    assert answer.status_code == 400


def test_end_session_needs_a_valid_hint_and_a_registered_return_address(
        keycloak: FakeKeycloak) -> None:
    logout = keycloak.endpoint("logout")
    bad_hint = requests.get(logout, params={"id_token_hint": "x.y.z",
                                            "post_logout_redirect_uri": "http://localhost/login"},
                            allow_redirects=False, timeout=10)
    assert bad_hint.status_code == 400
    elsewhere = requests.get(logout, params={"client_id": keycloak.client_id,
                                             "post_logout_redirect_uri": "https://evil.example/"},
                             allow_redirects=False, timeout=10)
    assert elsewhere.status_code == 400
    assert keycloak.ended_sessions == []
