"""A small Keycloak for tests: one realm, one confidential client, one person who is signed in
without being asked. Served over real HTTP on 127.0.0.1 with Keycloak's URL layout, so the
product's python-keycloak client talks to it exactly as to the real server.

It does what the product relies on Keycloak to do, and checks what Keycloak checks: the
registered redirect URI, the client secret, the PKCE verifier against the S256 challenge,
single use of each code. Tokens are RS256 JWTs signed with an RSA key made for the test run.
Knobs on :class:`FakeKeycloak` make it misbehave the ways a test needs (sign with another key,
issue expired tokens, put claims in the access token only, ...).
"""
from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

from jwcrypto import jwk, jwt
from werkzeug.exceptions import HTTPException, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response


@dataclass
class RealmUser:
    """The person the fake signs in, as Keycloak would describe them."""

    username: str = "sandra"
    given_name: str = "Sandra"
    family_name: str = "Kalniņa"
    email: str = "sandra@example.lv"
    realm_roles: list[str] = field(default_factory=lambda: [
        "dicase-caseworker", "dicase-supervisor", "offline_access", "uma_authorization"])
    groups: list[str] = field(default_factory=lambda: ["/org/RIGA", "/group/institution"])
    locale: str | None = "lv"
    subject: str = field(default_factory=lambda: secrets.token_hex(16))


@dataclass
class _Grant:
    client_id: str
    redirect_uri: str
    code_challenge: str
    code_challenge_method: str
    nonce: str
    scope: str
    user: RealmUser
    session_id: str
    issued_at: float


def new_signing_key(kid: str | None = None) -> jwk.JWK:
    """A fresh 2048-bit RSA key for RS256, as a Keycloak realm has."""
    return jwk.JWK.generate(kty="RSA", size=2048, kid=kid or secrets.token_hex(8), alg="RS256",
                            use="sig")


class FakeKeycloak:
    """A WSGI app; set :attr:`url` to where it is served (``start_simulator`` does)."""

    def __init__(self, realm: str = "dicase", client_id: str = "dicase",
                 client_secret: str = "fake-client-secret",
                 redirect_uri_prefixes: Iterable[str] = ("http://localhost/",),
                 signing_key: jwk.JWK | None = None) -> None:
        self.realm = realm
        self.client_id = client_id
        self.client_secret = client_secret
        self.redirect_uri_prefixes = tuple(redirect_uri_prefixes)
        self.signing_key = signing_key or new_signing_key()
        # Keycloak also publishes an encryption key; a client must not verify with it.
        self.encryption_key = jwk.JWK.generate(kty="RSA", size=2048, kid="enc-key",
                                               alg="RSA-OAEP", use="enc")
        self.url = ""
        self._lock = threading.Lock()
        self._map = Map([
            Rule("/realms/<realm>/.well-known/openid-configuration", endpoint="well_known"),
            Rule("/realms/<realm>/protocol/openid-connect/auth", endpoint="auth"),
            Rule("/realms/<realm>/protocol/openid-connect/token", endpoint="token",
                 methods=["POST"]),
            Rule("/realms/<realm>/protocol/openid-connect/certs", endpoint="certs"),
            Rule("/realms/<realm>/protocol/openid-connect/userinfo", endpoint="userinfo",
                 methods=["GET", "POST"]),
            Rule("/realms/<realm>/protocol/openid-connect/logout", endpoint="logout",
                 methods=["GET", "POST"]),
        ])
        self.reset()

    def reset(self) -> None:
        """Back to a well-behaved realm with the default person."""
        with self._lock:
            self.user = RealmUser()
            # Sign tokens with this key instead of the published one (None: the published one).
            self.sign_with: jwk.JWK | None = None
            # Sign with this algorithm; "HS256" signs with the client secret as the HMAC key.
            self.algorithm = "RS256"
            # Claims merged into every ID token / access token issued (e.g. an old "exp").
            self.id_token_overrides: dict[str, Any] = {}
            self.access_token_overrides: dict[str, Any] = {}
            # Claims left out of every ID token issued.
            self.id_token_drop: list[str] = []
            # False: roles and groups go into the access token only, as Keycloak's mappers do
            # unless "Add to ID token" is switched on.
            self.mapping_claims_in_id_token = True
            self.token_lifetime = 300
            self.grants: dict[str, _Grant] = {}
            self.token_requests: list[dict[str, str]] = []
            self.issued_id_tokens: list[str] = []
            self.ended_sessions: list[str] = []
            self.well_known_requests = 0
            self.certs_requests = 0

    @property
    def issuer(self) -> str:
        return f"{self.url}/realms/{self.realm}"

    def endpoint(self, name: str) -> str:
        return f"{self.issuer}/protocol/openid-connect/{name}"

    # --- WSGI --------------------------------------------------------------------------------------

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        try:
            endpoint, args = self._map.bind_to_environ(environ).match()
            if args["realm"] != self.realm:
                raise NotFound()
            response = getattr(self, f"_{endpoint}")(request)
        except HTTPException as err:
            response = _json({"error": "not_found" if err.code == 404 else "invalid_request"},
                             err.code or 400)
        return response(environ, start_response)

    def _well_known(self, request: Request) -> Response:
        with self._lock:
            self.well_known_requests += 1
        return _json({
            "issuer": self.issuer,
            "authorization_endpoint": self.endpoint("auth"),
            "token_endpoint": self.endpoint("token"),
            "userinfo_endpoint": self.endpoint("userinfo"),
            "end_session_endpoint": self.endpoint("logout"),
            "jwks_uri": self.endpoint("certs"),
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "code_challenge_methods_supported": ["plain", "S256"],
            "grant_types_supported": ["authorization_code", "refresh_token"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic",
                                                      "client_secret_post"],
            "scopes_supported": ["openid", "profile", "email"],
        })

    def _certs(self, request: Request) -> Response:
        with self._lock:
            self.certs_requests += 1
        return _json({"keys": [self.signing_key.export_public(as_dict=True),
                               self.encryption_key.export_public(as_dict=True)]})

    def _auth(self, request: Request) -> Response:
        params = request.args
        if params.get("client_id") != self.client_id:
            return _page("Client not found.", 400)
        redirect_uri = params.get("redirect_uri", "")
        if not redirect_uri.startswith(self.redirect_uri_prefixes):
            return _page("Invalid parameter: redirect_uri", 400)
        if params.get("response_type") != "code" or "openid" not in params.get("scope", "").split():
            return _redirect_with(redirect_uri, error="invalid_request",
                                  state=params.get("state", ""))
        challenge = params.get("code_challenge", "")
        method = params.get("code_challenge_method", "")
        if not challenge or method not in ("S256", "plain"):
            return _redirect_with(redirect_uri, error="invalid_request",
                                  error_description="Missing parameter: code_challenge",
                                  state=params.get("state", ""))
        code = secrets.token_urlsafe(24)
        session_id = secrets.token_hex(12)
        with self._lock:
            self.grants[code] = _Grant(
                client_id=self.client_id, redirect_uri=redirect_uri, code_challenge=challenge,
                code_challenge_method=method, nonce=params.get("nonce", ""),
                scope=params.get("scope", ""), user=self.user, session_id=session_id,
                issued_at=time.time())
        return _redirect_with(redirect_uri, code=code, state=params.get("state", ""),
                              session_state=session_id, iss=self.issuer)

    def _token(self, request: Request) -> Response:
        form = request.form
        with self._lock:
            self.token_requests.append(dict(form))
        client_id, client_secret = _client_credentials(request)
        if client_id != self.client_id or client_secret != self.client_secret:
            return _json({"error": "unauthorized_client",
                          "error_description": "Invalid client or Invalid client credentials"},
                         401)
        if form.get("grant_type") != "authorization_code":
            return _json({"error": "unsupported_grant_type"}, 400)
        with self._lock:
            grant = self.grants.pop(form.get("code", ""), None)  # a code is good once
        if grant is None or time.time() - grant.issued_at > 60:
            return _json({"error": "invalid_grant", "error_description": "Code not valid"}, 400)
        if form.get("redirect_uri") != grant.redirect_uri:
            return _json({"error": "invalid_grant",
                          "error_description": "Incorrect redirect_uri"}, 400)
        verifier = form.get("code_verifier", "")
        if not verifier or _challenge(verifier, grant.code_challenge_method) \
                != grant.code_challenge:
            return _json({"error": "invalid_grant",
                          "error_description": "PKCE verification failed"}, 400)
        return _json(self._tokens_for(grant))

    def _userinfo(self, request: Request) -> Response:
        header = request.headers.get("Authorization", "")
        token = header.removeprefix("Bearer ").strip()
        try:
            checked = jwt.JWT(jwt=token, key=self.signing_key, algs=["RS256"],
                              check_claims={"iss": self.issuer, "exp": None})
            claims = json.loads(checked.claims)
        except Exception:  # noqa: BLE001 - any bad token is the same 401 to the caller
            return _json({"error": "invalid_token"}, 401)
        return _json({name: claims[name] for name in
                      ("sub", "preferred_username", "name", "given_name", "family_name",
                       "email", "locale", "groups") if name in claims})

    def _logout(self, request: Request) -> Response:
        if request.method == "POST":  # back-channel, with a refresh token
            with self._lock:
                self.ended_sessions.append(request.form.get("refresh_token", "")[:12])
            return Response(status=204)
        params = request.args
        target = params.get("post_logout_redirect_uri", "")
        hint = params.get("id_token_hint", "")
        if target and not target.startswith(self.redirect_uri_prefixes):
            return _page("Invalid redirect uri", 400)
        if target and not hint and params.get("client_id") != self.client_id:
            return _page("Missing parameters: id_token_hint", 400)
        session_id = ""
        if hint:
            try:
                checked = jwt.JWT(jwt=hint, key=self.signing_key, algs=["RS256"],
                                  check_claims={"iss": self.issuer})
                session_id = json.loads(checked.claims).get("sid", "")
            except Exception:  # noqa: BLE001
                return _page("Invalid id_token_hint", 400)
        with self._lock:
            self.ended_sessions.append(session_id or "(confirmed by the person)")
        if not target:
            return _page("You are logged out.", 200)
        return Response(status=302, headers={"Location": target})

    # --- tokens --------------------------------------------------------------------------------

    def _tokens_for(self, grant: _Grant) -> dict[str, Any]:
        now = int(time.time())
        user = grant.user
        common = {"iss": self.issuer, "sub": user.subject, "iat": now,
                  "exp": now + self.token_lifetime, "auth_time": int(grant.issued_at),
                  "sid": grant.session_id, "azp": self.client_id,
                  "preferred_username": user.username,
                  "name": f"{user.given_name} {user.family_name}".strip(),
                  "given_name": user.given_name, "family_name": user.family_name,
                  "email": user.email}
        if user.locale:
            common["locale"] = user.locale
        mapping = {"realm_access": {"roles": list(user.realm_roles)}, "groups": list(user.groups)}
        access = {**common, **mapping, "typ": "Bearer", "aud": "account", "scope": grant.scope,
                  "jti": secrets.token_hex(8), **self.access_token_overrides}
        identity = {**common, "typ": "ID", "aud": self.client_id, "nonce": grant.nonce,
                    "jti": secrets.token_hex(8)}
        if self.mapping_claims_in_id_token:
            identity.update(mapping)
        identity.update(self.id_token_overrides)
        for name in self.id_token_drop:
            identity.pop(name, None)
        id_token = self.sign(identity)
        with self._lock:
            self.issued_id_tokens.append(id_token)
        return {"access_token": self.sign(access), "expires_in": self.token_lifetime,
                "refresh_expires_in": 1800, "refresh_token": secrets.token_urlsafe(32),
                "token_type": "Bearer", "id_token": id_token, "not-before-policy": 0,
                "session_state": grant.session_id, "scope": grant.scope}

    def sign(self, claims: dict[str, Any]) -> str:
        """A compact JWT of ``claims``, signed as the knobs say."""
        if self.algorithm == "HS256":
            secret = base64.urlsafe_b64encode(self.client_secret.encode()).rstrip(b"=").decode()
            key = jwk.JWK(kty="oct", k=secret)
            header = {"alg": "HS256", "typ": "JWT", "kid": self.signing_key["kid"]}
        else:
            key = self.sign_with or self.signing_key
            header = {"alg": "RS256", "typ": "JWT", "kid": key["kid"]}
        token = jwt.JWT(header=header, claims=claims)
        token.make_signed_token(key)
        return str(token.serialize())


def _challenge(verifier: str, method: str) -> str:
    if method == "plain":
        return verifier
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def _client_credentials(request: Request) -> tuple[str, str]:
    if request.authorization and request.authorization.type == "basic":
        return (request.authorization.username or "", request.authorization.password or "")
    return request.form.get("client_id", ""), request.form.get("client_secret", "")


def _redirect_with(target: str, **params: str) -> Response:
    parts = urlsplit(target)
    query = "&".join(filter(None, [parts.query, urlencode(params)]))
    return Response(status=302, headers={"Location": urlunsplit(parts._replace(query=query))})


def _json(body: dict[str, Any], status: int = 200) -> Response:
    return Response(json.dumps(body), status=status, mimetype="application/json")


def _page(text: str, status: int) -> Response:
    return Response(f"<!doctype html><title>Keycloak</title><p>{text}</p>", status=status,
                    mimetype="text/html")
