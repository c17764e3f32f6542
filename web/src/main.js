// @ts-check
// The playground page: loads the engine and the examples, restores a shared state from the URL
// fragment (or opens the default example), and re-explains the request whenever the YAML or the
// form changes. `?embed=1` shows the compact read-only view for docs pages.
//
// Hooks for the browser tests and budgets: `body[data-ready]` holds the milliseconds from
// navigation to the first explanation painted, `body[data-explained]` counts explanations
// painted, `body[data-linted]` names the explanation whose findings are shown,
// `body[data-simulated]` counts simulations, and `window.playground` gives the current state and
// the re-explanation timings.
import { renderSimulation } from './chart.js';
import { renderDiagram } from './diagram.js';
import { byId, fill, h } from './dom.js';
import { createEditor } from './editor.js';
import { requestForm } from './form.js';
import { load } from './meshroute.js';
import { renderDiagnostics, renderResult, renderSteps, requestLine } from './render.js';
import { decodeState, encodeState } from './share.js';

/** @typedef {import('./types/api').MeshrouteApi} MeshrouteApi */
/** @typedef {import('./types/api').BrowserExplanation} BrowserExplanation */
/** @typedef {import('./types/api').BrowserRef} BrowserRef */
/** @typedef {import('./types/api').RequestDraft} RequestDraft */
/** @typedef {import('./types/contract').Simulation} Simulation */
/** @typedef {import('./share.js').State} State */
/**
 * @typedef {object} Example
 * @property {string} name
 * @property {string} title
 * @property {string} group
 * @property {string} description
 * @property {string} config
 * @property {RequestDraft} request
 */
/**
 * One explanation's timings (ms), each ending with the explanation in the DOM: from the first
 * input event since the previous explanation (`input`, null for changes no event caused), from
 * the first change of the editor or form (`change`: CodeMirror applies typed text at the next
 * animation frame, so this is what the explanation adds to that frame), the explain and render
 * work alone (`work`) and the engine's part of it (`explain`); and from the input to the next
 * frame after the explanation (`frame`, filled in later).
 * @typedef {{ input: number | null, change: number | null, work: number, explain: number, frame: number | null }} Timing
 */

const DEFAULT_EXAMPLE = 'a000-09-geocoding-80-20-shift';
const EMBED = ['1', 'true', ''].includes(new URLSearchParams(location.search).get('embed') ?? 'absent');
/**
 * While an explanation costs less than this (ms, three frames), every change is re-explained at
 * once (changes within one task still coalesce); above, the page waits for a pause in typing.
 */
const IMMEDIATE_BELOW_MS = 50;

const ui = {
  status: byId('status', HTMLElement),
  result: byId('result', HTMLElement),
  steps: byId('steps', HTMLOListElement),
  requestLine: byId('request-line', HTMLElement),
  diagnostics: byId('diagnostics', HTMLUListElement),
  findingsCount: byId('findings-count', HTMLElement),
  configSummary: byId('config-summary', HTMLElement),
  diagram: byId('diagram', HTMLElement),
  simulation: byId('simulation', HTMLElement),
  simN: byId('sim-n', HTMLInputElement),
  simSeed: byId('sim-seed', HTMLInputElement),
  exampleTitle: byId('example-title', HTMLElement),
  editorHost: byId('editor', HTMLElement),
  editorDetails: byId('editor-details', HTMLDetailsElement),
};

/** @type {MeshrouteApi} */
let api;
/** @type {ReturnType<typeof createEditor>} */
let editor;
/** @type {ReturnType<typeof requestForm>} */
let form;
/** The last explained inputs and answer, for the simulation and the diagram. */
/** @type {{ config: string, request: RequestDraft, explanation: BrowserExplanation } | null} */
let last = null;
/** @type {Simulation | null} */
let lastSimulation = null;
let lastCost = 0;
let painted = 0;
/** The time of the first input since the last explanation (event.timeStamp, ms). */
/** @type {number | null} */
let inputAt = null;
let lastInputEvent = 0;
/** The time of the first change since the last explanation (ms). */
/** @type {number | null} */
let changeAt = null;
/** @type {Timing[]} */
const timings = [];
let explainTimer = 0;
/** A change is waiting to be explained. */
let stale = false;
let lintTimer = 0;
let simulationTimer = 0;

/** @param {Event} event */
function onInputEvent(event) {
  lastInputEvent = event.timeStamp;
}

/** A change to the YAML or the form: re-explain now when that is cheap, else after a pause. */
function changed() {
  const now = performance.now();
  if (inputAt === null) inputAt = now - lastInputEvent < 1000 ? lastInputEvent : now;
  if (changeAt === null) changeAt = now;
  clearTimeout(explainTimer);
  stale = true;
  if (lastCost < IMMEDIATE_BELOW_MS) {
    // In a microtask: after the event that made the change, before the browser draws the next
    // frame, and once for all the changes that event made (unless something explained since).
    queueMicrotask(() => {
      if (stale) explainNow();
    });
  } else {
    explainTimer = window.setTimeout(explainNow, Math.min(500, 2 * lastCost));
  }
}

/** @param {string} text @param {'error' | 'note' | ''} kind */
function setStatus(text, kind = '') {
  ui.status.textContent = text;
  ui.status.className = `status ${kind}`;
}

/** @param {BrowserRef} ref @param {HTMLButtonElement} button */
function showRef(ref, button) {
  if (ref.line === null) return;
  ui.editorDetails.open = true;
  for (const other of document.querySelectorAll('button.ref.active')) other.classList.remove('active');
  button.classList.add('active');
  editor.highlight(ref.line, ref.utf16_column, /\]$/.test(ref.path ?? ''));
  // In one column the editor is far above the steps; beside them (wide screens) it stays put.
  const box = ui.editorHost.getBoundingClientRect();
  if (box.bottom < 40 || box.top > window.innerHeight - 40) ui.editorHost.scrollIntoView({ block: 'start' });
}

function explainNow() {
  clearTimeout(explainTimer);
  stale = false;
  clearTimeout(lintTimer);
  const started = performance.now();
  const config = editor.text();
  const request = form.request();
  const lines = editor.lineCount();
  const documents = 1 + (config.match(/^---(\s|$)/gm)?.length ?? 0);
  ui.configSummary.textContent = `${lines} line${lines === 1 ? '' : 's'}, ${documents} document${documents === 1 ? '' : 's'}`;
  ui.requestLine.textContent = requestLine(request);

  const explanation = api.explain(config, request);
  const explained = performance.now();
  if ('error' in explanation) {
    // A refused configuration (over 1 MiB, 5,000 documents) or request: say so, explain nothing.
    setStatus(`Nothing to explain: ${explanation.error}`, 'error');
    fill(ui.result);
    fill(ui.steps);
    fill(ui.diagram);
    fill(ui.simulation);
    last = null;
  } else {
    setStatus('');
    renderResult(ui.result, explanation);
    renderSteps(ui.steps, explanation, showRef);
    lastSimulation = null;
    renderDiagram(ui.diagram, explanation, request, null);
    last = { config, request, explanation };
    if (!EMBED) scheduleSimulation(150);
  }

  const finished = performance.now();
  lastCost = finished - started;
  /** @type {Timing} */
  const timing = {
    input: inputAt === null ? null : finished - inputAt,
    change: changeAt === null ? null : finished - changeAt,
    work: lastCost,
    explain: explained - started,
    frame: null,
  };
  timings.push(timing);
  if (timings.length > 1000) timings.shift();
  const since = inputAt;
  if (since !== null) {
    // The frame that shows the explanation: a task queued from the next animation frame runs
    // after that frame's style, layout and paint.
    requestAnimationFrame(() => setTimeout(() => { timing.frame = performance.now() - since; }, 0));
  }
  inputAt = null;
  changeAt = null;
  painted += 1;
  document.body.dataset.explained = String(painted);
  // The findings on the whole configuration follow in the next task, once the explanation is on
  // screen: linting parses the configuration a second time.
  lintTimer = window.setTimeout(() => lintNow(config), 0);
}

/** @param {string} config */
function lintNow(config) {
  const report = api.lint(config);
  if ('error' in report) {
    editor.setDiagnostics([]);
    fill(ui.diagnostics, h('li', { class: 'diagnostic error' }, report.error));
    ui.findingsCount.textContent = '';
  } else {
    editor.setDiagnostics(report.diagnostics);
    renderDiagnostics(ui.diagnostics, report.diagnostics, (d) => d.line !== null && editor.focusAt(d.line, d.utf16_column));
    const { errors, warnings, infos } = report.summary;
    ui.findingsCount.textContent = `(${errors} error${errors === 1 ? '' : 's'}, ${warnings} warning${warnings === 1 ? '' : 's'}, ${infos} info)`;
  }
  // The number of the explanation whose configuration these findings are for.
  document.body.dataset.linted = String(painted);
}

/** @param {number} delay */
function scheduleSimulation(delay) {
  clearTimeout(simulationTimer);
  simulationTimer = window.setTimeout(runSimulation, delay);
}

function runSimulation() {
  if (!last) return;
  const n = Math.min(100_000, Math.max(1, Math.trunc(Number(ui.simN.value) || 1000)));
  const seed = Math.min(Number.MAX_SAFE_INTEGER, Math.max(0, Math.trunc(Number(ui.simSeed.value) || 0)));
  const simulation = api.simulate(last.config, last.request, n, seed);
  if ('error' in simulation) {
    fill(ui.simulation, h('p', { class: 'status error' }, simulation.error));
    return;
  }
  lastSimulation = simulation;
  renderSimulation(ui.simulation, simulation);
  document.body.dataset.simulated = String(Number(document.body.dataset.simulated ?? 0) + 1);
  // The simulation lists endpoints of every destination; the explanation only of the chosen one.
  renderDiagram(ui.diagram, last.explanation, last.request, lastSimulation);
}

/** @returns {State} */
function currentState() {
  return {
    config: editor.text(),
    request: form.request(),
    simulate: { n: Number(ui.simN.value) || 1000, seed: Number(ui.simSeed.value) || 0 },
  };
}

/** @param {State} state */
function applyState(state) {
  editor.setText(state.config);
  form.set(state.request);
  ui.simN.value = String(state.simulate.n);
  ui.simSeed.value = String(state.simulate.seed);
}

/** @param {Example} example */
function openExample(example) {
  applyState({ config: example.config, request: example.request, simulate: currentState().simulate });
  ui.exampleTitle.textContent = `${example.title}: ${example.description}`;
  ui.exampleTitle.classList.remove('error');
  // The fragment described the previous state; an example replaces it.
  history.replaceState(null, '', location.pathname + location.search);
  explainNow();
}

/** @param {Example[]} examples */
function examplesMenu(examples) {
  const menu = byId('examples', HTMLDetailsElement);
  const list = byId('example-list', HTMLElement);
  const filter = byId('example-filter', HTMLInputElement);

  // The hundred entries are built when the menu first opens, not while the page loads.
  function fillMenu() {
    if (list.childElementCount) return;
    /** @type {Map<string, HTMLElement>} */
    const groups = new Map();
    for (const example of examples) {
      let group = groups.get(example.group);
      if (!group) {
        group = h('div', { class: 'menu-group', role: 'group', 'aria-label': example.group }, h('h3', {}, example.group));
        groups.set(example.group, group);
        list.append(group);
      }
      const button = h(
        'button',
        { type: 'button', class: 'example', 'data-example': example.name },
        h('span', { class: 'example-name' }, example.title),
        h('span', { class: 'example-description' }, example.description),
      );
      button.addEventListener('click', () => {
        menu.open = false;
        openExample(example);
      });
      group.append(button);
    }
  }

  menu.querySelector('summary')?.addEventListener('click', fillMenu);
  menu.addEventListener('toggle', () => {
    if (!menu.open) return;
    fillMenu();
    filter.focus();
  });
  filter.addEventListener('input', () => {
    const words = filter.value.toLowerCase().split(/\s+/).filter(Boolean);
    for (const button of list.querySelectorAll('button.example')) {
      const text = (button.textContent ?? '').toLowerCase();
      button.toggleAttribute('hidden', !words.every((word) => text.includes(word)));
    }
  });
  menu.addEventListener('keydown', (event) => {
    if (event.key === 'Escape' && menu.open) {
      menu.open = false;
      menu.querySelector('summary')?.focus();
    }
  });
}

/** Text for an HTML attribute value in the embed snippet, which people paste into their docs. */
const attribute = (/** @type {string} */ text) =>
  text.replaceAll('&', '&amp;').replaceAll('"', '&quot;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');

/** The page's URL without query or fragment. */
const pageUrl = () => `${location.origin}${location.pathname}`;

/**
 * @param {HTMLDialogElement} dialog
 * @param {HTMLInputElement | HTMLTextAreaElement} field
 * @param {HTMLButtonElement} copy
 * @param {HTMLElement} status
 */
function bindDialog(dialog, field, copy, status) {
  for (const close of dialog.querySelectorAll('button.close')) close.addEventListener('click', () => dialog.close());
  copy.addEventListener('click', async () => {
    field.select();
    try {
      await navigator.clipboard.writeText(field.value);
      status.textContent = 'Copied.';
    } catch {
      status.textContent = 'Selected: press Ctrl+C (⌘C) to copy.';
    }
  });
}

function shareAndEmbed() {
  const shareDialog = byId('share-dialog', HTMLDialogElement);
  const shareLink = byId('share-link', HTMLInputElement);
  const embedDialog = byId('embed-dialog', HTMLDialogElement);
  const embedSnippet = byId('embed-snippet', HTMLTextAreaElement);
  bindDialog(shareDialog, shareLink, byId('share-copy', HTMLButtonElement), byId('share-status', HTMLElement));
  bindDialog(embedDialog, embedSnippet, byId('embed-copy', HTMLButtonElement), byId('embed-status', HTMLElement));

  byId('share-button', HTMLButtonElement).addEventListener('click', async () => {
    const fragment = await encodeState(currentState());
    history.replaceState(null, '', `${location.pathname}${location.search}#${fragment}`);
    shareLink.value = `${pageUrl()}#${fragment}`;
    byId('share-status', HTMLElement).textContent = '';
    shareDialog.showModal();
    shareLink.select();
  });
  byId('embed-button', HTMLButtonElement).addEventListener('click', async () => {
    const state = currentState();
    const fragment = await encodeState(state);
    const title = `meshroute: ${requestLine(state.request)}`;
    embedSnippet.value =
      `<iframe src="${attribute(`${pageUrl()}?embed=1#${fragment}`)}" title="${attribute(title)}"\n` +
      `  width="100%" height="560" style="border:0" loading="lazy"></iframe>`;
    byId('embed-status', HTMLElement).textContent = '';
    embedDialog.showModal();
    embedSnippet.select();
  });
}

/** @returns {Promise<Example[]>} */
async function fetchExamples() {
  const response = await fetch('./examples.json');
  if (!response.ok) throw new Error(`examples.json: HTTP ${response.status}`);
  return response.json();
}

/**
 * The state in the fragment, or null (with a note on the page) when it holds none.
 * @param {string} otherwise what the page shows instead, for the note
 * @returns {Promise<State | null>}
 */
async function stateFromFragment(otherwise) {
  if (!location.hash || location.hash === '#') return null;
  try {
    return await decodeState(location.hash);
  } catch (why) {
    ui.exampleTitle.textContent = `The link's state could not be restored: ${why instanceof Error ? why.message : why}. ${otherwise}`;
    ui.exampleTitle.classList.add('error');
    return null;
  }
}

async function start() {
  if (EMBED) document.documentElement.classList.add('embed');
  const [meshroute, examples] = await Promise.all([
    load().then((loaded) => {
      performance.mark('meshroute:engine');
      return loaded;
    }),
    fetchExamples(),
  ]);
  api = meshroute;
  window.meshroute = meshroute;
  const shared = await stateFromFragment('Showing the default example.');
  const example = examples.find((e) => e.name === DEFAULT_EXAMPLE) ?? examples[0];

  const initial = shared ?? (example ? { config: example.config, request: example.request, simulate: { n: 1000, seed: 1 } } : null);
  editor = createEditor(ui.editorHost, {
    doc: initial?.config ?? '',
    onChange: changed,
    onInput: onInputEvent,
    label: 'Istio configuration (YAML). Esc then Tab leaves the editor.',
  });
  form = requestForm(changed);
  byId('request-form', HTMLFormElement).addEventListener('input', onInputEvent, { capture: true });
  if (initial) {
    form.set(initial.request);
    ui.simN.value = String(initial.simulate.n);
    ui.simSeed.value = String(initial.simulate.seed);
  }
  if (shared) ui.exampleTitle.textContent = 'Restored from the link.';
  else if (example && !ui.exampleTitle.textContent) ui.exampleTitle.textContent = `${example.title}: ${example.description}`;
  examplesMenu(examples);
  shareAndEmbed();
  byId('simulation-form', HTMLFormElement).addEventListener('submit', (event) => {
    event.preventDefault();
    scheduleSimulation(0);
  });
  window.addEventListener('hashchange', async () => {
    const state = await stateFromFragment('The page keeps its current state.');
    if (state) {
      ui.exampleTitle.classList.remove('error');
      ui.exampleTitle.textContent = 'Restored from the link.';
      applyState(state);
      explainNow();
    }
  });

  if (EMBED) {
    editor.setReadOnly(true);
    form.disable();
    ui.editorDetails.open = false;
    const full = byId('open-full', HTMLAnchorElement);
    full.href = `${location.pathname}#${await encodeState(currentState())}`;
  }

  performance.mark('meshroute:page');
  explainNow();
  performance.mark('meshroute:explained');
  requestAnimationFrame(() => {
    document.body.dataset.ready = String(Math.round(performance.now()));
  });
  window.playground = Object.freeze({
    state: currentState,
    timings: () => timings.slice(),
  });
}

start().catch((error) => {
  setStatus(`The playground could not start: ${error}`, 'error');
  document.body.dataset.ready = 'error';
});
