// The playground page (foundation slice): loads the engine, exposes it as `window.meshroute`,
// and explains the default example from the fixture corpus. Everything from the YAML, the
// request or the URL reaches the page as text nodes only (textContent), never as HTML.
import { load } from './meshroute.js';

const DEFAULT_EXAMPLE = 'a000-02-stripe-tls-by-sni';

function show(id, text) {
  const element = document.getElementById(id);
  if (element) element.textContent = text;
}

/** A plain-text account of an explanation: the result, then one line per step. */
export function describe(explanation) {
  if (explanation.error) return `error: ${explanation.error}`;
  const lines = [
    `outcome: ${explanation.outcome}${explanation.http_status ? ` (${explanation.http_status})` : ''}`,
    `cluster: ${explanation.cluster ?? '-'}`,
  ];
  if (explanation.service_entry) {
    const se = explanation.service_entry;
    lines.push(`ServiceEntry: ${se.namespace}/${se.name} (${se.host}, ${se.match} match)`);
  }
  lines.push('', 'steps:');
  for (const step of explanation.steps ?? []) {
    const refs = (step.refs ?? []).map((r) => `line ${r.line}`).join(', ');
    lines.push(`  [${step.outcome}] ${step.stage}: ${step.summary}${refs ? ` (${refs})` : ''}`);
  }
  for (const d of explanation.diagnostics ?? []) {
    lines.push(`${d.severity} ${d.code} at ${d.line ?? '-'}:${d.utf16_column ?? '-'}: ${d.message}`);
  }
  return lines.join('\n');
}

async function start() {
  const started = performance.now();
  const meshroute = await load();
  window.meshroute = meshroute;
  const response = await fetch('./pkg/examples.json');
  const examples = response.ok ? await response.json() : [];
  const example = examples.find((e) => e.name === DEFAULT_EXAMPLE) ?? examples[0];
  if (example) {
    show('example', `${example.name}: ${example.description}`);
    show('config', example.config);
    show('request', JSON.stringify(example.request, null, 2));
    show('result', describe(meshroute.explain(example.config, example.request)));
  } else {
    show('result', 'no examples found (run `make web`)');
  }
  document.body.dataset.ready = String(Math.round(performance.now() - started));
}

start().catch((error) => {
  show('result', `the playground could not start: ${error}`);
  document.body.dataset.ready = 'error';
});
