// Copies the browser bundles the app serves from node_modules into app/static/vendor, and bundles
// the process owners' modeler and decision table editor (app/modeler/js/) with esbuild.
// The packages are pinned in package-lock.json; nothing is loaded from a CDN.
import { cpSync, mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

import { build } from "esbuild";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const vendor = join(root, "app", "static", "vendor");
const require = createRequire(import.meta.url);

const files = [
  ["bpmn-js/dist/bpmn-navigated-viewer.production.min.js", "bpmn-js/bpmn-navigated-viewer.js"],
  ["bpmn-js/dist/assets/diagram-js.css", "bpmn-js/diagram-js.css"],
  ["bpmn-js/dist/assets/bpmn-js.css", "bpmn-js/bpmn-js.css"],
  ["bpmn-js/dist/assets/bpmn-font/css/bpmn.css", "bpmn-js/bpmn-font/css/bpmn.css"],
  ["bpmn-js/dist/assets/bpmn-font/font", "bpmn-js/bpmn-font/font"],
  ["htmx.org/dist/htmx.min.js", "htmx/htmx.min.js"],
  ["chart.js/dist/chart.umd.js", "chartjs/chart.umd.js"],
];

for (const [from, to] of files) {
  const target = join(vendor, to);
  mkdirSync(dirname(target), { recursive: true });
  cpSync(join(root, "node_modules", from), target, { recursive: true });
}
console.log(`assets: ${files.length} entries copied to app/static/vendor`);

// bpmn-js-bpmnlint takes a "packed" bpmnlint configuration: the rules themselves, resolved
// at build time. This plugin serves bpmnlint's own packing of a configuration as a module.
const bpmnlintConfig = {
  name: "bpmnlint-config",
  setup(esbuild) {
    esbuild.onResolve({ filter: /^bpmnlint-config:/ }, (args) => ({
      path: args.path.slice("bpmnlint-config:".length), namespace: "bpmnlint-config",
    }));
    esbuild.onLoad({ filter: /.*/, namespace: "bpmnlint-config" }, async (args) => {
      const compileConfig = require("bpmnlint/lib/support/compile-config");
      const contents = await compileConfig({ extends: `bpmnlint:${args.path}` });
      return { contents, loader: "js", resolveDir: root };
    });
  },
};

const started = Date.now();
await build({
  entryPoints: {
    modeler: join(root, "app", "modeler", "js", "modeler.js"),
    decisions: join(root, "app", "modeler", "js", "decisions.js"),
  },
  outdir: join(vendor, "modeler"),
  bundle: true,
  minify: true,
  format: "iife",
  target: ["es2020"],
  legalComments: "linked",
  loader: { ".woff": "file", ".woff2": "file", ".ttf": "file", ".eot": "file", ".svg": "file" },
  assetNames: "fonts/[name]-[hash]",
  plugins: [bpmnlintConfig],
  logLevel: "warning",
});
console.log(`assets: modeler and decision editor bundled in ${Date.now() - started} ms`);
