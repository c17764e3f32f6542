// @ts-check
// The shareable state in the URL fragment: `#v1.` followed by the state's JSON, compressed with
// raw DEFLATE (the browser's CompressionStream) and written in base64url. The fragment never
// leaves the browser (it is not part of any HTTP request), so sharing sends nothing anywhere.
// A fragment is untrusted input: it is size-limited while inflating, parsed as JSON, and only
// fields of the expected types are taken from it.

/** @typedef {import('./types/api').RequestDraft} RequestDraft */
/**
 * @typedef {object} State
 * @property {string} config the YAML in the editor
 * @property {RequestDraft} request the request and mesh settings, as the contract names them
 * @property {{ n: number, seed: number }} simulate the simulation's size and seed
 */

export const PREFIX = 'v1.';
/** Inflating stops past this many bytes: a link must not make the tab build a huge string. */
const MAX_INFLATED = 4 << 20;

/** @param {Uint8Array} bytes */
function toBase64Url(bytes) {
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '');
}

/** @param {string} text */
function fromBase64Url(text) {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) throw new Error('the link is not base64url');
  const binary = atob(text.replaceAll('-', '+').replaceAll('_', '/'));
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i += 1) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/**
 * Collects a stream into one buffer, refusing more than `limit` bytes.
 * @param {ReadableStream<Uint8Array>} stream
 * @param {number} limit
 */
async function collect(stream, limit) {
  const reader = stream.getReader();
  /** @type {Uint8Array[]} */
  const chunks = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.length;
    if (size > limit) {
      await reader.cancel();
      throw new Error('the shared state is too large');
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.length;
  }
  return bytes;
}

/**
 * The fragment (without `#`) for a state.
 * @param {State} state
 * @returns {Promise<string>}
 */
export async function encodeState(state) {
  const json = new TextEncoder().encode(JSON.stringify(state));
  const stream = new Blob([json]).stream().pipeThrough(new CompressionStream('deflate-raw'));
  return PREFIX + toBase64Url(await collect(stream, Infinity));
}

/**
 * @param {unknown} value
 * @returns {value is Record<string, unknown>}
 */
const isObject = (value) => value !== null && typeof value === 'object' && !Array.isArray(value);

/**
 * The state a fragment (with or without `#`) holds; throws with a sentence for people when it
 * holds none. Only known fields of the right types are kept; the form re-checks each value.
 * @param {string} fragment
 * @returns {Promise<State>}
 */
export async function decodeState(fragment) {
  const text = fragment.replace(/^#/, '');
  if (!text.startsWith(PREFIX)) throw new Error('the link holds no playground state');
  const compressed = fromBase64Url(text.slice(PREFIX.length));
  const stream = new Blob([compressed]).stream().pipeThrough(new DecompressionStream('deflate-raw'));
  let parsed;
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(await collect(stream, MAX_INFLATED)));
  } catch (why) {
    throw new Error(`the link's state cannot be read (${why instanceof Error ? why.message : why})`);
  }
  if (!isObject(parsed) || typeof parsed.config !== 'string' || !isObject(parsed.request)) {
    throw new Error('the link does not hold a configuration and a request');
  }
  const simulate = isObject(parsed.simulate) ? parsed.simulate : {};
  return {
    config: parsed.config,
    request: /** @type {RequestDraft} */ (parsed.request),
    simulate: {
      n: Number.isInteger(simulate.n) ? Number(simulate.n) : 1000,
      seed: Number.isInteger(simulate.seed) ? Number(simulate.seed) : 1,
    },
  };
}
