"""The signed-in session, for both kinds of sign-in: starting it afresh, ending it, and its
limits.

Flask keeps the session in a signed cookie, so "rotating the session" means replacing its whole
contents: at sign-in nothing from before survives but the language choice, and the CSRF token
is renewed. The idle and absolute limits are enforced here on every request, from the
timestamps the session carries (a person cannot alter them without the signing key).
"""
from __future__ import annotations

import logging
import time
from datetime import timedelta
from enum import Enum
from urllib.parse import urlsplit

from flask import current_app, flash, redirect, request, session, url_for
from flask_babel import gettext
from flask_login import login_user, logout_user
from werkzeug.wrappers import Response

from app import services_of
from app.api.errors import is_api_path
from app.auth.service import SignedInUser
from app.web import renew_csrf_token

log = logging.getLogger(__name__)

LOGIN_AT = "login_at"
SEEN_AT = "seen_at"
# "password" or "sso": signing out of a single sign-on also ends the identity provider's session.
AUTH_METHOD = "auth_method"
ID_TOKEN = "sso_id_token"
PENDING_SSO = "sso_pending"
_LANGUAGE = "lang"
_FLASK_LOGIN_USER_ID = "_user_id"

# The last-seen time is written back at most this often, so not every request resets the cookie.
_TOUCH_SECONDS = 15
# The session is a cookie (4 KB at most): an ID token bigger than this is not kept, and signing
# out then names the client instead of hinting the token (Keycloak asks the person to confirm).
MAX_ID_TOKEN_CHARS = 2000


class SessionEnd(Enum):
    IDLE = "idle"
    MAX_AGE = "max_age"


def session_end(login_at: object, seen_at: object, now: float, idle: timedelta,
                max_age: timedelta) -> SessionEnd | None:
    """Why a signed-in session is over at ``now``, or None while it may go on. A session
    without its timestamps (made before they were kept) is over."""
    if not isinstance(login_at, (int, float)) or not isinstance(seen_at, (int, float)):
        return SessionEnd.IDLE
    if now - login_at >= max_age.total_seconds():
        return SessionEnd.MAX_AGE
    if now - seen_at >= idle.total_seconds():
        return SessionEnd.IDLE
    return None


def start_session(user: SignedInUser, method: str, id_token: str | None = None) -> None:
    """Sign ``user`` in on a fresh session: nothing set before (a planted value, a pending
    single sign-on) carries over, except the chosen language."""
    _clear_keeping_language()
    login_user(user)
    now = int(time.time())
    session[LOGIN_AT] = now
    session[SEEN_AT] = now
    session[AUTH_METHOD] = method
    if id_token and len(id_token) <= MAX_ID_TOKEN_CHARS:
        session[ID_TOKEN] = id_token
    renew_csrf_token()


def end_session() -> None:
    """Sign out and forget everything but the language choice."""
    logout_user()
    _clear_keeping_language()
    renew_csrf_token()


def enforce_session_limits() -> Response | None:
    """Before each request: end a signed-in session that was idle or open too long, and send
    the person to sign in again, then back to the page they were on."""
    if request.endpoint == "static" or _FLASK_LOGIN_USER_ID not in session:
        return None
    if is_api_path(request.path):
        return None  # API calls authenticate by header and never by the browser session
    settings = services_of(current_app).settings
    now = time.time()
    ended = session_end(session.get(LOGIN_AT), session.get(SEEN_AT), now,
                        idle=timedelta(minutes=settings.session_idle_minutes),
                        max_age=timedelta(hours=settings.session_max_hours))
    if ended is None:
        if now - float(session[SEEN_AT]) >= _TOUCH_SECONDS:
            session[SEEN_AT] = int(now)
        return None
    back_to = return_path()
    log.info("session ended (%s)", ended.value)
    end_session()
    if ended is SessionEnd.MAX_AGE:
        flash(gettext("Your session has reached its longest allowed duration. "
                      "Please sign in again."), "info")
    else:
        flash(gettext("Your session has ended because it was not used for a while. "
                      "Please sign in again."), "info")
    return redirect(url_for("auth.login", next=back_to))


def return_path() -> str | None:
    """The page this request was made from, to return to after signing in: the page itself for
    a GET, else the page that sent the form (its data is not kept)."""
    if request.method in ("GET", "HEAD"):
        return local_path(request.full_path.rstrip("?"))
    referrer = request.referrer
    if not referrer:
        return None
    parts = urlsplit(referrer)
    if parts.netloc != request.host:
        return None
    return local_path(parts.path + (f"?{parts.query}" if parts.query else ""))


def local_path(target: str | None) -> str | None:
    """``target`` if it is a path on this site, else None: ``next`` must never lead elsewhere."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target or any(ord(char) < 32 or ord(char) == 127 for char in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


def _clear_keeping_language() -> None:
    language = session.get(_LANGUAGE)
    session.clear()
    if language:
        session[_LANGUAGE] = language
