"""Sign-in and sign-out pages for local accounts."""
from __future__ import annotations

import logging
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext
from flask_login import current_user, login_required, login_user, logout_user
from werkzeug.wrappers import Response

from app import services_of
from app.auth.service import SignedInUser, authenticate
from app.web import renew_csrf_token

log = logging.getLogger(__name__)

bp = Blueprint("auth", __name__)


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


@bp.route("/login", methods=["GET", "POST"])
def login() -> Response | tuple[str, int]:
    next_path = local_path(request.values.get("next"))
    if current_user.is_authenticated:
        return redirect(next_path or url_for("inbox.index"))
    username = ""
    error = None
    if request.method == "POST":
        username = request.form.get("username", "")
        password = request.form.get("password", "")
        with services_of(current_app).sessions() as db:
            user = authenticate(db, username, password)
        if user is not None:
            _start_session(SignedInUser.of(user))
            log.info("user %s signed in", user.id)
            return redirect(next_path or url_for("inbox.index"))
        log.info("sign-in refused")
        error = gettext("Wrong username or password.")
    status = 401 if error else 200
    return render_template("login.html", username=username, error=error,
                           next_path=next_path or ""), status


@bp.post("/logout")
@login_required
def logout() -> Response:
    lang = session.get("lang")
    logout_user()
    session.clear()
    if lang:
        session["lang"] = lang
    renew_csrf_token()
    flash(gettext("You have signed out."), "info")
    return redirect(url_for("auth.login"))


def _start_session(user: SignedInUser) -> None:
    # A fresh session on sign-in: nothing from before (but the chosen language) carries over.
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang
    login_user(user)
    renew_csrf_token()
