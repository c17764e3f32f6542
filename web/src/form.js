// @ts-check
// The request form: every field of the contract's request object (crates/wire/CONTRACT.md,
// "Request"), the mesh settings and the DNS table, read into a request object and set from one.
// Empty fields are left out of the request so that the engine applies Istio's defaults, which
// the placeholders show.
import { byId, h } from './dom.js';

/** @typedef {import('./types/api').RequestDraft} RequestDraft */
/** @typedef {[string, string]} Pair */

const PROTOCOLS = ['http', 'http2', 'grpc', 'https', 'tls', 'tcp'];
const POLICIES = ['ALLOW_ANY', 'REGISTRY_ONLY'];

/**
 * A list of name/value rows with add and remove buttons: labels, headers, cookies, query, DNS.
 * @param {HTMLElement} container
 * @param {{ noun: string, keyLabel: string, valueLabel: string, keyPlaceholder: string, valuePlaceholder: string }} options
 * @param {() => void} changed called when a row is added or removed (typing fires `input` itself)
 */
function pairEditor(container, options, changed) {
  const rows = h('div', { class: 'rows' });
  const add = h('button', { type: 'button', class: 'add' }, `Add ${options.noun}`);
  container.replaceChildren(rows, add);

  /** @param {string} key @param {string} value */
  function addRow(key, value) {
    const keyInput = h('input', {
      'aria-label': options.keyLabel,
      placeholder: options.keyPlaceholder,
      spellcheck: 'false',
    });
    const valueInput = h('input', {
      'aria-label': options.valueLabel,
      placeholder: options.valuePlaceholder,
      spellcheck: 'false',
    });
    keyInput.value = key;
    valueInput.value = value;
    const remove = h('button', { type: 'button', class: 'remove', 'aria-label': `Remove this ${options.noun}` }, '×');
    const row = h('div', { class: 'pair' }, keyInput, valueInput, remove);
    remove.addEventListener('click', () => {
      const next = row.nextElementSibling ?? row.previousElementSibling;
      row.remove();
      // Keep keyboard focus in the list rather than dropping it on the page body.
      (next?.querySelector('input') ?? add).focus();
      changed();
    });
    rows.append(row);
    return keyInput;
  }

  add.addEventListener('click', () => {
    addRow('', '').focus();
    changed();
  });

  return {
    /** @returns {Pair[]} rows with a name, in order */
    get() {
      return [...rows.querySelectorAll('.pair')].flatMap((row) => {
        const [key, value] = [...row.querySelectorAll('input')].map((input) => input.value);
        return key.trim() ? [/** @type {Pair} */ ([key.trim(), value])] : [];
      });
    },
    /** @param {Pair[]} pairs */
    set(pairs) {
      rows.replaceChildren();
      for (const [key, value] of pairs) addRow(key, value);
    },
  };
}

/**
 * @param {unknown} value
 * @returns {value is Record<string, unknown>}
 */
const isObject = (value) => value !== null && typeof value === 'object' && !Array.isArray(value);

/**
 * The string entries of a map from an untrusted request (a shared link): others are dropped.
 * @param {unknown} map
 * @returns {Pair[]}
 */
function stringPairs(map) {
  if (!isObject(map)) return [];
  return Object.entries(map).flatMap(([key, value]) => (typeof value === 'string' ? [/** @type {Pair} */ ([key, value])] : []));
}

/** @param {Pair[]} pairs */
const toMap = (pairs) => Object.fromEntries(pairs);

/**
 * Binds the form in the page; `onChange` runs after every edit.
 * @param {() => void} onChange
 */
export function requestForm(onChange) {
  const form = byId('request-form', HTMLFormElement);
  const text = {
    from: byId('f-from', HTMLInputElement),
    host: byId('f-host', HTMLInputElement),
    method: byId('f-method', HTMLInputElement),
    path: byId('f-path', HTMLInputElement),
    source_ip: byId('f-source-ip', HTMLInputElement),
    dest_ip: byId('f-dest-ip', HTMLInputElement),
  };
  const port = byId('f-port', HTMLInputElement);
  const protocol = byId('f-protocol', HTMLSelectElement);
  const outbound = byId('f-outbound', HTMLSelectElement);
  const dnsCapture = byId('f-dns-capture', HTMLInputElement);
  const moreRequest = byId('more-request', HTMLDetailsElement);
  const meshSettings = byId('mesh-settings', HTMLDetailsElement);

  /** @param {string} id @param {string} noun @param {[string, string, string, string]} words */
  const pairs = (id, noun, [keyLabel, valueLabel, keyPlaceholder, valuePlaceholder]) =>
    pairEditor(byId(id, HTMLElement), { noun, keyLabel, valueLabel, keyPlaceholder, valuePlaceholder }, onChange);
  const labels = pairs('f-labels', 'label', ['Label name', 'Label value', 'app', 'checkout']);
  const headers = pairs('f-headers', 'header', ['Header name', 'Header value', 'x-user', 'u42']);
  const cookies = pairs('f-cookies', 'cookie', ['Cookie name', 'Cookie value', 'session', 'abc']);
  const query = pairs('f-query', 'query parameter', ['Parameter name', 'Parameter value', 'user', 'u42']);
  const dns = pairs('f-dns', 'DNS answer', ['Host name', 'IP addresses, comma-separated', 'api.example.com', '198.51.100.7, 198.51.100.8']);

  form.addEventListener('input', onChange);
  form.addEventListener('change', onChange);
  form.addEventListener('submit', (event) => event.preventDefault());

  /** Counts in the folded sections' summaries, so that set fields are never hidden silently. */
  function summarise() {
    const more = labels.get().length + headers.get().length + cookies.get().length + query.get().length +
      (text.source_ip.value ? 1 : 0) + (text.dest_ip.value ? 1 : 0);
    const settings = (outbound.value ? 1 : 0) + (dnsCapture.checked ? 1 : 0);
    const mesh = settings + dns.get().length;
    byId('more-request-count', HTMLElement).textContent = more ? `(${more} set)` : '';
    byId('mesh-settings-count', HTMLElement).textContent = mesh ? `(${mesh} set)` : '';
    return { more, settings };
  }

  return {
    /**
     * The request object the form describes.
     * @returns {RequestDraft}
     */
    request() {
      /** @type {Record<string, unknown>} */
      const request = {};
      for (const [key, input] of Object.entries(text)) {
        const value = key === 'path' ? input.value : input.value.trim();
        if (value) request[key] = value;
      }
      if (port.value !== '') request.port = Number(port.value);
      request.protocol = protocol.value;
      if (labels.get().length) request.source_labels = toMap(labels.get());
      if (headers.get().length) {
        /** @type {Record<string, string | string[]>} */
        const map = {};
        for (const [name, value] of headers.get()) {
          const previous = map[name];
          // A repeated name sends the header once per value, as the contract's list does.
          map[name] = previous === undefined ? value : [previous, value].flat();
        }
        request.headers = map;
      }
      if (cookies.get().length) request.cookies = toMap(cookies.get());
      if (query.get().length) request.query = toMap(query.get());
      if (outbound.value) request.outbound_policy = outbound.value;
      if (dnsCapture.checked) request.dns_capture = true;
      if (dns.get().length) {
        request.dns = Object.fromEntries(
          dns.get().map(([host, ips]) => [host, ips.split(/[\s,]+/).filter(Boolean)]),
        );
      }
      summarise();
      return /** @type {RequestDraft} */ (request);
    },

    /**
     * Shows a request (from an example or a shared link); values of the wrong type are dropped.
     * @param {unknown} input
     */
    set(input) {
      const request = isObject(input) ? input : {};
      for (const [key, element] of Object.entries(text)) {
        const value = request[key];
        element.value = typeof value === 'string' ? value : '';
      }
      port.value = Number.isInteger(request.port) ? String(request.port) : '';
      protocol.value = PROTOCOLS.includes(String(request.protocol)) ? String(request.protocol) : 'http';
      outbound.value = POLICIES.includes(String(request.outbound_policy)) ? String(request.outbound_policy) : '';
      dnsCapture.checked = request.dns_capture === true;
      labels.set(stringPairs(request.source_labels));
      cookies.set(stringPairs(request.cookies));
      query.set(stringPairs(request.query));
      const headerMap = isObject(request.headers) ? request.headers : {};
      headers.set(
        Object.entries(headerMap).flatMap(([name, value]) => {
          const values = Array.isArray(value) ? value : [value];
          return values.filter((v) => typeof v === 'string').map((v) => /** @type {Pair} */ ([name, v]));
        }),
      );
      const dnsMap = isObject(request.dns) ? request.dns : {};
      dns.set(
        Object.entries(dnsMap).flatMap(([host, ips]) =>
          Array.isArray(ips) ? [/** @type {Pair} */ ([host, ips.filter((ip) => typeof ip === 'string').join(', ')])] : [],
        ),
      );
      const { more, settings } = summarise();
      // Unfold what shapes the request (a cookie, a header, a policy); DNS answers only feed
      // endpoint lists, and their count shows in the folded summary.
      moreRequest.open = more > 0;
      meshSettings.open = settings > 0;
    },

    /** Makes every control read-only (the embedded view). */
    disable() {
      for (const element of form.querySelectorAll('input, select, button')) {
        element.setAttribute('disabled', '');
      }
    },
  };
}
