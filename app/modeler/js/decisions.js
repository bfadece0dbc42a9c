// The decision table editor (dmn-js) with Save draft, open a .dmn file and download. Bundled by
// scripts/build-assets.mjs; the page hands over its settings in a JSON data block.

import DmnModeler from 'dmn-js/lib/Modeler';

import 'dmn-js/dist/assets/diagram-js.css';
import 'dmn-js/dist/assets/dmn-js-shared.css';
import 'dmn-js/dist/assets/dmn-js-drd.css';
import 'dmn-js/dist/assets/dmn-js-decision-table.css';
import 'dmn-js/dist/assets/dmn-js-decision-table-controls.css';
import 'dmn-js/dist/assets/dmn-js-literal-expression.css';
import 'dmn-js/dist/assets/dmn-font/css/dmn.css';
import './modeler.css';

function format(text, values) {
  return text.replace(/%\((\w+)\)s/g, (_match, name) => String(values[name] ?? ''));
}

async function main() {
  const root = document.querySelector('[data-decisions]');
  const data = document.getElementById('decisions-config');
  if (!root || !data) {
    return;
  }
  const config = JSON.parse(data.textContent);
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const status = root.querySelector('[data-status]');
  const say = (text, kind) => {
    status.textContent = text;
    status.className = `modeler-status alert alert-${kind || 'info'}`;
  };
  const editor = new DmnModeler({ container: root.querySelector('[data-canvas]') });
  window.dicaseDecisions = editor;

  async function open(xml) {
    await editor.importXML(xml);
    // A single decision table opens straight in its table, not on the requirements diagram.
    const table = editor.getViews().find((view) => view.type === 'decisionTable');
    if (table) {
      await editor.open(table);
    }
    root.dataset.ready = 'true';
  }

  const saveXML = async () => (await editor.saveXML({ format: true })).xml;

  root.querySelector('[data-action="save"]').addEventListener('click', async () => {
    try {
      const response = await fetch(config.saveUrl, { method: 'POST', credentials: 'same-origin',
        headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf },
        body: JSON.stringify({ xml: await saveXML(), kind: 'dmn' }) });
      const body = await response.json().catch(() => ({}));
      if (response.ok) {
        say(config.texts.saved, 'success');
      } else {
        say((body.problems || []).map((p) => p.message).join(' ') || config.texts.failed, 'error');
      }
    } catch (error) {
      say(config.texts.failed, 'error');
    }
  });
  root.querySelector('[data-action="download"]').addEventListener('click', async () => {
    const link = document.createElement('a');
    link.href = URL.createObjectURL(new Blob([ await saveXML() ], { type: 'application/xml' }));
    link.download = config.name;
    document.body.appendChild(link);
    link.click();
    link.remove();
  });
  root.querySelector('[data-action="import"]').addEventListener('change', async (event) => {
    const file = event.target.files && event.target.files[0];
    if (!file) {
      return;
    }
    try {
      await open(await file.text());
    } catch (error) {
      say(format(config.texts.importFailed, { reason: error.message }), 'error');
    }
    event.target.value = '';
  });
  try {
    await open(config.xml);
  } catch (error) {
    say(format(config.texts.importFailed, { reason: error.message }), 'error');
  }
}

main();
