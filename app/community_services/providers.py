"""The register of community-service providers (``data/service_providers.csv``: code, name,
municipality, the service types it is registered for). The file stands in for the national
register of social service providers, which can replace it with the same columns."""
from __future__ import annotations

import csv
from functools import lru_cache
from pathlib import Path

from app.config import PROJECT_ROOT
from app.domain.community_services import Provider

PROVIDERS_FILE = PROJECT_ROOT / "data" / "service_providers.csv"


def read_providers(path: Path = PROVIDERS_FILE) -> dict[str, Provider]:
    with path.open(encoding="utf-8", newline="") as handle:
        return {row["code"].strip(): Provider(code=row["code"].strip(), name=row["name"].strip(),
                                              municipality_code=row["municipality_code"].strip(),
                                              services=frozenset(row["services"].split()))
                for row in csv.DictReader(handle)}


@lru_cache(maxsize=1)
def registered_providers() -> dict[str, Provider]:
    return read_providers()
