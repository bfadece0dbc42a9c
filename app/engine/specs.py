"""Parsed specs per deployed definition version, parsed once per process and kept."""
from __future__ import annotations

import threading

from app.db.models import ProcessDefinition

from .parsing import ParsedProcess, parse_process

# Keyed by content hash: the same source always parses to the same spec, whichever database
# (or definition row) it came from.
_cache: dict[str, ParsedProcess] = {}
_lock = threading.Lock()


def specs_for(definition: ProcessDefinition) -> ParsedProcess:
    parsed = _cache.get(definition.content_hash)
    if parsed is None:
        parsed = parse_process(definition.source_xml, definition.file_name, definition.dmn_sources)
        with _lock:
            _cache[definition.content_hash] = parsed
    return parsed
