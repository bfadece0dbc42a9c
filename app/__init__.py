"""DI Case: the Flask application factory."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask import Flask
from werkzeug.routing import IntegerConverter, Map

if TYPE_CHECKING:
    from app.config import Settings
    from app.services import Services


def create_app(settings: Settings | None = None, services: Services | None = None) -> Flask:
    # Imported here so that ``import app.db`` (migrations, tools) does not load the engine.
    from app.services import build_services

    services = services or build_services(settings)
    app = Flask(__name__)
    app.url_map.converters["int"] = _RowId
    app.config["SECRET_KEY"] = services.settings.secret_key or _dev_secret(services.settings)
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    app.config["SESSION_COOKIE_SECURE"] = services.settings.secure_cookies
    # Refuse oversized requests before they are read into memory; files are checked one by one
    # against the attachment limit after that.
    app.config["MAX_CONTENT_LENGTH"] = services.settings.request_max_bytes
    app.extensions["dicase"] = services

    from app.web import register_web

    register_web(app)
    return app


class _RowId(IntegerConverter):
    """An id in a URL: a number past what a row id can hold (INTEGER, 32 bits on PostgreSQL) is
    no page (404), rather than an out-of-range error from the database."""

    def __init__(self, map: Map, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", 2**31 - 1)
        super().__init__(map, *args, **kwargs)


def services_of(app: Flask) -> Services:
    return app.extensions["dicase"]


def _dev_secret(settings: Settings) -> str:
    # The embedded default keeps a random key in var/ so sessions survive restarts;
    # production sets DICASE_SECRET_KEY.
    import secrets

    from app.config import PROJECT_ROOT

    path = PROJECT_ROOT / "var" / "secret_key"
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()
