// Runs the shared fixture corpus through the playground's JS API in a real browser (Debian's
// chromium driven by playwright-core): every explain case (tests/cases/explain/**/*.yaml) through
// `window.meshroute.explain` (and `simulate` where the case asks), and every lint case
// (tests/cases/lint/**/*.yaml) through `window.meshroute.lint`, asserting the same facts as the
// Rust harnesses. Prints cargo's `test result:` line (summed by `make test`) and exits non-zero on
// any failure or when the run exceeds its time budget.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Results, loopbackOnly, startBrowser } from './harness.mjs';
import {
  checkSimulation,
  diagnosticExpect,
  lintExpectations,
  parseCaseDocument,
  splitCase,
  subsetDiff,
} from './cases.mjs';

const TIMEOUT_MS = Number(process.env.WEB_TEST_TIMEOUT_MS ?? 180_000);
const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const casesDir = join(repo, 'tests', 'cases');

const watchdog = setTimeout(() => {
  console.error(`browser corpus: still running after ${TIMEOUT_MS} ms; giving up`);
  process.exit(2);
}, TIMEOUT_MS);

function yamlFiles(dir) {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.yaml'))
    .map((entry) => join(entry.parentPath ?? entry.path, entry.name))
    .sort();
}

const results = new Results();
const record = (name, problem) => results.record(name, problem);

async function explainCase(page, file) {
  const name = relative(casesDir, file);
  const [config, caseText] = splitCase(readFileSync(file, 'utf8'));
  let kase;
  try {
    kase = parseCaseDocument(caseText);
  } catch (why) {
    return record(name, String(why.message ?? why));
  }
  const { explanation, simulation } = await page.evaluate(
    ([config, request, simulate]) => ({
      explanation: window.meshroute.explain(config, request),
      simulation: simulate ? window.meshroute.simulate(config, request, simulate.n, simulate.seed) : null,
    }),
    [config, kase.request, kase.simulate],
  );
  if (explanation.error) return record(name, `the request was refused: ${explanation.error}`);
  const diff = subsetDiff(kase.expect, explanation);
  if (diff) {
    return record(
      name,
      `explanation differs at ${diff.path}\nexpected: ${JSON.stringify(diff.expected)}\nactual:   ${JSON.stringify(diff.actual)}`,
    );
  }
  const codes = (explanation.diagnostics ?? []).map((d) => d.code);
  const missing = kase.expectDiagnostics.filter((code) => !codes.includes(code));
  if (missing.length) return record(name, `diagnostics ${missing} expected among [${codes}]`);
  const positions = [...(explanation.diagnostics ?? []), ...(explanation.steps ?? []).flatMap((s) => s.refs ?? [])];
  const badColumn = positions.find((p) => p.line != null && !(Number.isInteger(p.utf16_column) && p.utf16_column >= p.column));
  if (badColumn) return record(name, `a position lacks a sound utf16_column: ${JSON.stringify(badColumn)}`);
  if (kase.simulate) {
    if (simulation.error) return record(name, `simulate refused the request: ${simulation.error}`);
    const problem = checkSimulation(kase.simulate, simulation);
    if (problem) return record(name, `${problem}\n${JSON.stringify(simulation)}`);
  }
  record(name, null);
}

const skipped = [];

async function lintCase(page, file) {
  const name = relative(casesDir, file);
  let text;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(readFileSync(file));
  } catch {
    // A JavaScript string cannot hold invalid UTF-8: the page never sees such bytes (the editor
    // and every text the page reads are strings), so these input cases are for the CLI only.
    skipped.push(name);
    console.log(`skip ${name}: not valid UTF-8, which no browser string can carry`);
    return;
  }
  let expected;
  try {
    expected = lintExpectations(text);
  } catch (why) {
    return record(name, String(why.message ?? why));
  }
  const report = await page.evaluate((text) => window.meshroute.lint(text), text);
  if (report.error) return record(name, `lint refused the input: ${report.error}`);
  const actual = report.diagnostics.map(diagnosticExpect).sort();
  if (JSON.stringify(actual) !== JSON.stringify(expected)) {
    return record(name, `diagnostics differ\nexpected:\n${expected.join('\n')}\nactual:\n${actual.join('\n')}`);
  }
  const counts = { errors: 0, warnings: 0, infos: 0 };
  for (const d of report.diagnostics) counts[`${d.severity}s`] += 1;
  if (JSON.stringify(counts) !== JSON.stringify(report.summary)) {
    return record(name, `summary ${JSON.stringify(report.summary)} does not count ${JSON.stringify(counts)}`);
  }
  record(name, null);
}

let browser;
let exitCode = 1;
try {
  browser = await startBrowser();
  const { url } = browser;
  const page = await browser.browser.newPage();
  const pageErrors = [];
  page.on('pageerror', (error) => pageErrors.push(String(error)));
  page.on('console', (message) => {
    if (message.type() === 'error') pageErrors.push(`console: ${message.text()}`);
  });
  const blocked = [];
  await loopbackOnly(page, url, blocked);
  await page.goto(url);
  await page.waitForFunction(() => document.body.dataset.ready, null, { timeout: 30_000 });
  const ready = await page.evaluate(() => document.body.dataset.ready);
  const shown = await page.textContent('#outcome').catch(() => null);
  record('page: loads and explains the default example', ready === 'error' || shown !== 'routed' ? `page not ready (${ready}): ${shown}` : null);
  console.log(`page ready in ${ready} ms (wasm instantiated, default example explained)`);

  const explainFiles = yamlFiles(join(casesDir, 'explain'));
  const lintFiles = yamlFiles(join(casesDir, 'lint'));
  for (const file of explainFiles) await explainCase(page, file);
  for (const file of lintFiles) await lintCase(page, file);

  const refused = await page.evaluate(() => window.meshroute.lint('#'.repeat((1 << 20) + 1)));
  record('page: refuses a configuration over 1 MiB', refused.error ? null : 'not refused');
  const badRequest = await page.evaluate(() => window.meshroute.explain('', '{not json'));
  record('page: a bad request JSON is an error object', badRequest.error ? null : JSON.stringify(badRequest));
  record('page: no page errors', pageErrors.length ? pageErrors.join('\n') : null);
  record('page: no request left the loopback server', blocked.length ? blocked.join('\n') : null);
  console.log(`${explainFiles.length} explain cases, ${lintFiles.length} lint cases`);
  exitCode = 0;
} catch (error) {
  record('browser run', String(error?.stack ?? error));
} finally {
  await browser?.close();
  clearTimeout(watchdog);
}

results.ignored = skipped.length;
process.exit(results.summary('browser corpus') || exitCode);
