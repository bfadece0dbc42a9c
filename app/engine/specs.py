"""Parsed specs per deployed definition version, parsed once per process and kept."""
from __future__ import annotations

import threading

from .parsing import ParsedProcess, parse_process
from .rows import DefinitionRow, Tx, definition_source

# Keyed by content hash: the same source always parses to the same spec, whichever database
# (or definition row) it came from.
_cache: dict[str, ParsedProcess] = {}
_lock = threading.Lock()


def specs_for(tx: Tx, definition: DefinitionRow) -> ParsedProcess:
    parsed = _cache.get(definition.content_hash)
    if parsed is None:
        source, dmn_sources = definition_source(tx, definition.id)
        parsed = parse_process(source, definition.file_name, dmn_sources)
        with _lock:
            _cache[definition.content_hash] = parsed
    return parsed
