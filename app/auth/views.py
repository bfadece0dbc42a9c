"""Sign-in and sign-out pages: local accounts (throttled) and single sign-on through Keycloak."""
from __future__ import annotations

import logging
import math
from datetime import timedelta

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext, ngettext
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from app import services_of
from app.auth import throttle
from app.auth.oidc import (
    OidcAccountNotAllowed,
    OidcClient,
    OidcError,
    OidcStateMismatch,
    OidcUnavailable,
    PendingLogin,
)
from app.auth.service import SignedInUser, authenticate, provision_federated_user
from app.auth.sessions import (
    AUTH_METHOD,
    ID_TOKEN,
    PENDING_SSO,
    end_session,
    local_path,
    start_session,
)
from app.db import transaction
from app.db.models import utcnow

log = logging.getLogger(__name__)

bp = Blueprint("auth", __name__)

# The extension key under which the web layer keeps the OidcClient (None: local accounts only).
OIDC_EXTENSION = "dicase_oidc"
PASSWORD = "password"
SSO = "sso"

@bp.route("/login", methods=["GET", "POST"])
def login() -> Response | tuple[str, int]:
    next_path = local_path(request.values.get("next"))
    if current_user.is_authenticated:
        return redirect(next_path or url_for("inbox.index"))
    username = ""
    error = None
    status = 200
    if request.method == "POST":
        username = request.form.get("username", "")
        password = request.form.get("password", "")
        services = services_of(current_app)
        policy = _throttle_policy()
        address = request.remote_addr or ""
        now = utcnow()
        signed_in = None
        with services.sessions() as db:
            refused_until = throttle.refused_until(db, policy, username, address, now)
            if refused_until is None:
                user = authenticate(db, username, password)
                signed_in = SignedInUser.of(user) if user is not None else None
        outcome = (throttle.REFUSED if refused_until is not None
                   else throttle.SUCCEEDED if signed_in is not None else throttle.FAILED)
        with transaction(services.sessions) as db:
            throttle.record_attempt(db, policy, username, address, outcome, now)
        if signed_in is not None:
            start_session(signed_in, PASSWORD)
            log.info("user %s signed in", signed_in.id)
            return redirect(next_path or url_for("inbox.index"))
        if refused_until is not None:
            log.info("sign-in refused: too many failures")
            minutes = max(1, math.ceil((refused_until - now).total_seconds() / 60))
            error = ngettext("Too many failed sign-in attempts. Please try again in %(num)d minute.",
                             "Too many failed sign-in attempts. Please try again in %(num)d minutes.",
                             minutes)
            status = 429
        else:
            log.info("sign-in refused")
            error = gettext("Wrong username or password.")
            status = 401
    return _login_page(username=username, error=error, next_path=next_path), status


@bp.post("/login/sso")
def sso_start() -> Response | tuple[str, int]:
    """Send the browser to Keycloak (a POST with the CSRF token, so no other site starts it)."""
    client = _oidc()
    if client is None:
        abort(404)
    next_path = local_path(request.form.get("next"))
    if current_user.is_authenticated:
        return redirect(next_path or url_for("inbox.index"))
    try:
        address, pending = client.begin(_external_url("auth.sso_callback"), next_path)
    except OidcError as err:
        return _sso_refused(err, next_path)
    session[PENDING_SSO] = pending.to_dict()
    return redirect(address)


@bp.get("/login/sso/callback")
def sso_callback() -> Response | tuple[str, int]:
    """Where Keycloak sends the browser back. A GET, so the CSRF token cannot guard it: the
    state kept in this session does, and it is used up here whatever the outcome."""
    client = _oidc()
    if client is None:
        abort(404)
    pending = PendingLogin.from_dict(session.pop(PENDING_SSO, None))
    next_path = pending.next_path if pending is not None else None
    try:
        identity = client.complete(pending, request.args)
    except OidcError as err:
        return _sso_refused(err, next_path)
    with transaction(services_of(current_app).sessions) as db:
        user = provision_federated_user(
            db, identity.username, identity.display_name, identity.roles, identity.groups,
            identity.organisation_code, identity.locale)
        signed_in = SignedInUser.of(user) if user is not None else None
    if signed_in is None:
        return _sso_refused(OidcAccountNotAllowed("the account is deactivated"), next_path)
    start_session(signed_in, SSO, identity.id_token)
    log.info("user %s signed in through single sign-on", signed_in.id)
    return redirect(next_path or url_for("inbox.index"))


@bp.post("/logout")
@login_required
def logout() -> Response:
    method = session.get(AUTH_METHOD)
    id_token = session.get(ID_TOKEN)
    end_session()
    flash(gettext("You have signed out."), "info")
    client = _oidc()
    if method == SSO and client is not None:
        # Ending only our session would leave Keycloak's open: the next "sign in" would pass
        # straight through without asking anyone.
        try:
            return redirect(client.end_session_url(id_token if isinstance(id_token, str) else None,
                                                   _external_url("auth.login")))
        except OidcError as err:
            log.warning("single sign-out not possible: %s", err)
    return redirect(url_for("auth.login"))


def sso_error_message(err: OidcError) -> tuple[str, int]:
    """What a person reads when single sign-on did not succeed, and the HTTP status."""
    if isinstance(err, OidcStateMismatch):
        return gettext("The sign-in could not be completed: it was not started from this page "
                       "or took too long. Please try again."), 400
    if isinstance(err, OidcUnavailable):
        return gettext("The sign-in service cannot be reached right now. "
                       "Please try again later."), 503
    if isinstance(err, OidcAccountNotAllowed):
        return gettext("Your account has no access to DI Case. "
                       "Please ask your administrator."), 403
    return gettext("Single sign-on did not succeed. Please try again."), 401


def _sso_refused(err: OidcError, next_path: str | None) -> tuple[str, int]:
    # The reason is for the operators; it names no one (see app.auth.oidc).
    log.info("single sign-on refused: %s: %s", type(err).__name__, err)
    message, status = sso_error_message(err)
    return _login_page(username="", error=message, next_path=next_path), status


def _login_page(username: str, error: str | None, next_path: str | None) -> str:
    return render_template("login.html", username=username, error=error,
                           next_path=next_path or "", sso_enabled=_oidc() is not None)


def _oidc() -> OidcClient | None:
    client = current_app.extensions.get(OIDC_EXTENSION)
    return client if isinstance(client, OidcClient) else None


def _external_url(endpoint: str) -> str:
    """An absolute address of this site, from DICASE_OIDC_APP_URL when it is set (behind a
    proxy the request's own host and scheme may not be what the browser used)."""
    app_url = services_of(current_app).settings.oidc_app_url
    if app_url:
        return app_url.rstrip("/") + url_for(endpoint)
    return url_for(endpoint, _external=True)


def _throttle_policy() -> throttle.ThrottlePolicy:
    settings = services_of(current_app).settings
    return throttle.ThrottlePolicy(
        max_failures_per_username=settings.login_max_failures,
        max_failures_per_address=settings.login_ip_max_failures,
        window=timedelta(minutes=settings.login_window_minutes),
        secret=str(current_app.config["SECRET_KEY"]))
