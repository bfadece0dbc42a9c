"""The catalogue shows each process's page from docs/processes."""
from __future__ import annotations

from pathlib import Path

from app.config import PROJECT_ROOT
from app.modeler.service import documentation

DOCS = PROJECT_ROOT / "docs" / "processes"


def test_a_page_is_found_by_key_or_by_process_number(tmp_path: Path) -> None:
    (tmp_path / "p09_out_of_family_care.md").write_text("by key", encoding="utf-8")
    (tmp_path / "P1.md").write_text("by number", encoding="utf-8")
    assert documentation(tmp_path, "p09_out_of_family_care") == "by key"
    assert documentation(tmp_path, "p01_adult_needs_assessment") == "by number"
    assert documentation(tmp_path, "p02_child_needs_assessment") == ""
    assert documentation(tmp_path, "../P1") == ""


def test_every_process_has_its_page_and_diagram() -> None:
    for model in sorted((PROJECT_ROOT / "processes").glob("p*.bpmn")):
        page = documentation(DOCS, model.stem)
        assert page, f"no page in docs/processes for {model.stem}"
        assert f"{model.stem}.svg" in page, f"the page of {model.stem} does not show its diagram"
        assert (DOCS / f"{model.stem}.svg").is_file(), f"run `make diagrams` for {model.stem}"
