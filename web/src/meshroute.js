// The playground's JS API over the wasm module: lint(yamlText), explain(yamlText, request),
// simulate(yamlText, request, n, seed), each returning the contract's JSON as a plain object
// (crates/wire/CONTRACT.md; lint as `meshroute lint --format json`), or `{error: "..."}`.
//
// The Rust side never panics by construction and turns every refusal into `{error}`. Should a
// trap still escape the module (a panic aborts on wasm32-unknown-unknown), it is caught here too:
// the instance is then no longer trusted and every later call answers with the same error.
import init, * as wasm from '../pkg/meshroute_wasm.js';

let broken = null;

function call(fn, ...args) {
  if (broken) return { error: broken };
  try {
    return JSON.parse(fn(...args));
  } catch (trap) {
    broken = `meshroute stopped on an internal error (${trap}); reload the page`;
    return { error: broken };
  }
}

const requestText = (request) => (typeof request === 'string' ? request : JSON.stringify(request ?? {}));

/** Loads and instantiates the wasm module; resolves to the API. */
export async function load() {
  await init();
  return Object.freeze({
    lint: (yamlText) => call(wasm.lint, String(yamlText)),
    explain: (yamlText, request) => call(wasm.explain, String(yamlText), requestText(request)),
    simulate: (yamlText, request, n = 1000, seed = 1) =>
      call(wasm.simulate, String(yamlText), requestText(request), Number(n), Number(seed)),
  });
}
