"""WSGI entry point for gunicorn (production): settings from the environment, no in-process
workers or simulators; run ``dicase worker`` processes beside it."""
from app import create_app
from app.config import Settings
from app.observability.logs import configure_logging

settings = Settings()
configure_logging(settings.log_format)
application = create_app(settings)
