// @ts-check
// Compile-time proof that the types tsc checks the page against are strict: every line after a
// `@ts-expect-error` must be a type error, or tsc fails on the unused directive. If the generated
// types loosened (an index signature, `any`, a lost null), this file would stop compiling.

/**
 * @param {import('../../src/types/api').BrowserExplanation} e
 * @param {import('../../src/types/contract').Simulation} s
 * @param {import('../../src/types/api').LintReport | import('../../src/types/api').Refusal} report
 */
export function strict(e, s, report) {
  /** @type {unknown[]} */
  const seen = [];
  // @ts-expect-error: a field the schema does not define
  seen.push(e.no_such_field);
  // @ts-expect-error: `service_entry` may be null
  seen.push(e.service_entry.name);
  // @ts-expect-error: `outcome` is an enum of four values
  seen.push(e.outcome === 'dropped');
  // @ts-expect-error: refs carry `line`, not `lineNumber`
  seen.push(e.steps[0].refs[0].lineNumber);
  // @ts-expect-error: `utf16_column` may be null
  seen.push(e.diagnostics[0].utf16_column.toFixed());
  // @ts-expect-error: a simulated destination's cluster may be null (a local reply)
  seen.push(s.destinations[0].cluster.length);
  // @ts-expect-error: a refusal has no diagnostics; narrow with `'error' in report` first
  seen.push(report.diagnostics);
  // @ts-expect-error: a request needs `host` or `dest_ip`
  /** @type {import('../../src/types/contract').Request} */ const request = { port: 80 };
  seen.push(request);
  // What the page reads is allowed.
  seen.push(e.hash?.endpoint?.address, e.steps[0].refs[0].utf16_column, s.sticky_clients);
  if (!('error' in report)) seen.push(report.summary.errors);
  return seen;
}
