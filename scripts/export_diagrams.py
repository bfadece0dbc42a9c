"""Export each process in processes/ as an SVG for the process docs (docs/processes/<key>.svg).

Renders the BPMN with the same bpmn-js the app serves (app/static/vendor, filled by
`make build-assets`) in Debian's Chromium, so the picture in the docs is the one process owners
see in the modeler. Usage: .venv/bin/python scripts/export_diagrams.py [processes/p01_*.bpmn ...]
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
VENDOR = ROOT / "app" / "static" / "vendor" / "bpmn-js"
OUT = ROOT / "docs" / "processes"
CHROMIUM = "/usr/bin/chromium"

PAGE = """<!doctype html><html><head><meta charset="utf-8"><style>{css}</style></head>
<body><div id="canvas" style="width:1800px;height:1000px"></div></body></html>"""

EXPORT = """async (xml) => {
  const viewer = new BpmnJS({ container: '#canvas' });
  await viewer.importXML(xml);
  const { svg } = await viewer.saveSVG();
  return svg;
}"""


_MARKER_ID = re.compile(r"marker-[0-9a-z]{20,}")


def stable_ids(svg: str) -> str:
    """bpmn-js names each arrowhead marker with a random id; number them in order of first
    appearance, so the same model exports to the same file."""
    numbers: dict[str, str] = {}
    return _MARKER_ID.sub(
        lambda m: numbers.setdefault(m.group(0), f"marker-{len(numbers) + 1}"), svg)


def export(paths: list[Path]) -> list[Path]:
    css = "\n".join((VENDOR / name).read_text(encoding="utf-8")
                    for name in ("diagram-js.css", "bpmn-js.css"))
    written = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run"])
        try:
            page = browser.new_page()
            page.set_content(PAGE.format(css=css))
            page.add_script_tag(content=(VENDOR / "bpmn-navigated-viewer.js").read_text(
                encoding="utf-8"))
            for path in paths:
                svg = stable_ids(page.evaluate(EXPORT, path.read_text(encoding="utf-8")))
                target = OUT / f"{path.stem}.svg"
                target.write_text(svg + "\n", encoding="utf-8")
                written.append(target)
        finally:
            browser.close()
    return written


def main(argv: list[str]) -> int:
    paths = [Path(a) for a in argv] or sorted((ROOT / "processes").glob("p*.bpmn"))
    for target in export(paths):
        print(target.relative_to(ROOT))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
