// @ts-check
// DOM builders for the playground. Every string from the YAML, the request or the URL reaches the
// page through these, as text nodes or as attribute values, never as markup: there is no
// innerHTML anywhere in src/, and attributes that could run script or load style are refused.

/** @typedef {string | number | boolean | null | undefined} AttributeValue */
/** @typedef {Node | string | number | null | undefined | false} Child */

const SVG_NS = 'http://www.w3.org/2000/svg';

/**
 * Sets attributes; `on*` handlers and inline `style` are refused (the CSP would block the latter,
 * and handlers belong in addEventListener). `true` sets an empty attribute, `false`/null skips.
 * @param {Element} element
 * @param {Record<string, AttributeValue>} attributes
 */
function setAttributes(element, attributes) {
  for (const [name, value] of Object.entries(attributes)) {
    if (/^on/i.test(name) || name.toLowerCase() === 'style') {
      throw new Error(`attribute ${name} is not allowed`);
    }
    if (value === false || value === null || value === undefined) continue;
    element.setAttribute(name, value === true ? '' : String(value));
  }
}

/**
 * @param {Element} element
 * @param {Child[]} children
 */
function append(element, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    element.append(typeof child === 'number' ? String(child) : child);
  }
}

/**
 * An HTML element with attributes and children (strings become text nodes).
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {Record<string, AttributeValue>} [attributes]
 * @param {...Child} children
 * @returns {HTMLElementTagNameMap[K]}
 */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  setAttributes(element, attributes);
  append(element, children);
  return element;
}

/**
 * An SVG element, built with createElementNS.
 * @template {keyof SVGElementTagNameMap} K
 * @param {K} tag
 * @param {Record<string, AttributeValue>} [attributes]
 * @param {...Child} children
 * @returns {SVGElementTagNameMap[K]}
 */
export function svg(tag, attributes = {}, ...children) {
  const element = document.createElementNS(SVG_NS, tag);
  setAttributes(element, attributes);
  append(element, children);
  return element;
}

/**
 * The element with this id, of the expected class; throws when the page lacks it.
 * @template {Element} T
 * @param {string} id
 * @param {{ new (): T }} type
 * @returns {T}
 */
export function byId(id, type) {
  const element = document.getElementById(id);
  if (!(element instanceof type)) throw new Error(`the page has no #${id} of the expected kind`);
  return element;
}

/**
 * Replaces the children of `element`.
 * @param {Element} element
 * @param {...Child} children
 */
export function fill(element, ...children) {
  element.replaceChildren();
  append(element, children);
}
