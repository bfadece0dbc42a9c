// Copies the browser bundles the app serves from node_modules into app/static/vendor.
// The packages are pinned in package-lock.json; nothing is loaded from a CDN.
import { cpSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const vendor = join(root, "app", "static", "vendor");

const files = [
  ["bpmn-js/dist/bpmn-navigated-viewer.production.min.js", "bpmn-js/bpmn-navigated-viewer.js"],
  ["bpmn-js/dist/assets/diagram-js.css", "bpmn-js/diagram-js.css"],
  ["bpmn-js/dist/assets/bpmn-js.css", "bpmn-js/bpmn-js.css"],
  ["bpmn-js/dist/assets/bpmn-font/css/bpmn.css", "bpmn-js/bpmn-font/css/bpmn.css"],
  ["bpmn-js/dist/assets/bpmn-font/font", "bpmn-js/bpmn-font/font"],
  ["htmx.org/dist/htmx.min.js", "htmx/htmx.min.js"],
];

for (const [from, to] of files) {
  const target = join(vendor, to);
  mkdirSync(dirname(target), { recursive: true });
  cpSync(join(root, "node_modules", from), target, { recursive: true });
}
console.log(`assets: ${files.length} entries copied to app/static/vendor`);
