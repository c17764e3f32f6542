// @ts-check
// The path diagram: app → sidecar → listener → ServiceEntry → VirtualService route → destinations
// (subsets, with their weights on the edges) → endpoints, as an SVG built with createElementNS
// and text nodes, with the path this request took highlighted.
import { fill, svg } from './dom.js';

/** @typedef {import('./types/api').BrowserExplanation} BrowserExplanation */
/** @typedef {import('./types/api').RequestDraft} RequestDraft */
/** @typedef {import('./types/contract').Simulation} Simulation */
/**
 * @typedef {object} Box
 * @property {string} label small heading: what the node is
 * @property {string} main
 * @property {string} [detail]
 * @property {boolean} taken on this request's path
 * @property {boolean} [fail] where the request stopped
 * @property {boolean} [muted] a stage that did not apply
 * @property {string} [title] the full text, for the tooltip
 */

const NODE_W = 150;
const NODE_H = 58;
const GAP_X = 34;
const GAP_Y = 12;
const PAD = 12;
const COLUMNS = 7;
const MAX_ENDPOINTS = 5;

/**
 * Shortens text to `max` characters (SVG text does not wrap); the node's tooltip keeps it whole.
 * @param {string} text
 * @param {number} max
 */
function fit(text, max) {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** @param {{ address: string, port: number | null }} endpoint */
const address = (endpoint) => `${endpoint.address}${endpoint.port === null ? '' : `:${endpoint.port}`}`;

/**
 * @param {Box} box
 * @param {number} x
 * @param {number} y
 */
function node(box, x, y) {
  const classes = ['node', box.taken ? 'taken' : '', box.fail ? 'fail' : '', box.muted ? 'muted' : ''].filter(Boolean);
  return svg(
    'g',
    { class: classes.join(' '), transform: `translate(${x} ${y})` },
    svg('title', {}, box.title ?? [box.label, box.main, box.detail].filter(Boolean).join('\n')),
    svg('rect', { width: NODE_W, height: NODE_H, rx: 6 }),
    svg('text', { class: 'label', x: 10, y: 16 }, fit(box.label, 26)),
    svg('text', { class: 'main', x: 10, y: 34 }, fit(box.main, 18)),
    box.detail ? svg('text', { class: 'detail', x: 10, y: 50 }, fit(box.detail, 22)) : null,
  );
}

/**
 * @param {{ x: number, y: number }} from right-middle of the source node
 * @param {{ x: number, y: number }} to left-middle of the target node
 * @param {boolean} taken
 * @param {string} [label]
 */
function edge(from, to, taken, label) {
  const mid = (from.x + to.x) / 2;
  return svg(
    'g',
    { class: `edge${taken ? ' taken' : ''}` },
    svg('path', {
      d: `M${from.x} ${from.y} C${mid} ${from.y} ${mid} ${to.y} ${to.x - 4} ${to.y}`,
      'marker-end': `url(#${taken ? 'arrow-taken' : 'arrow'})`,
    }),
    label ? svg('text', { class: 'weight', x: to.x - 6, y: to.y - 6, 'text-anchor': 'end' }, label) : null,
  );
}

/**
 * The nodes of the column after the route: the route's destinations, or what stands for them
 * when the request has none (passthrough, blackhole, a local reply).
 * @param {BrowserExplanation} e
 * @returns {{ box: Box, cluster: string | null, percent: number | null }[]}
 */
function destinationBoxes(e) {
  if (e.destinations.length) {
    return e.destinations.map((d) => {
      const taken = d.cluster === e.cluster;
      const missing = d.exists === false || (taken && !e.cluster_exists);
      return {
        cluster: d.cluster,
        percent: e.destinations.length > 1 ? d.percent : null,
        box: {
          label: d.subset ? 'subset' : 'destination',
          main: d.subset ?? d.host,
          detail: missing ? 'cluster missing: 503 NC' : `${d.host}${d.port === null ? '' : `:${d.port}`}`,
          title: d.cluster,
          taken,
          fail: missing,
        },
      };
    });
  }
  const status = e.http_status ? `${e.http_status}${e.response_flag ? ` ${e.response_flag}` : ''}` : '';
  if (e.outcome === 'local_reply' || (e.outcome === 'blackhole' && !e.cluster)) {
    return [{
      cluster: null,
      percent: null,
      box: { label: 'local reply', main: status || 'connection closed', detail: e.outcome === 'blackhole' ? 'blocked: REGISTRY_ONLY' : 'Envoy answers itself', taken: true, fail: true },
    }];
  }
  return [{
    cluster: e.cluster,
    percent: null,
    box: {
      label: 'cluster',
      main: e.cluster ?? 'none',
      detail: e.outcome === 'passthrough' ? 'original destination' : e.outcome === 'blackhole' ? 'dropped' : e.envoy_cluster_type ?? '',
      taken: true,
      fail: e.outcome === 'blackhole',
    },
  }];
}

/**
 * The route column when no VirtualService governs the host: Istio's default route, or no route
 * at all when no virtual host took the request (REGISTRY_ONLY's block_all, a 404) or it never
 * reached HTTP routing.
 * @param {BrowserExplanation} e
 * @returns {Box}
 */
function routeWithoutVirtualService(e) {
  const virtualHost = e.steps.find((s) => s.stage === 'virtual_host');
  if (virtualHost?.outcome === 'fail') {
    return { label: 'virtual host', main: 'none matched', detail: e.http_status ? `answers ${e.http_status}` : '', taken: true, fail: true };
  }
  if (!e.service_entry) return { label: 'route', main: 'none', detail: 'no registered host', taken: true, muted: true };
  return { label: 'route', main: 'default route', detail: 'no VirtualService', taken: true, muted: true };
}

/**
 * Renders the diagram of an explanation into `container`. The simulation, when it is for the same
 * state, lists endpoints of the other destinations, which the explanation does not carry.
 * @param {HTMLElement} container
 * @param {BrowserExplanation} e
 * @param {RequestDraft} request
 * @param {Simulation | null} simulation
 */
export function renderDiagram(container, e, request, simulation) {
  const failedStages = new Set(e.steps.filter((s) => s.outcome === 'fail').map((s) => s.stage));
  const protocol = request.protocol ?? 'http';
  const port = request.port ?? (protocol === 'tls' || protocol === 'https' ? 443 : protocol === 'tcp' ? null : 80);
  const se = e.service_entry;
  const vs = e.virtual_service;
  const labels = Object.entries(request.source_labels ?? {}).map(([k, v]) => `${k}=${v}`).join(', ');

  /** @type {Box[]} */
  const chain = [
    { label: 'app', main: `namespace ${request.from || 'default'}`, detail: labels || `IP ${request.source_ip || '10.0.0.1'}`, taken: true },
    {
      label: `sidecar: ${protocol}`,
      main: request.host || request.dest_ip || '?',
      detail: `port ${port ?? '?'}${request.dest_ip ? `, IP ${request.dest_ip}` : ''}`,
      taken: true,
    },
    { label: 'listener', main: e.listener ?? 'none', taken: true, fail: failedStages.has('listener') || !e.listener },
    se
      ? { label: 'ServiceEntry', main: `${se.namespace}/${se.name}`, detail: `${se.match}: ${se.host}`, taken: true }
      : { label: 'ServiceEntry', main: 'none matched', detail: e.outcome === 'passthrough' ? 'unknown host' : '', taken: true, muted: true },
    vs
      ? {
          label: 'VirtualService route',
          main: `${vs.namespace}/${vs.name}`,
          detail: vs.route === null ? 'no route matched' : `${vs.section ?? 'http'}[${vs.route}]${vs.route_name ? ` ${vs.route_name}` : ''}`,
          taken: true,
          fail: vs.route === null,
        }
      : routeWithoutVirtualService(e),
  ];

  const destinations = destinationBoxes(e);
  const picked = e.hash?.effective && e.hash.endpoint ? address(e.hash.endpoint) : null;
  /** @type {Box[][]} endpoints per destination */
  const endpointBoxes = destinations.map(({ cluster, box }) => {
    if (!cluster || box.fail) return [];
    const primary = cluster === e.cluster;
    const listed = primary
      ? e.endpoints.map(address)
      : [...new Set((simulation?.endpoints ?? []).filter((p) => p.cluster === cluster).map(address))];
    if (!listed.length) {
      return [{
        label: 'endpoints',
        main: primary ? 'none' : 'not listed',
        detail: primary ? 'no endpoint to send to' : 'send requests to see them',
        taken: false,
        muted: true,
        fail: primary,
      }];
    }
    /** @type {Box[]} */
    const shown = listed.slice(0, MAX_ENDPOINTS).map((text) => ({
      label: 'endpoint',
      main: text,
      detail: primary && picked === text ? 'picked by the hash' : '',
      taken: primary && box.taken && (picked === null || picked === text),
    }));
    if (listed.length > MAX_ENDPOINTS) {
      shown.push({ label: 'endpoints', main: `+${listed.length - MAX_ENDPOINTS} more`, detail: '', taken: false, muted: true });
    }
    return shown;
  });

  const slots = endpointBoxes.map((list) => Math.max(1, list.length));
  const rows = slots.reduce((a, b) => a + b, 0);
  const height = PAD * 2 + rows * NODE_H + (rows - 1) * GAP_Y;
  const width = PAD * 2 + COLUMNS * NODE_W + (COLUMNS - 1) * GAP_X;
  const columnX = (/** @type {number} */ i) => PAD + i * (NODE_W + GAP_X);
  const rowY = (/** @type {number} */ i) => PAD + i * (NODE_H + GAP_Y);
  const middle = (height - NODE_H) / 2;

  /** @type {SVGElement[]} */
  const nodes = [];
  /** @type {SVGElement[]} */
  const edges = [];
  const right = (/** @type {number} */ x, /** @type {number} */ y) => ({ x: x + NODE_W, y: y + NODE_H / 2 });
  const left = (/** @type {number} */ x, /** @type {number} */ y) => ({ x, y: y + NODE_H / 2 });

  chain.forEach((box, i) => {
    nodes.push(node(box, columnX(i), middle));
    if (i > 0) edges.push(edge(right(columnX(i - 1), middle), left(columnX(i), middle), true));
  });

  let slot = 0;
  destinations.forEach(({ box, percent }, i) => {
    const y = rowY(slot) + ((slots[i] - 1) * (NODE_H + GAP_Y)) / 2;
    nodes.push(node(box, columnX(5), y));
    edges.push(edge(right(columnX(4), middle), left(columnX(5), y), box.taken, percent === null ? undefined : `${percent}%`));
    endpointBoxes[i].forEach((endpoint, j) => {
      const ey = rowY(slot + j);
      nodes.push(node(endpoint, columnX(6), ey));
      edges.push(edge(right(columnX(5), y), left(columnX(6), ey), endpoint.taken));
    });
    slot += slots[i];
  });

  const takenPath = [...chain, ...destinations.map((d) => d.box).filter((b) => b.taken)]
    .map((b) => `${b.label} ${b.main}`)
    .join(' → ');
  const arrow = (/** @type {string} */ id) =>
    svg('marker', { id, viewBox: '0 0 8 8', refX: 7, refY: 4, markerWidth: 9, markerHeight: 9, markerUnits: 'userSpaceOnUse', orient: 'auto-start-reverse' },
      svg('path', { d: 'M0 0 L8 4 L0 8 z' }));
  fill(
    container,
    svg(
      'svg',
      { viewBox: `0 0 ${width} ${height}`, width, height, role: 'img', 'aria-labelledby': 'diagram-title', class: 'path-diagram' },
      svg('title', { id: 'diagram-title' }, `Path of this request: ${takenPath}`),
      svg('defs', {}, arrow('arrow'), arrow('arrow-taken')),
      svg('g', { class: 'edges' }, ...edges),
      svg('g', { class: 'nodes' }, ...nodes),
    ),
  );
}
