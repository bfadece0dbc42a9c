"""Every answer of ``/api/v1`` that is not a success: ``{"error": {"code", "message"}}`` with the
HTTP status that says what happened, and ``fields`` (messages per field) when data was refused.

The web layer (``app/web.py``) sends its error handling here for paths under ``/api/v1``, so a
missing route, a wrong method or a server error reads as JSON too, never as an HTML page.
"""
from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from flask import Response, jsonify, request
from werkzeug.exceptions import HTTPException

from app.engine.errors import EngineError

API_PREFIX = "/api/v1"
LANGUAGES = ("lv", "en")

_GENERIC_CODES = {
    400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
    405: "method_not_allowed", 409: "conflict", 413: "payload_too_large",
    415: "unsupported_media_type", 422: "invalid_data", 429: "too_many_requests",
}
_GENERIC_MESSAGES = {
    400: "The request could not be understood.",
    401: "Authenticate with 'Authorization: ApiKey <key>' or 'Authorization: Bearer <token>'.",
    403: "You are not allowed to do this.",
    404: "Not found, or not available to you.",
    405: "This address does not accept this method.",
}
# Sent with every 401: the two ways to authenticate.
AUTHENTICATE = 'ApiKey realm="dicase", Bearer realm="dicase"'


class ApiError(Exception):
    """A refusal of the API, with its HTTP status, a stable code and a message for developers."""

    def __init__(self, status: int, code: str, message: str,
                 fields: Mapping[str, Sequence[str]] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.fields = {name: list(messages) for name, messages in (fields or {}).items()}


def is_api_path(path: str) -> bool:
    return path == API_PREFIX or path.startswith(API_PREFIX + "/")


def language() -> str:
    """The language of messages: the client's ``Accept-Language`` (Latvian or English),
    Latvian when it names neither."""
    return request.accept_languages.best_match(LANGUAGES, default="lv") or "lv"


def error_response(status: int, code: str, message: str,
                   fields: Mapping[str, Sequence[str]] | None = None) -> Response:
    body: dict[str, object] = {"code": code, "message": message}
    if fields:
        body["fields"] = {name: list(messages) for name, messages in fields.items()}
    response = jsonify(error=body)
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    if status == 401:
        response.headers["WWW-Authenticate"] = AUTHENTICATE
    return response


def api_error_response(err: ApiError) -> Response:
    return error_response(err.status, err.code, err.message, err.fields)


def http_error_response(err: HTTPException) -> Response:
    """A werkzeug HTTP error (no such route, wrong method, server error …) as JSON."""
    status = err.code or 500
    if status >= 500:
        return error_response(status, "server_error",
                              "Something went wrong on our side; please try again later.")
    return error_response(status, _GENERIC_CODES.get(status, "error"),
                          _GENERIC_MESSAGES.get(status) or err.description or "")


def engine_error_code(err: EngineError) -> str:
    """``TaskAlreadyCompleted`` → ``task_already_completed``: stable, and documented."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", type(err).__name__).lower()
