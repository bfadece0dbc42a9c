"""``generate``: a synthetic population and its register extracts, written to a directory in
the extract format the statistics store reads (docs/population.md)."""
from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

from . import registers
from .municipalities import read_municipalities
from .names import name_pools
from .persons import draw_persons, person_columns
from .sampling import day
from .writer import Table, write_table

GENERATOR = "dicase-population/1"
MANIFEST = "manifest.json"

Progress = Callable[[str, int, int], None]

# The registers after the population, in the order they are drawn: later ones read what earlier
# ones decided (the benefits read disability, unemployment and insurance).
_REGISTERS = (
    registers.disability,
    registers.technical_aids,
    registers.service_providers,
    registers.unemployed,
    registers.insured,
    registers.state_social_services,
    registers.vsaa_benefits,
    registers.community_requests,
    registers.out_of_family_care,
)
FILE_COUNT = 1 + len(_REGISTERS)


class InvalidParameters(ValueError):
    """A scale or seed the generator cannot work with."""


def generate(out_dir: Path, *, scale: int, seed: int, as_of: date,
             progress: Progress | None = None) -> dict[str, Any]:
    """Write ``scale`` synthetic persons and their register extracts to ``out_dir`` as of the
    day ``as_of``, and return the manifest (also written as manifest.json).

    The same seed, scale and date give byte-identical files.
    """
    if scale < 1:
        raise InvalidParameters("the scale is the number of persons, at least 1")
    if seed < 0:
        raise InvalidParameters("the seed is a whole number, 0 or more")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    report = progress or (lambda step, done, total: None)

    rng = np.random.Generator(np.random.PCG64(seed))
    municipalities = read_municipalities()
    pools = name_pools()
    report("persons", 0, FILE_COUNT)
    persons = draw_persons(rng, scale, day(as_of), municipalities, pools)
    people = Table(file_name="pmlp_persons.csv.gz", source="persons",
                   header=("personal_code", "given_name", "family_name", "sex", "birth_date",
                           "municipality_code", "address", "declared_on"),
                   columns=person_columns(persons, municipalities, pools),  # type: ignore[arg-type]
                   rows=len(persons))
    files: dict[str, dict[str, Any]] = {}
    _write(out_dir, people, files)
    report(people.file_name, 1, FILE_COUNT)

    context = registers.new_context(rng, persons, municipalities, as_of)
    for done, register in enumerate(_REGISTERS, start=2):
        table = register(context)
        _write(out_dir, table, files)
        report(table.file_name, done, FILE_COUNT)
        del table

    manifest = {"seed": seed, "scale": scale, "as_of": as_of.isoformat(),
                "generator": GENERATOR, "files": files}
    (out_dir / MANIFEST).write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n",
                                    encoding="utf-8")
    return manifest


def _write(out_dir: Path, table: Table, files: dict[str, dict[str, Any]]) -> None:
    written = write_table(out_dir, table)
    files[table.file_name] = {"source": table.source, "rows": written.rows,
                              "sha256": written.sha256}
