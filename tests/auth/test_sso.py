"""Single sign-on through Keycloak: the whole browser round trip against the fake Keycloak over
real HTTP, what it accepts, and everything it must refuse."""
from __future__ import annotations

import logging
import time
from collections.abc import Callable
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from flask import Flask
from sqlalchemy import func, select

from app.auth.oidc import code_challenge_of
from app.auth.sessions import PENDING_SSO
from app.db.models import User
from app.services import Services
from tests.auth.conftest import (
    at_identity_provider,
    back_at_app,
    sso_login,
    sso_overrides,
    start_sso,
    with_query,
)
from tests.auth.fake_keycloak import FakeKeycloak, new_signing_key
from tests.web.conftest import csrf_from, login, post

SSO_BUTTON = "Pieslēgties ar vienoto pieteikšanos"


def users(db: Services) -> list[User]:
    with db.sessions() as session:
        return list(session.scalars(select(User).order_by(User.id)))


def signed_in(client: object) -> bool:
    return client.get("/inbox").status_code == 200  # type: ignore[attr-defined]


# --- the way in ----------------------------------------------------------------------------------


def test_login_page_offers_single_sign_on_only_when_it_is_configured(
        local_app: Flask, sso_app: Flask) -> None:
    local = local_app.test_client()
    assert SSO_BUTTON not in local.get("/login").text
    assert local.post("/login/sso", data={"csrf_token": csrf_from(local.get("/login"))}
                      ).status_code == 404
    assert local.get("/login/sso/callback?code=x&state=y").status_code == 404
    page = sso_app.test_client().get("/login")
    assert SSO_BUTTON in page.text
    assert 'name="password"' in page.text  # local accounts keep working alongside


def test_sign_in_goes_to_keycloak_with_pkce_state_and_nonce(
        sso_app: Flask, keycloak: FakeKeycloak) -> None:
    client = sso_app.test_client()
    address = urlsplit(start_sso(client))
    params = {name: values[0] for name, values in parse_qs(address.query).items()}
    assert address._replace(query="").geturl() == keycloak.endpoint("auth")
    assert params["client_id"] == "dicase"
    assert params["response_type"] == "code"
    assert params["redirect_uri"] == "http://localhost/login/sso/callback"
    assert "openid" in params["scope"].split()
    assert params["code_challenge_method"] == "S256"
    with client.session_transaction() as session:
        pending = session[PENDING_SSO]
    assert params["state"] == pending["state"] and len(pending["state"]) >= 32
    assert params["nonce"] == pending["nonce"] and len(pending["nonce"]) >= 32
    assert params["code_challenge"] == code_challenge_of(pending["code_verifier"])
    assert params["code_challenge"] != pending["code_verifier"]
    assert "code_verifier" not in address.query


def test_single_sign_on_creates_the_account_with_mapped_roles_groups_and_organisation(
        sso_app: Flask, keycloak: FakeKeycloak, db: Services) -> None:
    client = sso_app.test_client()
    response = sso_login(client)
    assert response.status_code == 302
    assert response.headers["Location"] == "/inbox"
    inbox = client.get("/inbox")
    assert inbox.status_code == 200
    assert "Sandra Kalniņa" in inbox.text
    [user] = users(db)
    assert user.username == "sandra"
    assert user.password_hash == ""
    assert user.roles == ["caseworker", "supervisor"]
    assert user.groups == ["institution"]
    assert user.organisation_code == "RIGA"
    assert user.locale == "lv"
    [exchange] = keycloak.token_requests
    assert exchange["grant_type"] == "authorization_code"
    assert exchange["client_secret"] == keycloak.client_secret
    assert exchange["redirect_uri"] == "http://localhost/login/sso/callback"
    assert len(exchange["code_verifier"]) >= 43


def test_the_identity_provider_stays_the_source_of_roles_and_groups(
        sso_app: Flask, keycloak: FakeKeycloak, db: Services) -> None:
    sso_login(sso_app.test_client())
    keycloak.user.realm_roles = ["dicase-auditor", "dicase-unknown-role", "caseworker"]
    keycloak.user.groups = ["/org/VARAM", "/group/ministry", "/group/audit", "/other/x"]
    assert sso_login(sso_app.test_client()).status_code == 302
    [user] = users(db)
    assert user.roles == ["auditor"]
    assert user.groups == ["audit", "ministry"]
    assert user.organisation_code == "VARAM"


def test_roles_and_groups_are_read_from_the_access_token_when_the_id_token_lacks_them(
        sso_app: Flask, keycloak: FakeKeycloak, db: Services) -> None:
    keycloak.mapping_claims_in_id_token = False
    assert sso_login(sso_app.test_client()).status_code == 302
    [user] = users(db)
    assert user.roles == ["caseworker", "supervisor"]
    assert user.organisation_code == "RIGA"


def test_the_role_prefix_is_a_setting(make_app: Callable[..., Flask], keycloak: FakeKeycloak,
                                      db: Services) -> None:
    app = make_app(**sso_overrides(keycloak), oidc_role_prefix="app:")
    keycloak.user.realm_roles = ["app:interviewer", "dicase-admin"]
    assert sso_login(app.test_client()).status_code == 302
    assert users(db)[0].roles == ["interviewer"]


def test_single_sign_on_returns_to_the_page_asked_for_and_only_on_this_site(
        sso_app: Flask) -> None:
    assert sso_login(sso_app.test_client(), "/tasks/7?tab=data").headers["Location"] \
        == "/tasks/7?tab=data"
    for outside in ("https://evil.example/", "//evil.example/inbox", "/\\evil.example"):
        assert sso_login(sso_app.test_client(), outside).headers["Location"] == "/inbox"


def test_the_callback_address_follows_the_configured_app_url(
        make_app: Callable[..., Flask], keycloak: FakeKeycloak) -> None:
    app = make_app(**sso_overrides(keycloak), oidc_app_url="https://dicase.example.lv/")
    params = parse_qs(urlsplit(start_sso(app.test_client())).query)
    assert params["redirect_uri"] == ["https://dicase.example.lv/login/sso/callback"]


# --- what is refused -----------------------------------------------------------------------------


def test_a_callback_with_another_state_is_refused_and_its_code_never_used(
        sso_app: Flask, keycloak: FakeKeycloak, db: Services) -> None:
    client = sso_app.test_client()
    callback = at_identity_provider(start_sso(client))
    response = back_at_app(client, with_query(callback, state="forged-state"))
    assert response.status_code == 400
    assert "Pieteikšanos neizdevās pabeigt" in response.text
    assert keycloak.token_requests == []
    assert users(db) == []
    assert not signed_in(client)
    # The state was used up: the genuine callback cannot be replayed after a forged one.
    assert back_at_app(client, callback).status_code == 400


def test_a_callback_this_browser_did_not_start_is_refused(
        sso_app: Flask, keycloak: FakeKeycloak, db: Services) -> None:
    # Login CSRF: an attacker completes a sign-in as themselves and sends the victim's browser
    # to the callback, hoping to sign the victim in to the attacker's account.
    attacker = sso_app.test_client()
    callback = at_identity_provider(start_sso(attacker))
    victim = sso_app.test_client()
    victim.get("/login")
    response = back_at_app(victim, callback)
    assert response.status_code == 400
    assert keycloak.token_requests == []
    assert not signed_in(victim)
    assert users(db) == []


def test_a_callback_cannot_be_replayed(sso_app: Flask, keycloak: FakeKeycloak) -> None:
    client = sso_app.test_client()
    callback = at_identity_provider(start_sso(client))
    assert back_at_app(client, callback).status_code == 302
    assert back_at_app(client, callback).status_code == 400
    assert len(keycloak.token_requests) == 1


def test_a_stolen_code_is_useless_without_its_pkce_verifier(
        sso_app: Flask, keycloak: FakeKeycloak, db: Services) -> None:
    # The victim's code is intercepted on its way back; the attacker starts a sign-in of their
    # own (so the state matches their session) and hands the app the victim's code. The app
    # redeems it with the attacker's verifier, which does not match the victim's challenge.
    victim = sso_app.test_client()
    stolen = parse_qs(urlsplit(at_identity_provider(start_sso(victim))).query)["code"][0]
    attacker = sso_app.test_client()
    own_callback = at_identity_provider(start_sso(attacker))
    response = back_at_app(attacker, with_query(own_callback, code=stolen))
    assert response.status_code == 401
    assert "Vienotā pieteikšanās neizdevās" in response.text
    assert keycloak.token_requests[-1]["code"] == stolen
    assert not signed_in(attacker)
    assert users(db) == []


def test_an_id_token_signed_with_another_key_is_refused(
        sso_app: Flask, keycloak: FakeKeycloak, db: Services) -> None:
    keycloak.sign_with = new_signing_key(kid=keycloak.signing_key["kid"])
    client = sso_app.test_client()
    response = sso_login(client)
    assert response.status_code == 401
    assert not signed_in(client)
    assert users(db) == []


def test_an_id_token_signed_with_an_unpublished_key_is_refused_after_refetching_the_keys(
        sso_app: Flask, keycloak: FakeKeycloak) -> None:
    keycloak.sign_with = new_signing_key()
    client = sso_app.test_client()
    assert sso_login(client).status_code == 401
    assert keycloak.certs_requests == 2  # once more, in case the realm had rotated its keys
    assert not signed_in(client)


def test_an_expired_id_token_is_refused(sso_app: Flask, keycloak: FakeKeycloak,
                                        db: Services) -> None:
    now = int(time.time())
    keycloak.id_token_overrides = {"iat": now - 900, "exp": now - 600}
    client = sso_app.test_client()
    assert sso_login(client).status_code == 401
    assert not signed_in(client)
    assert users(db) == []


@pytest.mark.parametrize(("overrides", "dropped"), [
    ({"aud": "another-client"}, []),
    ({"iss": "http://127.0.0.1:1/realms/dicase"}, []),
    ({"nonce": "a-nonce-of-another-sign-in"}, []),
    ({"typ": "Bearer"}, []),
    ({"aud": ["dicase", "another-client"], "azp": "another-client"}, []),
    ({}, ["exp"]),
    ({}, ["sub"]),
    ({}, ["nonce"]),
], ids=["audience", "issuer", "nonce", "type", "authorised-party", "no-expiry", "no-subject",
        "no-nonce"])
def test_an_id_token_with_a_wrong_or_missing_claim_is_refused(
        sso_app: Flask, keycloak: FakeKeycloak, overrides: dict[str, object],
        dropped: list[str], db: Services) -> None:
    keycloak.id_token_overrides = overrides
    keycloak.id_token_drop = dropped
    client = sso_app.test_client()
    assert sso_login(client).status_code == 401
    assert not signed_in(client)
    assert users(db) == []


def test_an_id_token_signed_with_the_client_secret_instead_of_the_realm_key_is_refused(
        sso_app: Flask, keycloak: FakeKeycloak) -> None:
    keycloak.algorithm = "HS256"
    client = sso_app.test_client()
    assert sso_login(client).status_code == 401
    assert not signed_in(client)


def test_a_wrong_client_secret_is_refused_by_keycloak(
        make_app: Callable[..., Flask], keycloak: FakeKeycloak) -> None:
    app = make_app(**{**sso_overrides(keycloak), "oidc_client_secret": "not-the-secret"})
    client = app.test_client()
    assert sso_login(client).status_code == 401
    assert not signed_in(client)


def test_a_person_without_a_di_case_role_gets_no_account(
        sso_app: Flask, keycloak: FakeKeycloak, db: Services) -> None:
    keycloak.user.realm_roles = ["offline_access", "other-app-user"]
    client = sso_app.test_client()
    response = sso_login(client)
    assert response.status_code == 403
    assert "Jūsu kontam nav piekļuves DI Case" in response.text
    assert users(db) == []


def test_a_person_in_two_organisations_is_refused(
        sso_app: Flask, keycloak: FakeKeycloak, db: Services) -> None:
    keycloak.user.groups = ["/org/RIGA", "/org/JELGAVA", "/group/institution"]
    assert sso_login(sso_app.test_client()).status_code == 403
    assert users(db) == []


def test_an_account_deactivated_here_stays_out(
        sso_app: Flask, make_account: Callable[..., str], keycloak: FakeKeycloak) -> None:
    make_account("sandra", active=False)
    client = sso_app.test_client()
    assert sso_login(client).status_code == 403
    assert not signed_in(client)


def test_keycloak_refusing_the_sign_in_is_shown_as_such(sso_app: Flask) -> None:
    client = sso_app.test_client()
    callback = at_identity_provider(start_sso(client))
    response = back_at_app(client, with_query(callback, error="access_denied", code=""))
    assert response.status_code == 401
    assert "Vienotā pieteikšanās neizdevās" in response.text


def test_an_unreachable_keycloak_is_reported_as_such(make_app: Callable[..., Flask]) -> None:
    app = make_app(oidc_server_url="http://127.0.0.1:9", oidc_timeout=2)
    client = app.test_client()
    response = client.post("/login/sso", data={"csrf_token": csrf_from(client.get("/login"))})
    assert response.status_code == 503
    assert "Pieteikšanās pakalpojums pašlaik nav sasniedzams" in response.text


# --- CSRF ----------------------------------------------------------------------------------------


def test_starting_single_sign_on_needs_the_csrf_token(sso_app: Flask) -> None:
    client = sso_app.test_client()
    client.get("/login")
    assert client.post("/login/sso").status_code == 400
    assert client.post("/login/sso", data={"csrf_token": "forged"}).status_code == 400
    with client.session_transaction() as session:
        assert PENDING_SSO not in session


def test_the_callback_cannot_be_posted_to_around_the_state(
        sso_app: Flask, keycloak: FakeKeycloak) -> None:
    client = sso_app.test_client()
    callback = urlsplit(at_identity_provider(start_sso(client)))
    params = {name: values[0] for name, values in parse_qs(callback.query).items()}
    token = csrf_from(client.get("/login"))
    response = client.post(callback.path, data={**params, "csrf_token": token})
    assert response.status_code == 405
    assert keycloak.token_requests == []
    assert not signed_in(client)


# --- the way out ---------------------------------------------------------------------------------


def test_signing_out_ends_the_keycloak_session_too(
        sso_app: Flask, keycloak: FakeKeycloak) -> None:
    client = sso_app.test_client()
    sso_login(client)
    response = post(client, "/logout")
    assert response.status_code == 302
    address = urlsplit(response.headers["Location"])
    assert address._replace(query="").geturl() == keycloak.endpoint("logout")
    params = {name: values[0] for name, values in parse_qs(address.query).items()}
    assert params["id_token_hint"] == keycloak.issued_id_tokens[-1]
    assert params["post_logout_redirect_uri"] == "http://localhost/login"
    assert not signed_in(client)
    back = requests.get(response.headers["Location"], allow_redirects=False, timeout=10)
    assert back.status_code == 302
    assert back.headers["Location"] == "http://localhost/login"
    assert len(keycloak.ended_sessions) == 1
    assert "Darba sesija ir beigta." in client.get("/login").text


def test_a_local_account_signs_out_here_only_when_single_sign_on_is_on(
        sso_app: Flask, make_account: Callable[..., str]) -> None:
    make_account("anna")
    client = sso_app.test_client()
    login(client, "anna")
    response = post(client, "/logout")
    assert response.headers["Location"] == "/login"


def test_single_sign_on_logs_name_no_one(sso_app: Flask, keycloak: FakeKeycloak,
                                         caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG):
        client = sso_app.test_client()
        sso_login(client)
        post(client, "/logout")
        keycloak.sign_with = new_signing_key(kid=keycloak.signing_key["kid"])
        sso_login(sso_app.test_client())
    logged = caplog.text.lower()
    assert "signed in through single sign-on" in logged
    assert "single sign-on refused" in logged
    for personal in ("sandra", "kalni", "example.lv"):
        assert personal not in logged


def test_accounts_are_not_duplicated_across_sign_ins(
        sso_app: Flask, db: Services) -> None:
    for _ in range(3):
        assert sso_login(sso_app.test_client()).status_code == 302
    with db.sessions() as session:
        assert session.scalar(select(func.count()).select_from(User)) == 1
