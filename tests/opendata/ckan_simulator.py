"""A small CKAN for the tests: the Action API's package_show, package_create and package_update
over real HTTP on 127.0.0.1, with CKAN's envelope (``{"success": …, "result" | "error": …}``),
its status codes (403 not authorised, 404 not found, 409 validation) and its main validation
rules for a package (name, title, organisation, licence, tags, extras, resources)."""
from __future__ import annotations

import json
import re
import threading
import uuid
from collections.abc import Callable, Iterable
from typing import Any, Self
from urllib.parse import parse_qs
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

_ACTION = re.compile(r"^/api(?:/3)?/action/(\w+)$")
_NAME = re.compile(r"^[a-z0-9_-]{2,100}$")
_TAG = re.compile(r"^[\w \-.]{2,100}$")
LICENSES = {"cc-by", "cc-by-sa", "cc-zero", "cc-nc", "odc-by", "odc-odbl", "odc-pddl",
            "notspecified", "other-open"}
# Package fields of CKAN's default schema; an extra may not reuse one of these names.
CORE_FIELDS = {"id", "name", "title", "notes", "license_id", "owner_org", "private", "url",
               "version", "author", "author_email", "maintainer", "maintainer_email", "state",
               "type", "tags", "extras", "resources", "groups"}

Response = tuple[int, dict[str, Any]]


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


class Refusal(Exception):
    def __init__(self, status: int, error: dict[str, Any]) -> None:
        super().__init__(error)
        self.status = status
        self.error = error


class CkanSimulator:
    """``with CkanSimulator(api_key="…") as ckan:`` serves at ``ckan.url``; ``ckan.packages``
    holds what was stored (by name) and ``ckan.calls`` each call as (action, authorised)."""

    def __init__(self, api_key: str, organisations: Iterable[str] = ("labklajibas-ministrija",)):
        self.api_key = api_key
        self.organisations = set(organisations)
        self.packages: dict[str, dict[str, Any]] = {}
        self.calls: list[tuple[str, bool]] = []
        self.headers_seen: list[dict[str, str]] = []
        self._server: WSGIServer | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    # --- the server ---

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_port}"

    def __enter__(self) -> Self:
        self._server = make_server("127.0.0.1", 0, self.app, handler_class=_Quiet)
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,),
                                        daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._server is not None and self._thread is not None
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def app(self, environ: dict[str, Any],
            start_response: Callable[[str, list[tuple[str, str]]], Any]) -> list[bytes]:
        status, body = self._handle(environ)
        reason = {200: "OK", 400: "Bad Request", 403: "Forbidden", 404: "Not Found",
                  409: "Conflict"}[status]
        data = json.dumps(body).encode()
        start_response(f"{status} {reason}", [("Content-Type", "application/json;charset=utf-8"),
                                              ("Content-Length", str(len(data)))])
        return [data]

    def _handle(self, environ: dict[str, Any]) -> Response:
        match = _ACTION.match(environ.get("PATH_INFO", ""))
        if not match:
            return 404, {"success": False, "error": {"__type": "Not Found Error",
                                                     "message": "Not found"}}
        action = match.group(1)
        help_url = f"{environ.get('wsgi.url_scheme')}://{environ.get('HTTP_HOST')}" \
                   f"/api/3/action/help_show?name={action}"
        token = environ.get("HTTP_AUTHORIZATION", "")
        self.headers_seen.append({"Authorization": token,
                                  "X-CKAN-API-Key": environ.get("HTTP_X_CKAN_API_KEY", "")})
        # A wrong or missing token makes the caller anonymous, as in CKAN.
        authorised = bool(token) and token == self.api_key
        try:
            data = self._request_data(environ)
            handler = {"package_show": self._show, "package_create": self._create,
                       "package_update": self._update}.get(action)
            if handler is None:
                raise Refusal(400, {"__type": "Bad request",
                                    "message": f"Action name not known: {action}"})
            with self._lock:
                self.calls.append((action, authorised))
                result = handler(data, authorised)
        except Refusal as refusal:
            return refusal.status, {"help": help_url, "success": False, "error": refusal.error}
        return 200, {"help": help_url, "success": True, "result": result}

    @staticmethod
    def _request_data(environ: dict[str, Any]) -> dict[str, Any]:
        if environ["REQUEST_METHOD"] == "GET":
            return {key: values[-1] for key, values in
                    parse_qs(environ.get("QUERY_STRING", "")).items()}
        length = int(environ.get("CONTENT_LENGTH") or 0)
        raw = environ["wsgi.input"].read(length) if length else b"{}"
        try:
            data = json.loads(raw or b"{}")
        except ValueError:
            raise Refusal(400, {"__type": "Bad request", "message": "JSON Error"}) from None
        if not isinstance(data, dict):
            raise Refusal(400, {"__type": "Bad request", "message": "not a JSON object"})
        return data

    # --- the actions ---

    def _find(self, reference: Any) -> dict[str, Any]:
        for package in self.packages.values():
            if reference in (package["id"], package["name"]):
                return package
        raise Refusal(404, {"__type": "Not Found Error", "message": "Not found"})

    def _show(self, data: dict[str, Any], authorised: bool) -> dict[str, Any]:
        return self._find(data.get("id"))

    def _create(self, data: dict[str, Any], authorised: bool) -> dict[str, Any]:
        if not authorised:
            raise Refusal(403, {"__type": "Authorization Error",
                                "message": "Access denied: User not authorized to create "
                                           "packages"})
        errors = self._validate(data)
        if data.get("name") in self.packages:
            errors.setdefault("name", []).append("That URL is already in use.")
        if errors:
            raise Refusal(409, {"__type": "Validation Error", **errors})
        package = self._stored(data, str(uuid.uuid4()), {})
        self.packages[package["name"]] = package
        return package

    def _update(self, data: dict[str, Any], authorised: bool) -> dict[str, Any]:
        current = self._find(data.get("id") or data.get("name"))
        if not authorised:
            raise Refusal(403, {"__type": "Authorization Error",
                                "message": f"Access denied: User not authorized to edit "
                                           f"package {current['id']}"})
        errors = self._validate(data)
        if data.get("name") != current["name"] and data.get("name") in self.packages:
            errors.setdefault("name", []).append("That URL is already in use.")
        if errors:
            raise Refusal(409, {"__type": "Validation Error", **errors})
        known = {resource["id"]: resource for resource in current["resources"]}
        package = self._stored(data, current["id"], known)
        del self.packages[current["name"]]
        self.packages[package["name"]] = package
        return package

    def _validate(self, data: dict[str, Any]) -> dict[str, Any]:
        errors: dict[str, Any] = {}
        if not _NAME.match(str(data.get("name", ""))):
            errors["name"] = [("Must be purely lowercase alphanumeric (ascii) characters and "
                              "these symbols: -_")]
        if not str(data.get("title", "")).strip():
            errors["title"] = ["Missing value"]
        if data.get("owner_org") not in self.organisations:
            errors["owner_org"] = ["Organization does not exist"]
        if data.get("license_id") not in LICENSES:
            errors["license_id"] = ["License not found"]
        tag_errors = [{"name": [(f'Tag "{tag.get("name")}" must be alphanumeric characters or '
                                "symbols: -_.")]}
                      for tag in data.get("tags", [])
                      if not _TAG.match(str(tag.get("name", "")))]
        if tag_errors:
            errors["tags"] = tag_errors
        for extra in data.get("extras", []):
            if extra.get("key") in CORE_FIELDS:
                errors.setdefault("extras_validation", []).append(
                    f"There is a schema field with the same name: {extra.get('key')}")
            if not isinstance(extra.get("value"), str):
                errors.setdefault("extras", []).append({"value": ["Must be a string"]})
        for number, resource in enumerate(data.get("resources", [])):
            if not resource.get("url"):
                errors.setdefault("resources", {})[number] = {"url": ["Missing value"]}
            if "size" in resource and not isinstance(resource["size"], int):
                errors.setdefault("resources", {})[number] = {"size": ["Invalid integer"]}
        return errors

    @staticmethod
    def _stored(data: dict[str, Any], package_id: str,
                known: dict[str, dict[str, Any]]) -> dict[str, Any]:
        package = {key: value for key, value in data.items() if key != "resources"}
        package["id"] = package_id
        package["state"] = "active"
        package["resources"] = []
        for position, resource in enumerate(data.get("resources", [])):
            stored = dict(resource)
            if stored.get("id") not in known:
                stored["id"] = str(uuid.uuid4())
            stored["package_id"] = package_id
            stored["position"] = position
            package["resources"].append(stored)
        return package
