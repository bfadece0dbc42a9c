"""Sign-in through Keycloak over OpenID Connect, with python-keycloak.

The authorization code flow with PKCE (S256): :meth:`OidcClient.begin` makes the address to
send the browser to and the :class:`PendingLogin` the web layer keeps in the signed session;
:meth:`OidcClient.complete` checks the state the browser brings back, exchanges the code (with
the PKCE verifier and the client secret), verifies the ID token against the realm's JWKS (RS256
only; issuer, audience, expiry, nonce) and maps its claims to a :class:`FederatedIdentity`.
How claims map to roles, candidate groups and the organisation: :func:`identity_from_claims`
and docs/auth.md. No Flask here.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import secrets
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from jwcrypto import jwk
from jwcrypto.common import JWException
from jwcrypto.jwt import JWTMissingKey
from keycloak import KeycloakOpenID
from keycloak.exceptions import KeycloakConnectionError, KeycloakError

if TYPE_CHECKING:
    from app.config import Settings

log = logging.getLogger(__name__)

PRODUCT_ROLES = ("caseworker", "interviewer", "supervisor", "process_owner", "auditor", "admin",
                 "operator")

# Signature algorithms accepted on tokens; Keycloak signs with RS256 unless told otherwise.
ALGORITHMS = ["RS256"]
# Clock difference tolerated between this server and Keycloak when checking exp/iat.
LEEWAY_SECONDS = 30
# How long the browser may spend at the identity provider before the callback.
PENDING_LOGIN_SECONDS = 600
# The realm's metadata and keys are fetched again after this; an unknown key id refetches early.
METADATA_SECONDS = 3600

_USERNAME_MAX = 120
_NAME_MAX = 255
_ORGANISATION_MAX = 40
_GROUP_MAX = 120
_LOCALES = ("lv", "en")


class OidcError(Exception):
    """A single sign-on that did not succeed; the subclass says why."""


class OidcStateMismatch(OidcError):
    """The callback does not belong to a sign-in this browser started (or it took too long)."""


class OidcProviderRefused(OidcError):
    """The identity provider answered with an error, or would not exchange the code."""


class OidcTokenInvalid(OidcError):
    """A token's signature, issuer, audience, expiry or nonce is wrong."""


class OidcUnavailable(OidcError):
    """The identity provider cannot be reached or answered nonsense."""


class OidcAccountNotAllowed(OidcError):
    """The person signed in at the identity provider but may not use DI Case as set up."""


@dataclass(frozen=True)
class OidcConfig:
    server_url: str
    realm: str
    client_id: str
    client_secret: str
    role_prefix: str = "dicase-"
    organisation_group_prefix: str = "/org/"
    candidate_group_prefix: str = "/group/"
    ca_bundle: str = ""
    timeout: int = 10

    @classmethod
    def from_settings(cls, settings: Settings) -> OidcConfig | None:
        """The configuration, or None when no identity provider is set (local accounts only)."""
        if not settings.oidc_server_url:
            return None
        return cls(server_url=settings.oidc_server_url, realm=settings.oidc_realm,
                   client_id=settings.oidc_client_id, client_secret=settings.oidc_client_secret,
                   role_prefix=settings.oidc_role_prefix,
                   organisation_group_prefix=settings.oidc_organisation_group_prefix,
                   candidate_group_prefix=settings.oidc_candidate_group_prefix,
                   ca_bundle=settings.oidc_ca_bundle, timeout=settings.oidc_timeout)


@dataclass(frozen=True)
class PendingLogin:
    """What the session keeps between sending the browser to Keycloak and its return."""

    state: str
    nonce: str
    code_verifier: str
    redirect_uri: str
    next_path: str | None
    started_at: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, value: object) -> PendingLogin | None:
        if not isinstance(value, Mapping):
            return None
        try:
            return cls(state=str(value["state"]), nonce=str(value["nonce"]),
                       code_verifier=str(value["code_verifier"]),
                       redirect_uri=str(value["redirect_uri"]),
                       next_path=value["next_path"] if isinstance(value["next_path"], str) else None,
                       started_at=float(value["started_at"]))
        except (KeyError, TypeError, ValueError):
            return None


@dataclass(frozen=True)
class FederatedIdentity:
    """A person as the identity provider vouches for them, in the product's terms."""

    username: str
    display_name: str
    roles: tuple[str, ...]
    groups: tuple[str, ...]
    organisation_code: str | None
    locale: str | None
    # The raw ID token, for id_token_hint when signing out.
    id_token: str


def code_challenge_of(code_verifier: str) -> str:
    """RFC 7636 S256: base64url(SHA-256(verifier)) without padding."""
    digest = hashlib.sha256(code_verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


class OidcClient:
    """Single sign-on against one Keycloak realm. Keeps the realm's metadata and keys cached;
    safe to share between threads."""

    def __init__(self, config: OidcConfig, *, clock: Callable[[], float] = time.time) -> None:
        self.config = config
        self._clock = clock
        # python-keycloak joins paths with urljoin, which drops the last path segment of a
        # base URL without a trailing slash (https://sso.example.lv/auth → /realms/...).
        self._keycloak = KeycloakOpenID(
            server_url=config.server_url.rstrip("/") + "/", realm_name=config.realm,
            client_id=config.client_id, client_secret_key=config.client_secret or None,
            verify=config.ca_bundle or True, timeout=config.timeout)
        self._lock = threading.Lock()
        self._metadata: dict[str, Any] | None = None
        self._keys: jwk.JWKSet | None = None
        self._fetched_at = 0.0

    # --- the flow --------------------------------------------------------------------------------

    def begin(self, redirect_uri: str, next_path: str | None) -> tuple[str, PendingLogin]:
        """The identity provider's address to send the browser to, and what to keep meanwhile."""
        pending = PendingLogin(state=secrets.token_urlsafe(32), nonce=secrets.token_urlsafe(32),
                               code_verifier=secrets.token_urlsafe(64), redirect_uri=redirect_uri,
                               next_path=next_path, started_at=self._clock())
        # Built here rather than with KeycloakOpenID.auth_url, which puts the redirect URI
        # into the query without encoding it.
        query = urlencode({
            "client_id": self.config.client_id,
            "response_type": "code",
            "redirect_uri": redirect_uri,
            "scope": "openid profile",
            "state": pending.state,
            "nonce": pending.nonce,
            "code_challenge": code_challenge_of(pending.code_verifier),
            "code_challenge_method": "S256",
        })
        endpoint = str(self._realm_metadata()["authorization_endpoint"])
        return f"{endpoint}?{query}", pending

    def complete(self, pending: PendingLogin | None,
                 params: Mapping[str, str]) -> FederatedIdentity:
        """Finish the sign-in the browser came back from; raises an :class:`OidcError`."""
        if pending is None:
            raise OidcStateMismatch("no sign-in was started in this session")
        if self._clock() - pending.started_at > PENDING_LOGIN_SECONDS:
            raise OidcStateMismatch("the sign-in took too long")
        returned_state = params.get("state") or ""
        if not hmac.compare_digest(returned_state.encode(), pending.state.encode()):
            raise OidcStateMismatch("the state does not match")
        if params.get("error"):
            # Only the error code: error_description may quote what the person typed.
            raise OidcProviderRefused(f"the identity provider answered {params['error'][:60]!r}")
        code = params.get("code")
        if not code:
            raise OidcProviderRefused("no authorization code")
        try:
            tokens = self._keycloak.token(grant_type="authorization_code", code=code,
                                          redirect_uri=pending.redirect_uri,
                                          code_verifier=pending.code_verifier)
        except KeycloakConnectionError as err:
            raise OidcUnavailable("the token endpoint cannot be reached") from err
        except KeycloakError as err:
            raise OidcProviderRefused(
                f"the token endpoint refused the code ({err.response_code})") from err
        id_token = tokens.get("id_token")
        if not isinstance(id_token, str):
            raise OidcTokenInvalid("the token answer has no ID token")
        claims = self.verify_id_token(id_token, pending.nonce)
        access_token = tokens.get("access_token")
        if _lacks_mapping_claims(claims) and isinstance(access_token, str):
            # Keycloak's role and group mappers write to the access token unless told to add
            # the claims to the ID token too; take them from there, once it is verified.
            access_claims = self.verify_access_token(access_token, str(claims["sub"]))
            claims = {**claims, **{name: access_claims[name] for name in ("realm_access", "groups")
                                   if name in access_claims and name not in claims}}
        return identity_from_claims(claims, self.config, id_token)

    def end_session_url(self, id_token_hint: str | None, post_logout_redirect_uri: str) -> str:
        """Where to send the browser so Keycloak ends its session too, then sends it back."""
        endpoint = self._realm_metadata().get("end_session_endpoint")
        if not endpoint:
            raise OidcUnavailable("the realm has no end_session_endpoint")
        params = {"post_logout_redirect_uri": post_logout_redirect_uri,
                  "client_id": self.config.client_id}
        if id_token_hint:
            params["id_token_hint"] = id_token_hint
        return f"{endpoint}?{urlencode(params)}"

    # --- tokens ----------------------------------------------------------------------------------

    def verify_id_token(self, token: str, nonce: str) -> dict[str, Any]:
        """The claims of an ID token issued to this client for this sign-in."""
        claims = self._verify(token, {"iss": self._issuer(), "aud": self.config.client_id,
                                      "sub": None, "exp": None, "iat": None, "nonce": nonce})
        audience = claims["aud"]
        if isinstance(audience, list) and len(audience) > 1 \
                and claims.get("azp") != self.config.client_id:
            raise OidcTokenInvalid("an ID token for several audiences not authorised to us")
        if "typ" in claims and claims["typ"] != "ID":
            raise OidcTokenInvalid("not an ID token")
        return claims

    def verify_access_token(self, token: str, subject: str) -> dict[str, Any]:
        """The claims of an access token issued to this client for the same person."""
        claims = self._verify(token, {"iss": self._issuer(), "sub": subject, "exp": None,
                                      "azp": self.config.client_id})
        if "typ" in claims and claims["typ"] != "Bearer":
            raise OidcTokenInvalid("not an access token")
        return claims

    def verify_api_token(self, token: str) -> FederatedIdentity:
        """Whom a bearer access token presented to the API stands for, in the product's terms.

        Accepted when the realm signed it, it has not expired, it is an access token (an ID
        token also names DI Case as audience, but is not a credential), and Keycloak issued it
        to DI Case (``azp``) or for DI Case (``aud``, added by an audience mapper for other
        clients calling the API)."""
        claims = self._verify(token, {"iss": self._issuer(), "sub": None, "exp": None,
                                      "typ": "Bearer"})
        audience = claims.get("aud")
        audiences = audience if isinstance(audience, list) else [audience]
        if claims.get("azp") != self.config.client_id and self.config.client_id not in audiences:
            raise OidcTokenInvalid("an access token issued to and for another client")
        return identity_from_claims(claims, self.config)

    def _verify(self, token: str, check_claims: dict[str, Any]) -> dict[str, Any]:
        for refetch in (False, True):
            keys = self._realm_keys(refetch=refetch)
            try:
                claims = self._keycloak.decode_token(
                    token, key=keys, algs=ALGORITHMS, check_claims=check_claims,
                    leeway=LEEWAY_SECONDS, expected_type="JWS", strict_serialization=True)
            except JWTMissingKey as err:
                if refetch:
                    raise OidcTokenInvalid("signed with a key the realm does not publish") from err
                continue  # the realm may have rotated its keys since we fetched them
            except (JWException, ValueError, TypeError, KeyError) as err:
                raise OidcTokenInvalid(f"token refused ({type(err).__name__})") from err
            if not isinstance(claims, dict):
                raise OidcTokenInvalid("the token's claims are not an object")
            return claims
        raise AssertionError("unreachable")

    # --- realm metadata --------------------------------------------------------------------------

    def _issuer(self) -> str:
        return str(self._realm_metadata()["issuer"])

    def _realm_metadata(self) -> dict[str, Any]:
        with self._lock:
            if self._metadata is None or self._clock() - self._fetched_at > METADATA_SECONDS:
                self._metadata = self._fetch(self._keycloak.well_known)
                self._keys = None
                self._fetched_at = self._clock()
            metadata = self._metadata
        for name in ("issuer", "authorization_endpoint", "token_endpoint", "jwks_uri"):
            if not isinstance(metadata.get(name), str):
                raise OidcUnavailable(f"the realm's metadata has no {name}")
        return metadata

    def _realm_keys(self, *, refetch: bool) -> jwk.JWKSet:
        self._realm_metadata()
        with self._lock:
            if self._keys is None or refetch:
                document = self._fetch(self._keycloak.certs)
                keys = jwk.JWKSet()
                for entry in document.get("keys", []):
                    # Keycloak also publishes its encryption key; only signing keys verify.
                    if isinstance(entry, dict) and entry.get("use", "sig") == "sig" \
                            and entry.get("kty") == "RSA":
                        keys.add(jwk.JWK(**entry))
                self._keys = keys
            return self._keys

    @staticmethod
    def _fetch(call: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        try:
            document = call()
        except KeycloakConnectionError as err:
            raise OidcUnavailable("the identity provider cannot be reached") from err
        except (KeycloakError, TypeError, ValueError, JWException) as err:
            raise OidcUnavailable(
                f"the identity provider answered nonsense ({type(err).__name__})") from err
        if not isinstance(document, dict):
            raise OidcUnavailable("the identity provider answered nonsense")
        return document


# --- claims to the product's terms ---------------------------------------------------------------


def identity_from_claims(claims: Mapping[str, Any], config: OidcConfig,
                         id_token: str = "") -> FederatedIdentity:
    """Map verified claims to a person of DI Case.

    - ``preferred_username`` is the username (the key of the local account row);
    - each realm role ``<role_prefix><role>`` in ``realm_access.roles`` whose ``<role>`` is a
      product role (:data:`PRODUCT_ROLES`) grants that role; other realm roles are ignored;
    - each group path ``<organisation_group_prefix><code>`` in ``groups`` names the
      organisation; more than one is refused, as access is decided per organisation;
    - each group path ``<candidate_group_prefix><name>`` makes ``<name>`` a candidate group;
    - ``name`` (else ``given_name family_name``, else the username) is the display name;
      ``locale`` is kept when it is a language of the interface.

    A person with no product role is refused, so a realm shared with other applications does
    not create accounts for everyone in it.
    """
    username = claims.get("preferred_username")
    if not isinstance(username, str) or not username.strip() \
            or len(username.strip()) > _USERNAME_MAX:
        raise OidcAccountNotAllowed("the token has no usable preferred_username")
    username = username.strip()

    realm_access = claims.get("realm_access")
    realm_roles = realm_access.get("roles") if isinstance(realm_access, Mapping) else None
    granted = {role[len(config.role_prefix):] for role in _strings(realm_roles)
               if role.startswith(config.role_prefix)}
    roles = tuple(role for role in PRODUCT_ROLES if role in granted)
    if not roles:
        raise OidcAccountNotAllowed("no DI Case role")

    organisations: set[str] = set()
    groups: list[str] = []
    for path in _strings(claims.get("groups")):
        if path.startswith(config.organisation_group_prefix):
            code = path[len(config.organisation_group_prefix):]
            if code and len(code) <= _ORGANISATION_MAX:
                organisations.add(code)
        elif path.startswith(config.candidate_group_prefix):
            group = path[len(config.candidate_group_prefix):]
            if group and len(group) <= _GROUP_MAX and group not in groups:
                groups.append(group)
    if len(organisations) > 1:
        raise OidcAccountNotAllowed("more than one organisation")

    locale = claims.get("locale")
    return FederatedIdentity(
        username=username, display_name=_display_name(claims, username), roles=roles,
        groups=tuple(sorted(groups)), organisation_code=next(iter(organisations), None),
        locale=locale if locale in _LOCALES else None, id_token=id_token)


def _display_name(claims: Mapping[str, Any], username: str) -> str:
    name = claims.get("name")
    if not isinstance(name, str) or not name.strip():
        parts = [claims.get("given_name"), claims.get("family_name")]
        name = " ".join(part.strip() for part in parts if isinstance(part, str) and part.strip())
    return (name.strip() or username)[:_NAME_MAX]


def _strings(value: object) -> list[str]:
    if not isinstance(value, list):
        return []
    return [item for item in value if isinstance(item, str)]


def _lacks_mapping_claims(claims: Mapping[str, Any]) -> bool:
    return "realm_access" not in claims or "groups" not in claims
