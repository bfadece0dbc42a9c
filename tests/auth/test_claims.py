"""How Keycloak's claims become a person of DI Case (app.auth.oidc.identity_from_claims)."""
from __future__ import annotations

from typing import Any

import pytest

from app.auth.oidc import OidcAccountNotAllowed, OidcConfig, identity_from_claims

CONFIG = OidcConfig(server_url="http://sso.invalid", realm="dicase", client_id="dicase",
                    client_secret="")


def claims(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "preferred_username": "janis", "name": "Jānis Bērziņš", "locale": "lv",
        "realm_access": {"roles": ["dicase-caseworker", "default-roles-dicase"]},
        "groups": ["/org/RIGA", "/group/institution"],
    }
    base.update(changes)
    return base


def test_prefixed_realm_roles_become_product_roles_in_a_fixed_order() -> None:
    identity = identity_from_claims(claims(realm_access={"roles": [
        "dicase-admin", "dicase-process_owner", "dicase-caseworker", "dicase-interviewer",
        "dicase-auditor", "dicase-supervisor"]}), CONFIG)
    assert identity.roles == ("caseworker", "interviewer", "supervisor", "process_owner",
                              "auditor", "admin")


def test_unknown_and_unprefixed_roles_grant_nothing() -> None:
    identity = identity_from_claims(claims(realm_access={"roles": [
        "dicase-caseworker", "dicase-root", "admin", "supervisor", "xdicase-auditor"]}), CONFIG)
    assert identity.roles == ("caseworker",)


def test_an_empty_prefix_takes_realm_roles_as_they_are() -> None:
    config = OidcConfig(**{**CONFIG.__dict__, "role_prefix": ""})
    identity = identity_from_claims(claims(realm_access={"roles": ["auditor", "offline_access"]}),
                                    config)
    assert identity.roles == ("auditor",)


@pytest.mark.parametrize("realm_access", [None, {}, {"roles": "dicase-caseworker"},
                                          {"roles": ["offline_access"]}, "dicase-caseworker"])
def test_no_product_role_means_no_access(realm_access: object) -> None:
    with pytest.raises(OidcAccountNotAllowed):
        identity_from_claims(claims(realm_access=realm_access), CONFIG)


def test_group_paths_give_the_organisation_and_candidate_groups() -> None:
    identity = identity_from_claims(claims(groups=[
        "/group/orphan_court", "/org/RIGA-BT", "/group/institution", "/group/institution",
        "/group/a/b", "/others/x", "institution", "/org/", "/group/"]), CONFIG)
    assert identity.organisation_code == "RIGA-BT"
    assert identity.groups == ("a/b", "institution", "orphan_court")


def test_no_organisation_group_leaves_the_organisation_empty() -> None:
    assert identity_from_claims(claims(groups=["/group/ministry"]), CONFIG) \
        .organisation_code is None
    assert identity_from_claims(claims(groups=None), CONFIG).groups == ()


def test_two_organisations_are_refused_not_guessed() -> None:
    with pytest.raises(OidcAccountNotAllowed):
        identity_from_claims(claims(groups=["/org/RIGA", "/org/JELGAVA"]), CONFIG)


def test_group_prefixes_are_settings() -> None:
    config = OidcConfig(**{**CONFIG.__dict__, "organisation_group_prefix": "/iestades/",
                           "candidate_group_prefix": "/lomas/"})
    identity = identity_from_claims(claims(groups=["/iestades/VSAC", "/lomas/institution",
                                                   "/org/RIGA"]), config)
    assert (identity.organisation_code, identity.groups) == ("VSAC", ("institution",))


@pytest.mark.parametrize("username", [None, "", "   ", 42, "x" * 121])
def test_a_usable_preferred_username_is_required(username: object) -> None:
    with pytest.raises(OidcAccountNotAllowed):
        identity_from_claims(claims(preferred_username=username), CONFIG)


def test_the_display_name_falls_back_to_given_and_family_name_then_the_username() -> None:
    assert identity_from_claims(claims(), CONFIG).display_name == "Jānis Bērziņš"
    assert identity_from_claims(claims(name=None, given_name="Jānis", family_name="Bērziņš"),
                                CONFIG).display_name == "Jānis Bērziņš"
    assert identity_from_claims(claims(name=""), CONFIG).display_name == "janis"


def test_only_interface_languages_are_taken_as_the_locale() -> None:
    assert identity_from_claims(claims(locale="en"), CONFIG).locale == "en"
    assert identity_from_claims(claims(locale="de"), CONFIG).locale is None
