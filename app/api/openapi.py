"""The OpenAPI 3.1 document of ``/api/v1`` (``docs/api/openapi.yaml``): served as JSON, and the
source of the request-body schemas the API validates against, so the contract and the checks
cannot drift apart."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from app.config import PROJECT_ROOT

DOCUMENT = PROJECT_ROOT / "docs" / "api" / "openapi.yaml"


def document(path: Path = DOCUMENT) -> dict[str, Any]:
    """The document, read again when the file changes."""
    return _read(str(path), path.stat().st_mtime_ns)


@lru_cache(maxsize=4)
def _read(path: str, mtime_ns: int) -> dict[str, Any]:
    loaded = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    if not isinstance(loaded, dict):
        raise TypeError(f"{path} is not an OpenAPI document")
    return loaded


def request_schema(name: str) -> dict[str, Any]:
    """A request-body schema from ``components.schemas`` (self-contained: no ``$ref``), as JSON
    Schema 2020-12, which OpenAPI 3.1 schemas are."""
    schema = document()["components"]["schemas"][name]
    assert isinstance(schema, dict)
    return schema
