// The playground's budgets (`make bench-web`), each number printed against its limit:
//
// - sizes, gzipped (zlib level 6, a common server default): the wasm module (under 300 KB), and
//   everything the page loads to run, JS + wasm + CSS (under 600 KB); HTML, examples and icon
//   are reported beside them;
// - page ready: navigation start to the wasm instantiated and the first explanation painted
//   (`body[data-ready]`), median of fresh loads in headless chromium (under 1 s);
// - re-explanation after a keystroke on a generated 200-resource configuration, typing into a
//   resource's name in the middle of it: from the change the keystroke makes in the editor to
//   the explanation in the DOM, median of many keystrokes
//   (under 16 ms, a frame). CodeMirror applies typed text at the next animation frame, and the
//   explanation follows in the same task, so this is what re-explaining adds to the keystroke's
//   frame; the time from the key event itself is reported beside it.
//
// KB here is 1,000 bytes. Every budget exits non-zero when missed. Writes the numbers to
// target/web-budgets.json.
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deflateRawSync, gzipSync } from 'node:zlib';
import { CHROMIUM_ARGS, CHROMIUM } from '../tests/harness.mjs';
import { generatedConfig } from './generated-config.mjs';
import { serve } from './serve.mjs';
import { chromium } from 'playwright-core';

const web = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(web, 'dist');
const LOADS = Number(process.env.BUDGET_LOADS ?? 7);
const KEYSTROKES = Number(process.env.BUDGET_KEYSTROKES ?? 40);

const kb = (bytes) => bytes / 1000;
const gz = (file) => gzipSync(readFileSync(join(dist, file)), { level: 6 }).length;
const raw = (file) => readFileSync(join(dist, file)).length;
const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};
const percentile = (values, p) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor((p / 100) * values.length))];

/** @type {{ name: string, value: number, unit: string, limit: number | null, fails: boolean }[]} */
const rows = [];
function report(name, value, unit, limit) {
  const within = limit === null || value <= limit;
  rows.push({ name, value, unit, limit, fails: !within });
  const verdict = limit === null ? '' : within ? 'ok' : 'OVER BUDGET';
  const shown = unit === 'KB' ? value.toFixed(1) : value.toFixed(value < 100 ? 2 : 0);
  const budget = limit === null ? '' : `budget ${limit} ${unit}`;
  console.log(`${name.padEnd(58)} ${`${shown} ${unit}`.padStart(12)}   ${budget.padEnd(18)} ${verdict}`);
}

function fragmentOf(state) {
  return `#v1.${deflateRawSync(Buffer.from(JSON.stringify(state))).toString('base64url')}`;
}

console.log('meshroute playground budgets (web/dist, headless chromium)\n');

const wasm = gz('meshroute_wasm_bg.wasm');
report('wasm module, gzipped', kb(wasm), 'KB', 300);
const scripts = gz('app.js') + gz('boot.js') + gz('style.css');
report('page JS + wasm + CSS, gzipped', kb(scripts + wasm), 'KB', 600);
report('  JS + CSS without the wasm module, gzipped', kb(scripts), 'KB', null);
report('    app.js + boot.js (ours, CodeMirror, the wasm glue), gzipped', kb(gz('app.js') + gz('boot.js')), 'KB', null);
report('    style.css, gzipped', kb(gz('style.css')), 'KB', null);
report('  wasm module, raw', kb(raw('meshroute_wasm_bg.wasm')), 'KB', null);
report('also loaded: index.html + examples.json + favicon.svg, gzipped', kb(gz('index.html') + gz('examples.json') + gz('favicon.svg')), 'KB', null);

const { server, url } = await serve(0);
const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
try {
  const ready = [];
  const phases = [];
  for (let i = 0; i < LOADS; i += 1) {
    // A fresh context each time: nothing cached, as a first visit.
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    await page.goto(url);
    await page.waitForFunction(() => document.body.dataset.ready, null, { timeout: 30_000 });
    ready.push(Number(await page.evaluate(() => document.body.dataset.ready)));
    phases.push(await page.evaluate(() => {
      const at = (name) => performance.getEntriesByName(name)[0];
      const resource = (file) => performance.getEntriesByType('resource').find((r) => r.name.endsWith(file));
      return {
        'HTML received': performance.getEntriesByType('navigation')[0].responseEnd,
        'app.js received': resource('app.js')?.responseEnd,
        'wasm received': resource('.wasm')?.responseEnd,
        'engine instantiated': at('meshroute:engine')?.startTime,
        'editor and form built': at('meshroute:page')?.startTime,
        'first explanation in the DOM': at('meshroute:explained')?.startTime,
      };
    }));
    await context.close();
  }
  report(`page ready, median of ${LOADS} fresh loads (each: ${ready.join(', ')} ms)`, median(ready), 'ms', 1000);
  for (const phase of Object.keys(phases[0])) {
    report(`  ${phase}, median since navigation`, median(phases.map((p) => p[phase] ?? NaN)), 'ms', null);
  }

  const config = generatedConfig();
  const resources = config.split('\n---\n').length;
  const request = { from: 'team-2', host: 'api-42.example.com', path: '/v1/orders', headers: { 'x-user': 'u-7' } };
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  await page.goto(url + fragmentOf({ config, request, simulate: { n: 1000, seed: 1 } }));
  await page.waitForFunction(() => document.body.dataset.ready, null, { timeout: 30_000 });
  const outcome = await page.textContent('#outcome');
  if (outcome !== 'routed') throw new Error(`the generated configuration is not routed: ${await page.textContent('#status')}`);
  const simulated = () => page.evaluate(() => Number(document.body.dataset.simulated ?? 0));
  await page.waitForFunction(() => Number(document.body.dataset.simulated ?? 0) > 0);
  // The cursor at the end of a `name:` line in the middle of the configuration: each key renames
  // one resource, so that document is read again and everything across documents (lints, index,
  // explanation) is built again, as for any edit inside a resource.
  await page.locator('#editor .cm-scroller').evaluate((scroller) => { scroller.scrollTop = scroller.scrollHeight / 2; });
  await page.waitForTimeout(100);
  const nameLine = page.locator('#editor .cm-line', { hasText: /^ {2}name: api-\d+$/ }).first();
  const renamed = `${(await nameLine.textContent()).trim()}x`;
  await nameLine.click();
  await page.keyboard.press('End');
  const first = (await page.evaluate(() => window.playground.timings().length));
  for (let i = 0; i < KEYSTROKES; i += 1) {
    const explained = await page.evaluate(() => Number(document.body.dataset.explained));
    const before = await simulated();
    await page.keyboard.press('x');
    await page.waitForFunction((n) => Number(document.body.dataset.explained) > n, explained);
    // Let the simulation that follows each explanation finish, so that it does not delay the
    // next keystroke's input event.
    await page.waitForFunction((n) => Number(document.body.dataset.simulated ?? 0) > n, before);
  }
  await page.waitForTimeout(100);
  const timings = (await page.evaluate(() => window.playground.timings())).slice(first).filter((t) => t.input !== null);
  const typed = await page.evaluate(() => window.playground.state().config);
  const where = typed.indexOf(renamed);
  if (where < typed.length / 4 || where > (typed.length * 3) / 4) {
    throw new Error(`the keystrokes did not land in the middle of the configuration (${renamed} at ${where} of ${typed.length})`);
  }
  // The engine calls alone. The binding keeps a workspace: a call on the text the previous call
  // read reuses its mesh, and an edit reads again only the documents it changed; so each is
  // timed on the case it stands for, alternating texts where the cache must not answer.
  const costs = await page.evaluate(([config, request]) => {
    const api = window.meshroute;
    const edited = [config, config.replace('\n', 'x\n')];
    // Every document differs from the other text: a paste, or the first explanation.
    const pasted = [config, config.replaceAll('team-', 'tean-')];
    const time = (fn, prepare = () => {}) => {
      const runs = [];
      for (let i = 0; i < 16; i += 1) {
        prepare(i);
        const started = performance.now();
        fn(i);
        runs.push(performance.now() - started);
      }
      return runs.sort((a, b) => a - b)[8];
    };
    const explained = (i) => api.explain(edited[i % 2], request);
    return {
      edit: time((i) => api.explain(edited[i % 2], request)),
      paste: time((i) => api.explain(pasted[i % 2], request)),
      lint: time((i) => api.lint(edited[i % 2]), explained),
      simulate: time((i) => api.simulate(edited[i % 2], request, 1000, 1), explained),
    };
  }, [config, request]);
  await context.close();

  const input = timings.map((t) => t.input);
  const frames = timings.map((t) => t.frame).filter((f) => f !== null);
  console.log(`\nre-explanation on a generated configuration of ${resources - 1} resources (${(config.length / 1000).toFixed(0)} KB, ${timings.length} keystrokes):`);
  report("keystroke: the editor's change to the explanation in the DOM, median", median(timings.map((t) => t.change)), 'ms', 16);
  report('  the same, 95th percentile', percentile(timings.map((t) => t.change), 95), 'ms', null);
  report('  explain + render work, median', median(timings.map((t) => t.work)), 'ms', null);
  report('    of which explain() in the page, median', median(timings.map((t) => t.explain)), 'ms', null);
  report('keystroke: the key event to the explanation in the DOM, median', median(input), 'ms', null);
  report('keystroke: the key event to the next frame after it, median', median(frames), 'ms', null);
  report('  explain() alone after a one-character edit, median', costs.edit, 'ms', null);
  report('  explain() alone after a paste (every document new), median', costs.paste, 'ms', null);
  report('  lint() alone, median (after explain() of the same text)', costs.lint, 'ms', null);
  report('  simulate() of 1,000 requests, median (after explain() of the same text)', costs.simulate, 'ms', null);
} finally {
  await browser.close();
  server.close();
}

mkdirSync(join(web, '..', 'target'), { recursive: true });
writeFileSync(join(web, '..', 'target', 'web-budgets.json'), `${JSON.stringify(rows, null, 2)}\n`);
const over = rows.filter((r) => r.fails);
console.log(over.length ? `\n${over.length} budget(s) missed` : '\nall budgets met');
process.exit(over.length ? 1 : 0);
