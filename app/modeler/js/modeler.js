// The process owners' BPMN modeler: bpmn-js with the properties panel, our spiffworkflow
// extensions, bpmnlint's recommended rules, and the server's Validate, Save draft and Deploy.
// Bundled by scripts/build-assets.mjs into app/static/vendor/modeler/ (no inline script: the
// page hands over its settings in a JSON data block).

import BpmnModeler from 'bpmn-js/lib/Modeler';
import { BpmnPropertiesPanelModule, BpmnPropertiesProviderModule } from 'bpmn-js-properties-panel';
import lintModule from 'bpmn-js-bpmnlint';
import lintConfig from 'bpmnlint-config:recommended';

import keepUndrawnDi from './keep-undrawn-di.js';
import spiffModdle from './spiffworkflow-moddle.js';
import spiffProperties, { setChoices } from './properties.js';
import translateModule from './translate.js';

import 'bpmn-js/dist/assets/diagram-js.css';
import 'bpmn-js/dist/assets/bpmn-js.css';
import 'bpmn-js/dist/assets/bpmn-font/css/bpmn.css';
import '@bpmn-io/properties-panel/assets/properties-panel.css';
import 'bpmn-js-bpmnlint/dist/assets/css/bpmn-js-bpmnlint.css';
import './modeler.css';

const PROBLEM_MARKER = 'dicase-problem';

function format(text, values) {
  return text.replace(/%\((\w+)\)s/g, (_match, name) => String(values[name] ?? ''));
}

async function request(url, options, csrf) {
  const response = await fetch(url, {
    credentials: 'same-origin',
    ...options,
    headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf, ...(options && options.headers) }
  });
  const body = await response.json().catch(() => ({}));
  return { ok: response.ok, status: response.status, body };
}

class ModelerPage {
  constructor(root, config) {
    this.root = root;
    this.config = config;
    this.texts = config.texts;
    this.csrf = document.querySelector('meta[name="csrf-token"]').content;
    this.status = root.querySelector('[data-status]');
    this.problemList = root.querySelector('[data-problems]');
    this.basedOnVersion = config.basedOnVersion;
    this.overlayIds = [];
    this.markedIds = [];
    this.modeler = new BpmnModeler({
      container: root.querySelector('[data-canvas]'),
      propertiesPanel: { parent: root.querySelector('[data-properties]') },
      additionalModules: [ BpmnPropertiesPanelModule, BpmnPropertiesProviderModule, spiffProperties, lintModule,
        keepUndrawnDi, translateModule(config.diagramTexts) ],
      moddleExtensions: { spiffworkflow: spiffModdle },
      linting: { bpmnlint: lintConfig, active: true }
    });
    setChoices({ texts: this.texts });
    // Tests and the browser console reach the modeler here.
    window.dicaseModeler = this;
  }

  async start() {
    this.bindButtons();
    this.loadChoices();
    await this.open(this.config.xml);
  }

  async loadChoices() {
    const [ forms, operations ] = await Promise.all([
      fetch(this.config.formsUrl, { credentials: 'same-origin' }).then((r) => r.json()),
      fetch(this.config.operationsUrl, { credentials: 'same-origin' }).then((r) => r.json())
    ]);
    setChoices({ forms, operations });
  }

  async open(xml) {
    const result = await this.modeler.importXML(xml);
    // Fit the diagram, leaving room on the left for the palette that floats over the canvas.
    const canvas = this.modeler.get('canvas');
    const fitted = canvas.zoom('fit-viewport', 'auto');
    canvas.zoom(Math.min(fitted * 0.85, 1), 'auto');
    canvas.scroll({ dx: 40, dy: 0 });
    this.clearProblems();
    this.root.dataset.ready = 'true';
    return result;
  }

  async xml() {
    const { xml } = await this.modeler.saveXML({ format: true });
    return xml;
  }

  say(text, kind) {
    this.status.textContent = text;
    this.status.className = `modeler-status alert alert-${kind || 'info'}`;
  }

  bindButtons() {
    const on = (action, handler) => {
      const button = this.root.querySelector(`[data-action="${action}"]`);
      if (button) {
        button.addEventListener(button.type === 'file' ? 'change' : 'click', (event) => {
          event.preventDefault();
          handler(event).catch((error) => this.say(`${this.texts.failed} (${error.message})`, 'error'));
        });
      }
    };
    on('validate', () => this.validate());
    on('save', () => this.save());
    on('deploy', () => this.deploy());
    on('download', () => this.download());
    on('import', (event) => this.importFile(event.target));
  }

  async validate() {
    const xml = await this.xml();
    const answer = await request(this.config.validateUrl, { method: 'POST', body: JSON.stringify({ xml }) }, this.csrf);
    if (!answer.ok) {
      throw new Error(String(answer.status));
    }
    const lint = await this.lintProblems();
    const problems = [ ...answer.body.problems, ...lint ];
    this.showProblems(problems);
    const errors = problems.filter((p) => p.severity === 'error').length;
    const warnings = problems.length - errors;
    if (errors) {
      this.say(format(this.texts.problemsFound, { errors, warnings }), 'error');
    } else if (warnings) {
      this.say(format(this.texts.onlyWarnings, { warnings }), 'info');
    } else {
      this.say(this.texts.noProblems, 'success');
    }
    return problems;
  }

  async lintProblems() {
    const issues = await this.modeler.get('linting').lint();
    const problems = [];
    for (const [ rule, reports ] of Object.entries(issues)) {
      for (const report of reports) {
        problems.push({ element_id: report.id, message: `${report.message} (${rule})`,
          severity: report.category === 'error' ? 'error' : 'warning', source: 'lint' });
      }
    }
    return problems;
  }

  async save() {
    const xml = await this.xml();
    const answer = await request(this.config.saveUrl, { method: 'POST',
      body: JSON.stringify({ xml, kind: 'bpmn', basedOnVersion: this.basedOnVersion }) }, this.csrf);
    if (answer.status === 422) {
      this.showProblems(answer.body.problems);
      this.say(answer.body.problems.map((p) => p.message).join(' '), 'error');
      return;
    }
    if (!answer.ok) {
      throw new Error(String(answer.status));
    }
    this.say(this.texts.saved, 'success');
  }

  async deploy() {
    const xml = await this.xml();
    const answer = await request(this.config.deployUrl, { method: 'POST', body: JSON.stringify({ xml }) }, this.csrf);
    if (answer.status === 422) {
      this.showProblems(answer.body.problems);
      this.say(this.texts.refused, 'error');
      return answer.body;
    }
    if (!answer.ok) {
      throw new Error(String(answer.status));
    }
    this.basedOnVersion = answer.body.version;
    this.showProblems(answer.body.problems || []);
    const text = answer.body.created ? this.texts.deployed : this.texts.unchanged;
    this.say(format(text, { version: answer.body.version, key: answer.body.process_key }), 'success');
    return answer.body;
  }

  async download() {
    const xml = await this.xml();
    const link = document.createElement('a');
    link.href = URL.createObjectURL(new Blob([ xml ], { type: 'application/xml' }));
    link.download = `${this.config.processKey}.bpmn`;
    document.body.appendChild(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(link.href), 1000);
  }

  async importFile(input) {
    const file = input.files && input.files[0];
    if (!file) {
      return;
    }
    const text = await file.text();
    input.value = '';
    try {
      await this.open(text);
    } catch (error) {
      this.say(format(this.texts.importFailed, { reason: error.message }), 'error');
      return;
    }
    this.basedOnVersion = null;
    this.say(format(this.texts.imported, { name: file.name }), 'info');
  }

  // --- problems on the diagram and in the list ------------------------------------------------

  clearProblems() {
    const overlays = this.modeler.get('overlays');
    const canvas = this.modeler.get('canvas');
    this.overlayIds.forEach((id) => overlays.remove(id));
    this.markedIds.forEach((id) => canvas.removeMarker(id, PROBLEM_MARKER));
    this.overlayIds = [];
    this.markedIds = [];
    this.problemList.replaceChildren();
    this.problemList.closest('section').hidden = true;
  }

  showProblems(problems) {
    this.clearProblems();
    const registry = this.modeler.get('elementRegistry');
    const overlays = this.modeler.get('overlays');
    const canvas = this.modeler.get('canvas');
    const counted = new Map();
    for (const problem of problems) {
      const element = problem.element_id && registry.get(problem.element_id);
      const item = document.createElement('li');
      item.className = `problem problem-${problem.severity}`;
      item.dataset.elementId = problem.element_id || '';
      const where = document.createElement(element ? 'button' : 'span');
      where.className = element ? 'problem-element button-link' : 'problem-element';
      where.textContent = problem.element_id || this.texts.wholeModel;
      if (element) {
        where.type = 'button';
        where.addEventListener('click', () => this.focusElement(element));
      }
      const kind = document.createElement('span');
      kind.className = 'problem-kind';
      kind.textContent = problem.source === 'lint' ? this.texts.lint
        : (problem.severity === 'warning' ? this.texts.warning : this.texts.error);
      const message = document.createElement('span');
      message.className = 'problem-message';
      message.textContent = problem.message;
      item.append(kind, ' ', where, ': ', message);
      this.problemList.append(item);
      if (element && problem.source !== 'lint') {
        counted.set(element.id, [ ...(counted.get(element.id) || []), problem ]);
      }
    }
    for (const [ id, elementProblems ] of counted) {
      const badge = document.createElement('div');
      badge.className = `dicase-problem-badge ${elementProblems.some((p) => p.severity === 'error') ? 'is-error' : 'is-warning'}`;
      badge.textContent = String(elementProblems.length);
      badge.title = elementProblems.map((p) => p.message).join('\n');
      badge.dataset.elementId = id;
      this.overlayIds.push(overlays.add(id, PROBLEM_MARKER, { position: { top: -12, left: -12 }, html: badge }));
      canvas.addMarker(id, PROBLEM_MARKER);
      this.markedIds.push(id);
    }
    this.problemList.closest('section').hidden = problems.length === 0;
  }

  focusElement(element) {
    this.modeler.get('selection').select(element);
    const canvas = this.modeler.get('canvas');
    if (!element.waypoints && element.x !== undefined) {
      canvas.scrollToElement(element);
    }
  }
}

function main() {
  const root = document.querySelector('[data-modeler]');
  const data = document.getElementById('modeler-config');
  if (!root || !data) {
    return;
  }
  const page = new ModelerPage(root, JSON.parse(data.textContent));
  page.start().catch((error) => page.say(format(page.texts.importFailed, { reason: error.message }), 'error'));
}

main();
