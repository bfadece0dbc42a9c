"""Who is calling ``/api/v1``: an organisation's API key or a Keycloak access token, read from
the request's headers and never from the browser's session cookie.

Because credentials only travel in headers that a browser never adds by itself, a cross-site
request cannot act for anyone, which is why the web layer's CSRF check does not apply here
(``app/web.py`` lets ``/api/v1`` through only when such a header is present).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from flask import Request
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.access.scope import Viewer, viewer_of
from app.auth.oidc import (
    OidcAccountNotAllowed,
    OidcClient,
    OidcError,
    OidcUnavailable,
)
from app.db import transaction
from app.db.models import User, utcnow

from . import keys
from .errors import ApiError

if TYPE_CHECKING:
    from app.services import Services

log = logging.getLogger(__name__)

API_KEY = "api_key"
BEARER = "bearer"


@dataclass(frozen=True)
class ApiClient:
    """The caller of one request: the viewer every query is scoped by, and how it signed in."""

    viewer: Viewer
    method: str  # api_key | bearer
    key_id: int | None = None


def presented_credentials(request: Request) -> tuple[str, str] | None:
    """``(scheme, secret)`` from ``Authorization: ApiKey …``, ``Authorization: Bearer …`` or
    ``X-API-Key``; None when the request carries none (a cookie alone is not a credential)."""
    header = request.headers.get("Authorization", "").strip()
    if header:
        scheme, _, value = header.partition(" ")
        if scheme.lower() == "apikey" and value.strip():
            return API_KEY, value.strip()
        if scheme.lower() == "bearer" and value.strip():
            return BEARER, value.strip()
    api_key = request.headers.get("X-API-Key", "").strip()
    if api_key:
        return API_KEY, api_key
    return None


def require_credentials_header(request: Request) -> None:
    """Refuse (401) a request to the API that carries no credential header."""
    if presented_credentials(request) is None:
        raise _unauthenticated()


def authenticate(services: Services, request: Request, oidc: OidcClient | None) -> ApiClient:
    """The caller of this request; ApiError 401 when the credentials are missing or wrong.

    ``oidc`` is the app's Keycloak client, None when only API keys are accepted."""
    presented = presented_credentials(request)
    if presented is None:
        raise _unauthenticated()
    scheme, secret = presented
    if scheme == API_KEY:
        return _by_api_key(services, secret)
    return _by_bearer_token(services, secret, oidc)


def _by_api_key(services: Services, secret: str) -> ApiClient:
    now = utcnow()
    with transaction(services.sessions) as session:
        key = keys.find_active_key(session, secret)
        if key is None:
            # Unknown, malformed and revoked keys read the same; only the fact is logged.
            log.info("API key refused")
            raise ApiError(401, "invalid_credentials", "The API key is not valid or was revoked.")
        keys.record_use(session, key, now)
        viewer = keys.viewer_of_key(session, key)
        key_id = key.id
    return ApiClient(viewer, API_KEY, key_id)


def _by_bearer_token(services: Services, token: str, oidc: OidcClient | None) -> ApiClient:
    if oidc is None:
        raise ApiError(401, "invalid_credentials",
                       "Bearer tokens are not accepted: no identity provider is configured. "
                       "Use an API key.")
    try:
        identity = oidc.verify_api_token(token)
    except OidcUnavailable:
        log.warning("bearer token not checked: the identity provider cannot be reached")
        raise ApiError(503, "identity_provider_unavailable",
                       "The identity provider cannot be reached; try again later.") from None
    except OidcAccountNotAllowed as err:
        # The reason names no one (app.auth.oidc).
        log.info("bearer token of an account not allowed: %s", err)
        raise ApiError(403, "account_not_allowed",
                       "The token is valid, but its account has no DI Case role or belongs to "
                       "more than one organisation.") from None
    except OidcError as err:
        log.info("bearer token refused: %s", type(err).__name__)
        raise ApiError(401, "invalid_credentials",
                       "The access token is not valid, has expired or was not issued for this "
                       "service.") from None
    with services.sessions() as session:
        if _deactivated_here(session, identity.username):
            log.info("bearer token of a deactivated account")
            raise ApiError(403, "account_deactivated", "This account has been deactivated.")
        viewer = viewer_of(session, identity.username, identity.roles, identity.groups,
                           identity.organisation_code)
    return ApiClient(viewer, BEARER)


def _deactivated_here(session: Session, username: str) -> bool:
    """An account deactivated in DI Case stays shut even while the provider still vouches."""
    return session.scalar(select(User.active).where(User.username == username)) is False


def _unauthenticated() -> ApiError:
    return ApiError(401, "unauthorized",
                    "Authenticate with 'Authorization: ApiKey <key>' (or 'X-API-Key: <key>') or "
                    "'Authorization: Bearer <access token>'; the session cookie is not accepted.")
