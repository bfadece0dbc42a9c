"""Parsed specs per deployed definition version, parsed once per process and kept."""
from __future__ import annotations

import threading

from app.db.models import ProcessDefinition

from .parsing import ParsedProcess, parse_process

_cache: dict[int, ParsedProcess] = {}
_lock = threading.Lock()


def specs_for(definition: ProcessDefinition) -> ParsedProcess:
    parsed = _cache.get(definition.id)
    if parsed is None:
        parsed = parse_process(definition.source_xml, definition.file_name, definition.dmn_sources)
        with _lock:
            _cache[definition.id] = parsed
    return parsed
