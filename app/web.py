"""The web layer's wiring: sign-in, language, CSRF, security headers, error pages and blueprints.

Each cross-cutting rule of the web layer lives here once: the CSRF check, the mapping of engine
errors to HTTP answers, the language choice and the date filter.
"""
from __future__ import annotations

import hmac
import logging
import os
import secrets
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import psycopg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Flask, Response, current_app, jsonify, render_template, request, session
from flask_babel import Babel, gettext
from flask_login import LoginManager, current_user
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from werkzeug.exceptions import BadRequest, HTTPException

from app import services_of
from app.api.auth import require_credentials_header
from app.api.errors import error_response, http_error_response, is_api_path
from app.api.errors import language as api_language
from app.auth.service import display_name_of
from app.domain.calendar import format_lv, format_lv_datetime
from app.engine.errors import (
    EngineError,
    InstanceNotActive,
    NotYourTask,
    ScriptFailed,
    TaskAlreadyCompleted,
    TaskNoLongerOpen,
    TaskNotFound,
)
from app.forms.attachments import format_size
from app.forms.service import FormNotFound
from app.texts import N_

log = logging.getLogger(__name__)

LANGUAGES = {"lv": "Latviešu", "en": "English"}
DEFAULT_LANGUAGE = "lv"
TIMEZONE = "Europe/Riga"
CSRF_FIELD = "csrf_token"
_CSRF_SESSION_KEY = "csrf_token"
_UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

SECURITY_HEADERS = {
    # No inline script or style anywhere: everything comes from /static.
    "Content-Security-Policy": "default-src 'self'; base-uri 'self'; form-action 'self'; "
                               "frame-ancestors 'none'; object-src 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}
HSTS = "max-age=31536000; includeSubDomains"




def register_web(app: Flask) -> None:
    from app.observability.web import register_observability

    register_observability(app)
    translations = Path(app.root_path) / "translations"
    compile_catalogs(translations)
    app.config["BABEL_DEFAULT_LOCALE"] = DEFAULT_LANGUAGE
    app.config["BABEL_DEFAULT_TIMEZONE"] = TIMEZONE
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(translations)
    Babel(app, locale_selector=current_language, timezone_selector=lambda: TIMEZONE)
    _setup_login(app)

    app.before_request(_remember_language)
    app.before_request(_refuse_nul_characters)
    app.before_request(_check_csrf)
    app.after_request(_security_headers)
    app.jinja_env.globals.update(csrf_token=csrf_token, csrf_field=CSRF_FIELD,
                                 current_language=current_language, languages=LANGUAGES,
                                 language_url=language_url,
                                 area_menu=_area_menu)
    app.add_template_filter(format_lv, "lv_date")
    app.add_template_filter(format_lv_datetime, "lv_datetime")

    app.register_error_handler(EngineError, _engine_error)
    app.register_error_handler(FormNotFound, _form_not_found)
    app.register_error_handler(HTTPException, _http_error)
    for unavailable in DATABASE_UNAVAILABLE:
        app.register_error_handler(unavailable, _database_unavailable)

    from app.api.views import bp as api_bp
    from app.areas import area_modules
    from app.auth.views import bp as auth_bp
    from app.cases.views import bp as cases_bp
    from app.forms.views import bp as forms_bp
    from app.history.views import bp as history_bp
    from app.inbox.views import bp as inbox_bp
    from app.modeler.views import bp as modeler_bp
    from app.operations.views import bp as operations_bp
    from app.versions.views import bp as versions_bp

    app.register_blueprint(auth_bp)
    app.register_blueprint(inbox_bp)
    app.register_blueprint(forms_bp)
    app.register_blueprint(cases_bp)
    app.register_blueprint(api_bp)
    app.register_blueprint(modeler_bp)
    app.register_blueprint(history_bp)
    app.register_blueprint(operations_bp)
    app.register_blueprint(versions_bp)
    for views in area_modules("views"):
        app.register_blueprint(views.bp)
    app.add_url_rule("/healthz", "healthz", healthz)


def _area_menu() -> list[Any]:
    """The process areas' pages for the signed-in person's organisation (app.areas.MenuItem)."""
    from app.access.request import current_viewer
    from app.areas import menu_for

    if not current_user.is_authenticated:
        return []
    return menu_for(current_viewer().organisation_kind)


# --- translations --------------------------------------------------------------------------------


def compile_catalogs(directory: Path) -> None:
    """Compile each ``.po`` to its ``.mo`` when that is missing or older, so a fresh checkout
    needs no build step. Written to a temporary file and renamed, so concurrent starts are safe."""
    for po_path in sorted(directory.glob("*/LC_MESSAGES/*.po")):
        mo_path = po_path.with_suffix(".mo")
        try:
            if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
                continue
            with po_path.open("rb") as po_file:
                catalog = read_po(po_file, locale=po_path.parent.parent.name)
            tmp_path = mo_path.with_name(f".{mo_path.name}.{os.getpid()}.tmp")
            with tmp_path.open("wb") as mo_file:
                write_mo(mo_file, catalog)
            os.replace(tmp_path, mo_path)
        except OSError as err:
            # A read-only install keeps whatever .mo it shipped with.
            log.warning("could not compile %s: %s", po_path, err)


def current_language() -> str:
    """The language chosen with ``?lang=`` in this session, else the user's own, else Latvian."""
    chosen = session.get("lang")
    if chosen in LANGUAGES:
        return str(chosen)
    if current_user.is_authenticated and current_user.locale in LANGUAGES:
        return str(current_user.locale)
    return DEFAULT_LANGUAGE


def language_url(code: str) -> str:
    """This page in another language: the reader's query (a chosen period, a filter) is kept,
    but not the sign-in page's ``next``, which is not echoed into a page unchecked."""
    query = [(k, v) for k, v in request.args.items(multi=True)
             if k not in ("lang", "next")] + [("lang", code)]
    return f"{request.path}?{urlencode(query)}"


def _remember_language() -> None:
    lang = request.args.get("lang")
    if lang in LANGUAGES:
        session["lang"] = lang


# --- sign-in -------------------------------------------------------------------------------------


def _setup_login(app: Flask) -> None:
    from datetime import timedelta

    from app.auth.oidc import OidcClient, OidcConfig
    from app.auth.sessions import enforce_session_limits, signed_in_user
    from app.auth.views import OIDC_EXTENSION

    settings = services_of(app).settings
    oidc = OidcConfig.from_settings(settings)
    # None: local accounts only (the embedded default); else the login page offers single sign-on.
    app.extensions[OIDC_EXTENSION] = OidcClient(oidc) if oidc else None
    # Idle and absolute limits are checked on every request, before the CSRF check; the cookie's
    # own signature also expires after the absolute limit since it was last written.
    app.config["PERMANENT_SESSION_LIFETIME"] = timedelta(hours=settings.session_max_hours)
    app.before_request(enforce_session_limits)

    manager = LoginManager(app)
    manager.login_view = "auth.login"
    manager.login_message = N_("Please sign in to continue.")
    manager.login_message_category = "info"
    # flask-login flashes the message; translate it when it is shown, not at import time.
    manager.localize_callback = gettext

    # enforce_session_limits read the account with the session's row: no second query.
    manager.user_loader(signed_in_user)


# --- CSRF ----------------------------------------------------------------------------------------


class NulCharacter(BadRequest):
    description = "The request contains a NUL character."


def _refuse_nul_characters() -> None:
    """A query parameter (a search, a filter) may not hold NUL: PostgreSQL refuses it in text, so
    it would surface as a database error instead of a clear 400. Form fields are cleaned by the
    forms themselves (app/forms), which keep the rest of what was typed."""
    if any("\x00" in key or "\x00" in value for key, value in request.args.items(multi=True)):
        raise NulCharacter()


class CsrfTokenInvalid(BadRequest):
    description = "The form's security token is missing or out of date."


def csrf_token() -> str:
    """The session's CSRF token, for a hidden field in every form that POSTs."""
    token = session.get(_CSRF_SESSION_KEY)
    if not token:
        token = session[_CSRF_SESSION_KEY] = secrets.token_urlsafe(32)
    return str(token)


def renew_csrf_token() -> None:
    """A new token after signing in or out, so one seen before cannot be replayed."""
    session[_CSRF_SESSION_KEY] = secrets.token_urlsafe(32)


def _check_csrf() -> None:
    if request.method not in _UNSAFE_METHODS:
        return
    if is_api_path(request.path):
        # /api/v1 never reads the session cookie: its clients authenticate by a header that a
        # cross-site request cannot carry, so CSRF cannot apply. Without that header: 401.
        require_credentials_header(request)
        return
    expected = session.get(_CSRF_SESSION_KEY)
    given = request.form.get(CSRF_FIELD) or request.headers.get("X-CSRF-Token")
    if not expected or not given or not hmac.compare_digest(str(expected), given):
        raise CsrfTokenInvalid()


# --- responses -----------------------------------------------------------------------------------


def _security_headers(response: Response) -> Response:
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    if services_of(current_app).settings.secure_cookies:
        # Served over TLS (DICASE_SECURE_COOKIES=1): browsers never try plain HTTP again. Not
        # sent otherwise, so a development server on http://localhost is not pinned to HTTPS.
        response.headers.setdefault("Strict-Transport-Security", HSTS)
    if response.mimetype == "text/html":
        # Pages show case data: keep them out of shared and back-button caches.
        response.headers.setdefault("Cache-Control", "no-store")
    return response


def engine_error_message(err: EngineError) -> str:
    """What a person reads when the engine refuses: in their language, without internals."""
    if isinstance(err, TaskAlreadyCompleted):
        who = person_name(err.completed_by) if err.completed_by else gettext("someone else")
        return gettext("This task was already completed by %(who)s.", who=who)
    if isinstance(err, NotYourTask):
        return gettext("You are not allowed to do this with this task.")
    if isinstance(err, TaskNoLongerOpen):
        return gettext("This task is no longer open.")
    if isinstance(err, TaskNotFound):
        return gettext("This task does not exist or is not available to you.")
    if isinstance(err, InstanceNotActive):
        return gettext("The process of this case is stopped or finished; "
                       "its tasks can no longer be changed.")
    if isinstance(err, ScriptFailed):
        return gettext("The next step of the process (%(step)s) failed, so nothing was saved. "
                       "The problem has been recorded for the administrators. "
                       "Details: %(detail)s",
                       step=err.element_id, detail=err.reason)
    return str(err)


def person_name(username: str) -> str:
    """How a colleague is named on a page: their display name."""
    with services_of(current_app).sessions() as db:
        return display_name_of(db, username)


def log_engine_refusal(err: EngineError) -> None:
    # The type and the path (which carries only a task id) are enough; the message may name people.
    log.info("engine refused %s on %s %s", type(err).__name__, request.method, request.path)


def _engine_error(err: EngineError) -> tuple[str, int]:
    log_engine_refusal(err)
    return error_page(err.http_status, engine_error_message(err))


def _form_not_found(err: FormNotFound) -> tuple[str, int]:
    log.error("%s", err)
    return error_page(500, gettext("The form of this task cannot be shown. "
                                   "Please tell the process owner."))


def _http_error(err: HTTPException) -> Any:
    if err.code is None or err.code < 400:
        return err
    if is_api_path(request.path):
        return http_error_response(err)
    return error_page(err.code, _http_message(err))


def _http_message(err: HTTPException) -> str:
    if isinstance(err, NulCharacter):
        return gettext("The request contains a character that is not allowed (NUL), so nothing "
                       "was done. Remove it and try again.")
    if isinstance(err, CsrfTokenInvalid):
        return gettext("The form has expired or did not come from this site. "
                       "Go back, reload the page and try again.")
    if err.code == 404:
        return gettext("The page or task was not found, or it is not available to you.")
    if err.code == 403:
        return gettext("You do not have access to this page.")
    if err.code == 405:
        return gettext("This address does not accept this kind of request.")
    if err.code == 413:
        return gettext("What was sent is too large, so nothing was saved. Attach smaller files "
                       "(at most %(size)s each).",
                       size=format_size(services_of(current_app).settings.attachment_max_bytes,
                                        current_language()))
    if err.code is not None and err.code >= 500:
        return gettext("Something went wrong on our side. Please try again later.")
    return gettext("The request could not be understood.")


# The database cannot be reached (a restart, a failover): SQLAlchemy's error, or the driver's
# own from an engine step on its raw connection.
DATABASE_UNAVAILABLE: tuple[type[Exception], ...] = (OperationalError, psycopg.OperationalError)
DATABASE_UNAVAILABLE_TEXT = {
    "lv": "Datubāze pašlaik nav pieejama. Lūdzu, mēģiniet vēlreiz pēc brīža.",
    "en": "The database is not available at the moment. Please try again in a little while.",
}


def _database_unavailable(err: Exception) -> Response:
    # Neither the page layout nor the reader's language can be read without the database, so
    # the answer is a short text in both languages, Latvian first; the request may be repeated.
    log.warning("database unavailable on %s %s (%s)", request.method, request.path,
                type(err).__name__)
    headers = {"Retry-After": "30"}
    if is_api_path(request.path):
        response = error_response(503, "database_unavailable",
                                  DATABASE_UNAVAILABLE_TEXT[api_language()])
        response.headers.update(headers)
        return response
    return Response("\n".join(DATABASE_UNAVAILABLE_TEXT.values()) + "\n", 503, headers,
                    mimetype="text/plain")


def error_page(status: int, message: str) -> tuple[str, int]:
    return render_template("error.html", status=status, message=message), status


# --- health --------------------------------------------------------------------------------------


def healthz() -> tuple[Response, int]:
    """Answers only when the database does: a real round-trip, without taking any lock."""
    db = services_of(current_app).db
    try:
        connection = db.raw_connection()
        try:
            cursor = connection.cursor()
            cursor.execute("SELECT 1")
            cursor.fetchone()
            cursor.close()
        finally:
            connection.close()
    except (SQLAlchemyError, db.dialect.loaded_dbapi.Error) as err:
        log.warning("health check: the database cannot be reached (%s)", type(err).__name__)
        return jsonify(status="unavailable", error="the database cannot be reached"), 503
    return jsonify(status="ok"), 200
