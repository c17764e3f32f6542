// @ts-check
// The playground's JS API over the wasm module: lint(yamlText), explain(yamlText, request),
// simulate(yamlText, request, n, seed), each returning the contract's JSON as a plain object
// (crates/wire/CONTRACT.md; lint as `meshroute lint --format json`), or `{error: "..."}`.
// Types: src/types/api.d.ts over the schema-generated src/types/contract.d.ts.
//
// The Rust side never panics by construction and turns every refusal into `{error}`. Should a
// trap still escape the module (a panic aborts on wasm32-unknown-unknown), it is caught here too:
// the instance is then no longer trusted and every later call answers with the same error.
import init, * as wasm from '../pkg/meshroute_wasm.js';

/** @typedef {import('./types/api').MeshrouteApi} MeshrouteApi */
/** @typedef {import('./types/api').RequestDraft} RequestDraft */

/** @type {string | null} */
let broken = null;

/**
 * @param {(...args: any[]) => string} fn
 * @param {...unknown} args
 * @returns {any}
 */
function call(fn, ...args) {
  if (broken) return { error: broken };
  try {
    return JSON.parse(fn(...args));
  } catch (trap) {
    broken = `meshroute stopped on an internal error (${trap}); reload the page`;
    return { error: broken };
  }
}

/** @param {RequestDraft | string | undefined} request */
const requestText = (request) => (typeof request === 'string' ? request : JSON.stringify(request ?? {}));

/**
 * Loads and instantiates the wasm module; resolves to the API.
 * @returns {Promise<MeshrouteApi>}
 */
export async function load() {
  const compiled = await (window.meshrouteModule ?? null);
  await init(compiled ? { module_or_path: compiled } : undefined);
  return Object.freeze({
    lint: (/** @type {string} */ yamlText) => call(wasm.lint, String(yamlText)),
    explain: (/** @type {string} */ yamlText, /** @type {RequestDraft | string} */ request) =>
      call(wasm.explain, String(yamlText), requestText(request)),
    simulate: (
      /** @type {string} */ yamlText,
      /** @type {RequestDraft | string} */ request,
      n = 1000,
      seed = 1,
    ) => call(wasm.simulate, String(yamlText), requestText(request), Number(n), Number(seed)),
  });
}
