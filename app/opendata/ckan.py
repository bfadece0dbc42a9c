"""Upload of the published data sets to the national open data portal, a CKAN site.

Each data set is one CKAN package (``lm-d4``…) in the ministry's organisation, its metadata in
the fields CKAN and its DCAT extension read (ckanext-dcat's extras: frequency, temporal and
spatial coverage, publisher, language), with one resource per published period and format
pointing at the product's public download addresses. The product stays the source of the files;
the portal lists them.

Off unless ``DICASE_CKAN_URL`` is set. The API key is read from ``DICASE_CKAN_API_KEY_FILE`` at
upload time and goes only into the request header: it is not stored, logged or put in an error
message. Every failure becomes a ``CkanError`` saying which package and what the portal said.
"""
from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Literal

import requests
from ckanapi import RemoteCKAN
from ckanapi.errors import (
    CKANAPIError,
    NotAuthorized,
    NotFound,
    ServerIncompatibleError,
    ValidationError,
)

from app.config import Settings
from app.opendata import dcat, formats
from app.opendata.formats import Definition, Release

log = logging.getLogger(__name__)

LICENSE_ID = "cc-by"  # CKAN's id of Creative Commons Attribution (4.0 on current CKAN)
USER_AGENT = "DI Case open data (Labklajibas ministrija)"
# CKAN accepts tags of letters, digits, spaces and - _ . only, 2 to 100 characters.
_TAG_UNWANTED = re.compile(r"[^\w \-.]+")


class CkanError(RuntimeError):
    """The upload to the portal failed; the message says why, and never holds the API key."""


def _tags(definition: Definition) -> list[dict[str, str]]:
    tags: list[dict[str, str]] = []
    for word in [*definition.keywords_lv, *definition.keywords_en]:
        name = " ".join(_TAG_UNWANTED.sub(" ", word).split())[:100]
        if len(name) >= 2 and name not in [tag["name"] for tag in tags]:
            tags.append({"name": name})
    return tags


def _ckan_time(release: Release) -> str | None:
    """CKAN's date fields take ISO 8601 without a zone; the portal reads them as UTC."""
    stamp = formats.utc_timestamp(release.published_at)
    return stamp[:-1] if stamp else None


def _resources(definition: Definition, chosen: list[Release],
               base_url: str) -> list[dict[str, Any]]:
    resources = []
    for release in reversed(chosen):  # newest period first, as the portal lists them
        for kind, writer, mimetype in (("csv", formats.csv_bytes, "text/csv"),
                                       ("json", formats.json_bytes, "application/json")):
            data = writer(release.content)
            resource: dict[str, Any] = {
                "name": f"{release.period} ({kind.upper()})",
                "url": formats.download_url(base_url, definition.code, release.period, kind),
                "format": kind.upper(),
                "mimetype": mimetype,
                "description": (
                    f"{definition.title_lv}, {release.period}, {release.version}. versija. "
                    f"Neatklātie skaitļi ir tukši ar pazīmi „c”.\n\n{definition.title_en}, "
                    f"{release.period}, version {release.version}. Suppressed numbers are "
                    "empty with the flag \"c\"."),
                "size": len(data),
                "hash": f"sha256:{formats.sha256_hex(data)}",
            }
            modified = _ckan_time(release)
            if modified:
                resource["last_modified"] = modified
            resources.append(resource)
    resources.append({
        "name": "datapackage.json",
        "url": formats.datapackage_url(base_url, definition.code),
        "format": "JSON",
        "mimetype": "application/json",
        "description": ("Frictionless Data Package: visi periodi ar Table Schema.\n\n"
                        "Frictionless Data Package: every period with its Table Schema."),
    })
    return resources


def package_dict(definition: Definition, releases: Iterable[Release], base_url: str, *,
                 organisation: str = "") -> dict[str, Any]:
    """The data set as CKAN's ``package_create`` takes it."""
    chosen = formats.latest_per_period(releases)
    extras: dict[str, str] = {
        "title_en": definition.title_en,
        "notes_en": definition.description_en,
        "identifier": formats.package_name(definition),
        "uri": formats.landing_url(base_url, definition.code),
        "frequency": dcat.FREQUENCY[definition.frequency],
        "language": '["' + '", "'.join(dcat.LANGUAGES) + '"]',
        "theme": f'["{dcat.THEME_SOCIETY}"]',
        "access_rights": dcat.PUBLIC_ACCESS,
        "spatial_uri": dcat.LATVIA,
        "spatial_text": "Latvija: plānošanas reģioni un pašvaldības (ATVK) / Latvia: planning "
                        "regions and municipalities (ATVK)",
        "publisher_name": formats.PUBLISHER_LV,
        "publisher_url": formats.PUBLISHER_URL,
        "publisher_type": dcat.PUBLISHER_TYPE,
        "provenance": f"{definition.source_lv} / {definition.source_en}",
    }
    if chosen:
        extras["temporal_start"] = chosen[0].period_start.isoformat()
        extras["temporal_end"] = chosen[-1].period_end.isoformat()
        published = sorted(stamp for stamp in (_ckan_time(r) for r in chosen) if stamp)
        if published:
            extras["issued"] = published[0]
            extras["modified"] = published[-1]
    return {
        "name": formats.package_name(definition),
        "title": definition.title_lv,
        "notes": (f"{definition.description_lv}\n\n**{definition.title_en}.** "
                  f"{definition.description_en}"),
        "license_id": LICENSE_ID,
        "owner_org": organisation,
        "private": False,
        "url": formats.landing_url(base_url, definition.code),
        "version": str(sum(release.version for release in chosen)),
        "author": formats.PUBLISHER_LV,
        "maintainer": formats.PUBLISHER_LV,
        "tags": _tags(definition),
        "extras": [{"key": key, "value": value} for key, value in extras.items()],
        "resources": _resources(definition, chosen, base_url),
    }


def _api_key(settings: Settings) -> str:
    if not settings.ckan_api_key_file:
        raise CkanError("the open data portal upload is on (DICASE_CKAN_URL) but no API key "
                        "file is named: set DICASE_CKAN_API_KEY_FILE")
    try:
        key = Path(settings.ckan_api_key_file).read_text(encoding="utf-8").strip()
    except OSError as err:
        raise CkanError(f"the CKAN API key file cannot be read: {err.strerror}") from None
    if not key:
        raise CkanError("the CKAN API key file is empty")
    return key


def _portal_said(err: Exception) -> str:
    """What the portal answered, in one line."""
    if isinstance(err, ValidationError):
        fields = err.error_dict if isinstance(err.error_dict, Mapping) else {}
        parts = [f"{field}: {messages}" for field, messages in fields.items()
                 if field != "__type"]
        return "rejected the data: " + "; ".join(parts)
    if isinstance(err, NotAuthorized):
        detail = err.extra_msg
        message = detail.get("message", "") if isinstance(detail, Mapping) else str(detail)
        return f"refused the API key or its rights ({message or 'not authorised'})"
    if isinstance(err, requests.RequestException):
        return f"cannot be reached ({type(err).__name__})"
    if isinstance(err, ServerIncompatibleError):
        return "did not answer as a CKAN Action API"
    return f"answered with an error: {str(err)[:300]}"


def _call(portal: RemoteCKAN, action: str, data: dict[str, Any], *, key: str,
          timeout: float, what: str) -> Any:
    try:
        return portal.call_action(action, data, requests_kwargs={"timeout": timeout})
    except NotFound:
        raise
    except (CKANAPIError, ServerIncompatibleError, requests.RequestException) as err:
        message = f"the open data portal {_portal_said(err)} ({action} {what})"
        raise CkanError(message.replace(key, "[API key]")) from None


def _keep_resource_ids(wanted: dict[str, Any], existing: Mapping[str, Any]) -> None:
    """A resource whose address the portal already lists keeps its id, so the portal updates
    it (and its download counts and links) instead of replacing it."""
    ids = {resource.get("url"): resource.get("id")
           for resource in existing.get("resources", []) if resource.get("id")}
    for resource in wanted["resources"]:
        if resource["url"] in ids:
            resource["id"] = ids[resource["url"]]


def publish(settings: Settings,
            definitions_and_releases: Iterable[tuple[Definition, Iterable[Release]]],
            ) -> Literal["off"] | dict[str, str]:
    """Create or update each data set's package on the portal: ``{"D4": "created", …}``.
    ``"off"`` (nothing done) when no portal is configured. Data sets without a published
    release are left out."""
    if not settings.ckan_url:
        return "off"
    if not settings.public_url:
        raise CkanError("the open data portal upload needs the product's public address for "
                        "the download links: set DICASE_PUBLIC_URL")
    if not settings.ckan_organisation:
        raise CkanError("the open data portal upload needs the ministry's organisation on the "
                        "portal: set DICASE_CKAN_ORGANISATION")
    key = _api_key(settings)
    done: dict[str, str] = {}
    with RemoteCKAN(settings.ckan_url, apikey=key, user_agent=USER_AGENT) as portal:
        for definition, releases in definitions_and_releases:
            published = list(releases)
            if not published:
                continue
            wanted = package_dict(definition, published, settings.public_url,
                                  organisation=settings.ckan_organisation)
            name = wanted["name"]
            call = {"key": key, "timeout": settings.adapter_timeout, "what": name}
            try:
                existing = _call(portal, "package_show", {"id": name}, **call)
            except NotFound:
                existing = None
            action = "package_create" if existing is None else "package_update"
            if existing is not None:
                wanted["id"] = existing["id"]
                _keep_resource_ids(wanted, existing)
            try:
                _call(portal, action, wanted, **call)
            except NotFound:
                raise CkanError(f"the open data portal answered 'not found' ({action} {name}); "
                                "is DICASE_CKAN_URL the portal's address?") from None
            done[definition.code] = "created" if existing is None else "updated"
            log.info("open data portal: package %s %s", name, done[definition.code])
    return done
