"""WSGI entry point for gunicorn (production): settings from the environment, no in-process
workers or simulators; run ``dicase worker`` processes beside it."""
from app import create_app

application = create_app()
