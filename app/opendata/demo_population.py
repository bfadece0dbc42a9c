"""The demo's statistics (``dicase demo-data --scale N``): a synthetic population written as
register extracts into the configured folder (app/population), loaded into the statistics store,
and each data set's earlier periods published, so the public pages have figures and a history.
The latest complete period is left to the regeneration process, whose first run is made due at
once, so the statistician has a review to do. Repeating it with the same seed, scale and day
generates nothing new and publishes nothing twice."""
from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from app.config import Settings
from app.pseudonyms import PseudonymKey, create_key_file, load_key
from app.services import Services

# Earlier periods of each data set published for the demo's history, before the latest one.
HISTORY_PERIODS = 3
DEMO_ACTOR = "demo"

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class PopulationDemo:
    generated: bool
    rows_loaded: int
    published: int


def load_population_demo(services: Services, *, scale: int, seed: int, today: date,
                         progress: Progress | None = None) -> PopulationDemo:
    from app.population import generate

    from .definitions import DATASETS, latest_complete_period, parse_period, previous_period
    from .extract import extract_directory
    from .releases import latest_published, prepare, publish
    from .service import ensure_running

    folder = Path(services.settings.opendata_extracts_dir)
    generated = not _same_population(folder, scale, seed, today)
    if generated:
        generate(folder, scale=scale, seed=seed, as_of=today, progress=progress)
    loads = extract_directory(services.sessions, demo_key(services.settings), folder,
                              actor=DEMO_ACTOR, progress=progress)
    published = 0
    for definition in DATASETS.values():
        period = latest_complete_period(definition, today)
        first = parse_period(definition.first_period)[1]
        for _ in range(HISTORY_PERIODS):
            period = previous_period(period)
            if parse_period(period)[1] < first:
                break
            with services.sessions() as session:
                if latest_published(session, definition.code, period) is not None:
                    continue
            publish(services.sessions, [prepare(services.sessions, definition.code, period,
                                                actor=DEMO_ACTOR)], actor=DEMO_ACTOR)
            published += 1
    ensure_running(services.engine, services.sessions, first_run_at=datetime.now(UTC))
    return PopulationDemo(generated, sum(r.rows for r in loads if not r.skipped), published)


def demo_key(settings: Settings) -> PseudonymKey:
    """The configured key; with none configured (the embedded default), the demo's own key file,
    made on first use; the regeneration process reads the same file (app/pseudonyms.py:
    configured_key)."""
    if settings.pseudonym_key_file or settings.pseudonym_key:
        return load_key(settings.pseudonym_key_file, settings.pseudonym_key)
    return create_key_file(settings.pseudonym_demo_key_file)


def _same_population(folder: Path, scale: int, seed: int, today: date) -> bool:
    try:
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return (manifest.get("scale"), manifest.get("seed"), manifest.get("as_of")) == (
        scale, seed, today.isoformat())
