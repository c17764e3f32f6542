// Reading the shared fixture corpus (tests/cases) in JavaScript: the same rules as the Rust
// harness (tests/src/explain_case.rs and tests/src/lib.rs), ported line for line where it matters.
import { parseAllDocuments } from 'yaml';

/** Splits a case file at its last line starting with `---`: [configuration, case document]. */
export function splitCase(text) {
  let offset = 0;
  let split = null;
  for (const line of text.split(/(?<=\n)/)) {
    if (line.startsWith('---')) split = [offset, offset + line.length];
    offset += line.length;
  }
  return split ? [text.slice(0, split[0]), text.slice(split[1])] : ['', text];
}

const CASE_KEYS = new Set(['kind', 'request', 'expect', 'expect_diagnostics', 'simulate']);
const SIMULATE_KEYS = new Set(['n', 'seed', 'shares', 'sticky']);

/** Parses the case document (YAML 1.2 core schema, as the Rust harness reads it). */
export function parseCaseDocument(text) {
  const docs = parseAllDocuments(text, { version: '1.2', schema: 'core', intAsBigInt: false });
  if (!Array.isArray(docs)) throw new Error('the case document is empty');
  const nonEmpty = docs.filter((d) => d.contents !== null);
  for (const doc of docs) {
    if (doc.errors.length) throw new Error(`case document: ${doc.errors[0].message}`);
  }
  if (nonEmpty.length === 0) throw new Error('the case document is empty');
  if (nonEmpty.length > 1) throw new Error('the case part holds more than one document');
  const obj = nonEmpty[0].toJS({ maxAliasCount: 100 });
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) {
    throw new Error('the case document is not a mapping');
  }
  if (obj.kind !== 'ExplainCase') throw new Error('the last document must have `kind: ExplainCase`');
  for (const key of Object.keys(obj)) {
    if (!CASE_KEYS.has(key)) throw new Error(`unknown key \`${key}\` in the case document`);
  }
  if (!('request' in obj)) throw new Error('the case has no `request`');
  if (obj.expect === null || typeof obj.expect !== 'object' || Array.isArray(obj.expect)) {
    throw new Error('`expect` must be a mapping');
  }
  const expectDiagnostics = obj.expect_diagnostics ?? [];
  if (!Array.isArray(expectDiagnostics) || expectDiagnostics.some((c) => typeof c !== 'string')) {
    throw new Error('`expect_diagnostics` must be a list of codes');
  }
  let simulate = null;
  if (obj.simulate !== undefined && obj.simulate !== null) {
    const s = obj.simulate;
    for (const key of Object.keys(s)) {
      if (!SIMULATE_KEYS.has(key)) throw new Error(`unknown key \`simulate.${key}\``);
    }
    if (!Number.isInteger(s.n) || s.n < 0) throw new Error('`simulate.n` must be a positive integer');
    if (!Number.isInteger(s.seed) || s.seed < 0) throw new Error('`simulate.seed` must be an integer');
    if (s.sticky !== undefined && s.sticky !== null && typeof s.sticky !== 'boolean') {
      throw new Error('`simulate.sticky` must be a boolean');
    }
    simulate = { n: s.n, seed: s.seed, shares: s.shares ?? {}, sticky: s.sticky ?? null };
  }
  return { request: obj.request, expect: obj.expect, expectDiagnostics, simulate };
}

/**
 * The first place where `actual` does not contain `expected`: {path, expected, actual}, or null.
 * Objects match when every expected key is present with a matching value; lists must have the
 * same length and match element by element; numbers compare numerically (relative 1e-6).
 */
export function subsetDiff(expected, actual, path = '$') {
  const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);
  if (isObject(expected) && isObject(actual)) {
    for (const [key, value] of Object.entries(expected)) {
      const child = `${path}.${key}`;
      if (!Object.hasOwn(actual, key)) return { path: child, expected: value, actual: '<absent>' };
      const diff = subsetDiff(value, actual[key], child);
      if (diff) return diff;
    }
    return null;
  }
  if (Array.isArray(expected) && Array.isArray(actual)) {
    if (expected.length !== actual.length) {
      return {
        path: `${path} (length ${expected.length} expected, ${actual.length} actual)`,
        expected,
        actual,
      };
    }
    for (let i = 0; i < expected.length; i++) {
      const diff = subsetDiff(expected[i], actual[i], `${path}[${i}]`);
      if (diff) return diff;
    }
    return null;
  }
  if (typeof expected === 'number' && typeof actual === 'number') {
    const close = Math.abs(expected - actual) <= 1e-6 * Math.max(Math.abs(expected), 1);
    return close ? null : { path, expected, actual };
  }
  return JSON.stringify(expected) === JSON.stringify(actual) ? null : { path, expected, actual };
}

/** How far a simulated share may stray from the expected one. */
export const SHARE_TOLERANCE = 0.05;

/** Checks a simulation against the case's `simulate` block; returns the problem or null. */
export function checkSimulation(expect, result) {
  const total = typeof result.n === 'number' ? result.n : expect.n;
  const counts = (result.destinations ?? []).filter(
    (d) => typeof d.cluster === 'string' && typeof d.count === 'number',
  );
  for (const [cluster, share] of Object.entries(expect.shares)) {
    const count = counts.filter((d) => d.cluster === cluster).reduce((sum, d) => sum + d.count, 0);
    const got = total > 0 ? count / total : 0;
    if (Math.abs(got - share) > SHARE_TOLERANCE) {
      return `simulate: cluster \`${cluster}\` got ${got.toFixed(3)} of the requests, expected ${share} ± ${SHARE_TOLERANCE}`;
    }
  }
  if (expect.sticky !== null) {
    const { clients, sticky_clients: sticky } = result;
    if (typeof clients !== 'number' || typeof sticky !== 'number') {
      return 'simulate: the result lacks `clients` or `sticky_clients`';
    }
    if ((sticky === clients) !== expect.sticky) {
      return `simulate: ${sticky} of ${clients} callers stayed on one endpoint, expected ${expect.sticky ? 'all' : 'not all'}`;
    }
  }
  return null;
}

/** Every `# expect: severity code path @ line:col` line of a lint case, rendered and sorted. */
export function lintExpectations(text) {
  const out = [];
  text.split('\n').forEach((line, index) => {
    const rest = line.trim().startsWith('# expect:') ? line.trim().slice('# expect:'.length) : null;
    if (rest === null) return;
    const at = rest.lastIndexOf(' @ ');
    const words = (at < 0 ? '' : rest.slice(0, at)).split(/\s+/).filter(Boolean);
    const position = at < 0 ? null : rest.slice(at + 3).trim().match(/^(\d+):(\d+)$/);
    if (words.length < 3 || !position) {
      throw new Error(`line ${index + 1}: malformed expectation \`${line.trim()}\``);
    }
    const [severity, code, ...path] = words;
    out.push(renderExpect({ severity, code, path: path.join(' '), line: +position[1], column: +position[2] }));
  });
  return out.sort();
}

/** A diagnostic of `lint`'s JSON reduced to what a case pins, in the `# expect:` form. */
export function diagnosticExpect(d) {
  return renderExpect({
    severity: d.severity,
    code: d.code,
    path: d.path ?? '-',
    line: d.line ?? 0,
    column: d.column ?? 0,
  });
}

function renderExpect({ severity, code, path, line, column }) {
  return `# expect: ${severity} ${code} ${path} @ ${line}:${column}`;
}
