"""The OpenAPI document is the contract: a valid OpenAPI 3.1 document, naming exactly the routes
the app serves under /api/v1, and served as it is in the repository."""
from __future__ import annotations

import re
from typing import Any

from flask import Flask
from openapi_spec_validator import validate
from openapi_spec_validator.validation.validators import OpenAPIV31SpecValidator

from app.api import openapi

PREFIX = "/api/v1"
METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}
_CONVERTER = re.compile(r"<(?:[a-z_]+:)?([a-z_]+)>")


def _routes(app: Flask) -> set[tuple[str, str]]:
    """(path in OpenAPI form, method) for every rule of the app under /api/v1."""
    found = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(PREFIX + "/") and rule.rule != PREFIX:
            continue
        path = _CONVERTER.sub(r"{\1}", rule.rule[len(PREFIX):])
        for method in rule.methods or ():
            if method not in ("HEAD", "OPTIONS"):
                found.add((path, method.lower()))
    return found


def _documented(document: dict[str, Any]) -> set[tuple[str, str]]:
    return {(path, method) for path, item in document["paths"].items()
            for method in item if method in METHODS}


def test_the_document_is_valid_openapi_3_1() -> None:
    document = openapi.document()
    assert document["openapi"].startswith("3.1.")
    validate(document, cls=OpenAPIV31SpecValidator)


def test_every_api_route_is_documented_and_every_documented_operation_exists(app: Flask) -> None:
    routes = _routes(app)
    assert len(routes) >= 14
    documented = _documented(openapi.document())
    assert routes - documented == set(), "routes missing from docs/api/openapi.yaml"
    assert documented - routes == set(), "documented operations the app does not serve"


def test_every_operation_documents_its_parameters_and_errors(app: Flask) -> None:
    document = openapi.document()
    parameters = document["components"]["parameters"]
    for path, item in document["paths"].items():
        for method, operation in item.items():
            names = {parameters[p["$ref"].rsplit("/", 1)[-1]]["name"] if "$ref" in p
                     else p["name"] for p in operation.get("parameters", [])}
            assert set(re.findall(r"{(\w+)}", path)) <= names, (path, method)
            assert operation.get("operationId") and operation.get("summary"), (path, method)
            if operation.get("security") != []:
                assert {"401", "500", "503"} <= set(operation["responses"]), (path, method)
            if method == "post":
                assert "403" in operation["responses"], (path, method)
            if "requestBody" in operation:
                assert {"413", "422"} <= set(operation["responses"]), (path, method)


def test_served_as_it_is_in_the_repository(app: Flask) -> None:
    response = app.test_client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response.get_json() == openapi.document()


def test_request_bodies_are_self_contained_schemas() -> None:
    """The server validates bodies against these schemas directly, so they hold no $ref."""
    schemas = openapi.document()["components"]["schemas"]
    for name in ("TaskCompletion", "TaskAssignment", "TaskDelegation", "PersonRegistration",
                 "ProcessStart"):
        assert "$ref" not in repr(schemas[name]), name
