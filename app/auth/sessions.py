"""The signed-in session, for both kinds of sign-in: starting it afresh, ending it, and its
limits.

Flask keeps the session in a signed cookie, so "rotating the session" means replacing its whole
contents: at sign-in nothing from before survives but the language choice, and the CSRF token
is renewed. The cookie also carries a random token whose SHA-256 names the session's row in
``signed_in_session``: a session is open only while its row is, so signing out, an
administrator (``dicase users end-sessions``) or a deactivation ends it for every copy of the
cookie. The idle and absolute limits are enforced here on every request, from the timestamps
the cookie carries (a person cannot alter them without the signing key) and from the row's.
"""
from __future__ import annotations

import logging
import time
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from flask import current_app, flash, g, redirect, request, session, url_for
from flask_babel import gettext
from flask_login import login_user, logout_user
from werkzeug.wrappers import Response

from app import services_of
from app.api.errors import is_api_path
from app.auth.service import (
    SessionEnd,
    SignedInUser,
    end_sessions_of,
    end_signed_in_session,
    record_sign_in,
    signed_in_session,
    touch_signed_in_session,
)
from app.db import transaction
from app.db.models import utcnow
from app.web import renew_csrf_token

log = logging.getLogger(__name__)

LOGIN_AT = "login_at"
SEEN_AT = "seen_at"
# "password" or "sso": signing out of a single sign-on also ends the identity provider's session.
AUTH_METHOD = "auth_method"
ID_TOKEN = "sso_id_token"
PENDING_SSO = "sso_pending"
# The session's token; the database keeps only its SHA-256 (app.auth.service.token_digest).
SESSION_TOKEN = "session_token"
_LANGUAGE = "lang"
_FLASK_LOGIN_USER_ID = "_user_id"
# Endpoints that show no one's data: no session is looked up for them, so the health check
# answers with its own JSON for a signed-in browser too when the database is away.
_WITHOUT_SESSION = frozenset({"static", "healthz"})

# The last-seen time is written back at most this often, so not every request resets the cookie
# or writes the session's row.
_TOUCH_SECONDS = 15
# The session is a cookie (4 KB at most): an ID token bigger than this is not kept, and signing
# out then names the client instead of hinting the token (Keycloak asks the person to confirm).
MAX_ID_TOKEN_CHARS = 2000


def session_end(login_at: object, seen_at: object, now: float, idle: timedelta,
                max_age: timedelta) -> SessionEnd | None:
    """Why a signed-in session is over at ``now`` (IDLE or MAX_AGE), or None while it may go
    on. A session without its timestamps (made before they were kept) is over."""
    if not isinstance(login_at, (int, float)) or not isinstance(seen_at, (int, float)):
        return SessionEnd.IDLE
    if now - login_at >= max_age.total_seconds():
        return SessionEnd.MAX_AGE
    if now - seen_at >= idle.total_seconds():
        return SessionEnd.IDLE
    return None


def start_session(user: SignedInUser, method: str, id_token: str | None = None) -> None:
    """Sign ``user`` in on a fresh session: nothing set before (a planted value, a pending
    single sign-on) carries over, except the chosen language. A session this browser still
    had open is ended, so no copy of its cookie outlives the new one."""
    now = utcnow()
    earlier = session.get(SESSION_TOKEN)
    with transaction(services_of(current_app).sessions) as db:
        if isinstance(earlier, str):
            end_signed_in_session(db, earlier, SessionEnd.REPLACED, now)
        token = record_sign_in(db, user.id, method, now)
    _clear_keeping_language()
    login_user(user)
    stamp = int(now.timestamp())
    session[LOGIN_AT] = stamp
    session[SEEN_AT] = stamp
    session[AUTH_METHOD] = method
    session[SESSION_TOKEN] = token
    if id_token and len(id_token) <= MAX_ID_TOKEN_CHARS:
        session[ID_TOKEN] = id_token
    renew_csrf_token()


def end_session(reason: SessionEnd = SessionEnd.SIGNED_OUT) -> None:
    """End the session on the server (any copy of the cookie is refused from now on), sign out
    and forget everything but the language choice."""
    token = session.get(SESSION_TOKEN)
    if isinstance(token, str):
        with transaction(services_of(current_app).sessions) as db:
            end_signed_in_session(db, token, reason, utcnow())
    _forget_session()


def signed_in_user(user_id: str) -> SignedInUser | None:
    """flask-login's user loader: the account this request's session check read with the
    session's row (``enforce_session_limits``), or None if that check did not let it through."""
    user = g.get("dicase_signed_in")
    if isinstance(user, SignedInUser) and user.get_id() == user_id:
        return user
    return None


def enforce_session_limits() -> Response | None:
    """Before each request: refuse a signed-in session that was ended on the server, whose
    account was deactivated, or that was idle or open too long, and send the person to sign
    in again, then back to the page they were on. One query reads the account with the
    session's row; a write only when the session ends or its last-seen time is due."""
    if request.endpoint in _WITHOUT_SESSION or _FLASK_LOGIN_USER_ID not in session:
        return None
    if is_api_path(request.path):
        return None  # API calls authenticate by header and never by the browser session
    settings = services_of(current_app).settings
    idle = timedelta(minutes=settings.session_idle_minutes)
    max_age = timedelta(hours=settings.session_max_hours)
    user_id = str(session[_FLASK_LOGIN_USER_ID])
    token = session.get(SESSION_TOKEN)
    now = time.time()
    ended = session_end(session.get(LOGIN_AT), session.get(SEEN_AT), now, idle, max_age)
    if ended is not None:
        end_session(ended)
        return _sign_in_again(user_id, ended)
    found = None
    if isinstance(token, str):
        with services_of(current_app).sessions() as db:
            found = signed_in_session(db, user_id, token)
    if found is None or found[1].ended_at is not None:
        # Signed out, ended by an administrator, or a cookie from before the server kept
        # sessions: nothing is left to end on the server.
        _forget_session()
        return _sign_in_again(user_id, None)
    user, row = found
    if not user.active:
        with transaction(services_of(current_app).sessions) as db:
            end_sessions_of(db, user.id, SessionEnd.ACCOUNT_DEACTIVATED,
                            datetime.fromtimestamp(now, UTC))
        _forget_session()
        return _sign_in_again(user_id, SessionEnd.ACCOUNT_DEACTIVATED)
    ended = session_end(row.started_at.timestamp(), row.last_seen_at.timestamp(), now, idle,
                        max_age)
    if ended is not None:
        end_session(ended)
        return _sign_in_again(user_id, ended)
    g.dicase_signed_in = SignedInUser.of(user)
    if now - row.last_seen_at.timestamp() >= _TOUCH_SECONDS:
        with transaction(services_of(current_app).sessions) as db:
            touch_signed_in_session(db, row.id, datetime.fromtimestamp(now, UTC))
    if now - float(session[SEEN_AT]) >= _TOUCH_SECONDS:
        session[SEEN_AT] = int(now)
    return None


def _sign_in_again(user_id: str, ended: SessionEnd | None) -> Response:
    """Send the person whose session just ended to sign in again, with a message saying why,
    then back to the page they were on."""
    log.info("session of user %s ended (%s)", user_id,
             ended.value if ended is not None else "not open on the server")
    if ended is SessionEnd.MAX_AGE:
        flash(gettext("Your session has reached its longest allowed duration. "
                      "Please sign in again."), "info")
    elif ended is SessionEnd.IDLE:
        flash(gettext("Your session has ended because it was not used for a while. "
                      "Please sign in again."), "info")
    else:
        flash(gettext("Your session has been ended. Please sign in again."), "info")
    return redirect(url_for("auth.login", next=return_path()))


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


def _forget_session() -> None:
    logout_user()
    _clear_keeping_language()
    renew_csrf_token()


def _clear_keeping_language() -> None:
    language = session.get(_LANGUAGE)
    session.clear()
    if language:
        session[_LANGUAGE] = language
