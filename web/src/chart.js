// @ts-check
// The "send N requests" chart: requests per destination cluster and, under each, per endpoint,
// as bars, with how many simulated callers stayed on one endpoint (stickiness). Bar widths are
// set through the CSSOM (element.style), which the page's Content-Security-Policy allows; inline
// style attributes are never written.
import { fill, h } from './dom.js';

/** @typedef {import('./types/contract').Simulation} Simulation */

/**
 * @param {string} label
 * @param {number} count
 * @param {number} total
 * @param {string} kind
 */
function bar(label, count, total, kind) {
  const share = total ? (100 * count) / total : 0;
  const fillBar = h('span', { class: 'fill' });
  fillBar.style.width = `${share.toFixed(2)}%`;
  return h(
    'div',
    { class: `bar-row ${kind}`, 'data-count': count },
    h('span', { class: 'bar-label' }, label),
    h('span', { class: 'meter', role: 'img', 'aria-label': `${share.toFixed(1)}%` }, fillBar),
    h('span', { class: 'bar-value' }, `${count} (${share.toFixed(1)}%)`),
  );
}

/**
 * @param {HTMLElement} container
 * @param {Simulation} simulation
 */
export function renderSimulation(container, simulation) {
  const total = simulation.n;
  const groups = simulation.destinations.map((destination) => {
    const name = destination.cluster ?? 'local reply';
    const endpoints = simulation.endpoints.filter((e) => e.cluster === destination.cluster);
    return h(
      'div',
      { class: 'bar-group' },
      bar(name, destination.count, total, 'cluster'),
      ...endpoints.map((e) => bar(`${e.address}${e.port === null ? '' : `:${e.port}`}`, e.count, destination.count, 'endpoint')),
    );
  });
  // Stickiness means something only when requests reach endpoints (not for local replies).
  const sticky = simulation.clients && simulation.endpoints.length
    ? `${simulation.sticky_clients} of ${simulation.clients} callers stayed on one endpoint`
    : '';
  fill(
    container,
    h(
      'p',
      { class: 'simulation-summary' },
      `${simulation.n} requests from ${simulation.clients} simulated callers (seed ${simulation.seed})`,
      simulation.varied ? `, each with its own ${simulation.varied}` : '',
      sticky ? `; ${sticky}.` : '.',
    ),
    ...groups,
    h('p', { class: 'hint' }, 'Endpoint bars are shares of their cluster’s requests.'),
  );
}
