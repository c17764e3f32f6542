// The playground's JS API (src/meshroute.js, `window.meshroute`) as TypeScript types, kept by hand
// over the generated contract types: what the browser binding adds to the contract (UTF-16
// columns), the lint report (no schema: `meshroute lint --format json`), and refusals.
import type { Diagnostic, Explanation, Ref, Request, Simulation, Step } from './contract';

export type { Request, Simulation };

/** The binding adds the column in UTF-16 code units (as JS strings and editors count) beside `column`; null when `column` is. */
export type BrowserDiagnostic = Diagnostic & { utf16_column: number | null };
export type BrowserRef = Ref & { utf16_column: number | null };
export type BrowserStep = Omit<Step, 'refs'> & { refs: BrowserRef[] };
export type BrowserExplanation = Omit<Explanation, 'steps' | 'diagnostics'> & {
  steps: BrowserStep[];
  diagnostics: BrowserDiagnostic[];
};

/** What `lint` returns, as `meshroute lint --format json` prints it. */
export interface LintReport {
  diagnostics: BrowserDiagnostic[];
  summary: { errors: number; warnings: number; infos: number };
}

/** A refused input (over 1 MiB, 5,000 documents or more), a refused request, or an internal error. */
export interface Refusal {
  error: string;
}

/** A request as a form builds it: every field optional; the engine refuses one without `host` or `dest_ip`. */
export type RequestDraft = Partial<Request>;

export interface MeshrouteApi {
  lint(yamlText: string): LintReport | Refusal;
  explain(yamlText: string, request: RequestDraft | string): BrowserExplanation | Refusal;
  simulate(yamlText: string, request: RequestDraft | string, n?: number, seed?: number): Simulation | Refusal;
}
