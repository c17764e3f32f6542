// Drives the playground's UI in Debian's chromium (playwright-core, loopback server only): the
// default example, the examples menu, a host change, broken YAML, step references, the share
// link round trip, the embedded view and its snippet, XSS attempts through the YAML, the form
// and the URL fragment, refused inputs, the simulation, the diagram, keyboard use, the themes
// and the narrow layout. Saves screenshots (normal, dark, embed, narrow) to
// target/web-artifacts/. Prints cargo's `test result:` line (summed by `make test`).
import { mkdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deflateRawSync } from 'node:zlib';
import { Results, loopbackOnly, startBrowser } from './harness.mjs';

const TIMEOUT_MS = Number(process.env.WEB_UI_TIMEOUT_MS ?? 150_000);
const web = join(dirname(fileURLToPath(import.meta.url)), '..');
const artifacts = join(web, '..', 'target', 'web-artifacts');
const examples = JSON.parse(readFileSync(join(web, 'dist', 'examples.json'), 'utf8'));

const watchdog = setTimeout(() => {
  console.error(`ui tests: still running after ${TIMEOUT_MS} ms; giving up`);
  process.exit(2);
}, TIMEOUT_MS);

const results = new Results();
/** @type {Awaited<ReturnType<typeof startBrowser>>} */
let session;

/** A payload that would set `window.__xss` and open a dialog if it ever ran as markup or script. */
const XSS = `"><img src=x onerror="window.__xss=1;alert(1)"><script>window.__xss=2;alert(2)</script><svg onload="window.__xss=3">`;

class Failure extends Error {}
function check(condition, message) {
  if (!condition) throw new Failure(message);
}

/**
 * Opens the page in a fresh context and waits for the first explanation. Collects page errors,
 * CSP violations, dialogs and requests to other origins for `clean()` to assert on.
 */
async function open(path = '', contextOptions = {}) {
  const context = await session.browser.newContext({ viewport: { width: 1280, height: 800 }, ...contextOptions });
  context.setDefaultTimeout(8000);
  const page = await context.newPage();
  const seen = { errors: [], dialogs: [], blocked: [] };
  await page.addInitScript(() => {
    window.__csp = [];
    document.addEventListener('securitypolicyviolation', (e) => {
      // Chromium's own contenteditable editing, replacing a styled selection (a highlighted
      // comment) by typed text, tries to carry the style over as a style attribute; the CSP
      // blocks that, harmlessly (CodeMirror redraws the line). It comes from no script file;
      // any inline style a script sets names its file and is counted.
      if (e.violatedDirective === 'style-src-attr' && !e.sourceFile) return;
      window.__csp.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`);
    });
  });
  page.on('pageerror', (error) => seen.errors.push(String(error)));
  page.on('console', (message) => {
    // The console repeats CSP violations, which the listener above sorts.
    if (message.type() === 'error' && !message.text().includes('Content Security Policy')) seen.errors.push(`console: ${message.text()}`);
    if (process.env.VERBOSE) console.log(`  console.${message.type()}: ${message.text()}`);
  });
  page.on('dialog', (dialog) => {
    seen.dialogs.push(dialog.message());
    dialog.dismiss().catch(() => {});
  });
  await loopbackOnly(context, session.url, seen.blocked);
  await page.goto(session.url + path);
  await page.waitForFunction(() => document.body.dataset.ready, null, { timeout: 20_000 });
  check((await page.evaluate(() => document.body.dataset.ready)) !== 'error', `the page did not start: ${await page.textContent('#status')}`);
  return {
    page,
    context,
    /** Nothing went wrong behind the scenes: no errors, CSP violations, dialogs or foreign requests. */
    async clean() {
      const csp = await page.evaluate(() => window.__csp);
      check(!seen.errors.length, `page errors: ${seen.errors.join('; ')}`);
      check(!csp.length, `CSP violations: ${csp.join('; ')}`);
      check(!seen.dialogs.length, `dialogs opened: ${seen.dialogs.join('; ')}`);
      check(!seen.blocked.length, `requests to other origins: ${seen.blocked.join('; ')}`);
      await context.close();
    },
  };
}

const explained = (page) => page.evaluate(() => Number(document.body.dataset.explained));

/** Runs `action` and waits until the page has painted a newer explanation. */
async function afterExplain(page, action) {
  const before = await explained(page);
  await action();
  // The findings follow each explanation in a task of their own.
  await page.waitForFunction(
    (n) => Number(document.body.dataset.explained) > n && Number(document.body.dataset.linted) >= Number(document.body.dataset.explained),
    before,
    { timeout: 10_000 },
  );
  // A change may schedule a second pass (typing); let it settle.
  await page.waitForTimeout(30);
}

const text = (page, selector) => page.locator(selector).first().textContent();
const state = (page) => page.evaluate(() => window.playground.state());
const steps = (page) =>
  page.$$eval('#steps li', (items) => items.map((li) => ({ stage: li.dataset.stage, outcome: li.className.replace('step ', ''), text: li.textContent })));

/** Replaces the editor's whole text as typing would (select all, then insert). */
async function setEditorText(page, value) {
  await afterExplain(page, async () => {
    await page.locator('#editor .cm-content').click();
    await page.keyboard.press('Control+A');
    await page.keyboard.insertText(value);
  });
}

/**
 * Pastes `value` over the editor's whole text, as a person bringing in a large file would (the
 * editor takes a paste as one change; typing a megabyte would take minutes).
 */
async function pasteOver(page, value) {
  await page.locator('#editor .cm-content').click();
  await page.keyboard.press('Control+A');
  await afterExplain(page, () => page.evaluate((value) => {
    const content = document.querySelector('#editor').shadowRoot.querySelector('.cm-content');
    const data = new DataTransfer();
    data.setData('text/plain', value);
    content.dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }));
  }, value));
}

/**
 * Waits until the editor has drawn what a click asked of it. The click moves the cursor, and
 * CodeMirror draws the cursor's line at once; the scroll comes at its next measure (an animation
 * frame) and the lines the scroll uncovers are drawn after it. A read between the two saw one
 * highlighted line of nine on a loaded CI machine. So wait until the drawn lines, the highlight
 * and both scroll positions have held still over four frames in a row, counting afresh for
 * each call (an earlier call's count would end this one's wait before the scroll).
 */
async function drawn(page) {
  await page.evaluate(() => { delete window.__drawn; });
  await page.waitForFunction(() => {
    const root = document.querySelector('#editor').shadowRoot;
    const now = [
      root.querySelectorAll('.cm-line').length,
      root.querySelectorAll('.cm-decided').length,
      root.querySelector('.cm-scroller').scrollTop,
      window.scrollY,
    ].join();
    const held = window.__drawn?.now === now ? window.__drawn.held + 1 : 0;
    window.__drawn = { now, held };
    return held >= 3;
  }, null, { polling: 'raf' });
}

/**
 * Clicks Share or Embed and waits for its dialog. The link is compressed asynchronously
 * (CompressionStream) and the dialog opens only once the field holds it, so reading the field
 * right after the click could see the previous value, or none.
 */
async function openDialog(page, button, dialog) {
  await page.click(button);
  await page.waitForFunction((id) => document.getElementById(id).open, dialog, { timeout: 5000 });
}

/** The texts of the editor lines that carry `className` (CodeMirror draws lines as .cm-line). */
const linesWith = (page, className) =>
  page.locator(`#editor .cm-line.${className}`).evaluateAll((lines) => lines.map((l) => l.textContent));

/** A share fragment built outside the page, as an attacker could. */
function fragmentOf(object) {
  return `#v1.${deflateRawSync(Buffer.from(JSON.stringify(object))).toString('base64url')}`;
}

/** No injected element is in the page and no payload ran. */
async function noInjection(page) {
  const found = await page.evaluate(() => ({
    xss: window.__xss ?? null,
    images: document.querySelectorAll('img').length,
    scripts: [...document.querySelectorAll('script')].map((s) => s.getAttribute('src')),
    handlers: [...document.querySelectorAll('*')].filter((e) => [...e.attributes].some((a) => a.name.startsWith('on'))).length,
    shadowImages: document.querySelector('#editor')?.shadowRoot?.querySelectorAll('img, script').length ?? 0,
  }));
  check(found.xss === null, `a payload ran (window.__xss = ${found.xss})`);
  check(found.images === 0 && found.shadowImages === 0, `injected elements: ${found.images} img, ${found.shadowImages} in the editor`);
  check(found.scripts.join(' ') === './boot.js ./app.js', `scripts: ${found.scripts}`);
  check(found.handlers === 0, `${found.handlers} elements carry on* attributes`);
}

const tests = [];
const test = (name, body) => tests.push({ name, body });

test('loads the default example and explains it', async () => {
  const { page, clean } = await open();
  check((await text(page, '#outcome')) === 'routed', 'outcome is not routed');
  check((await text(page, '#matched-service-entry')) === 'geo/geocoding-primary', 'wrong ServiceEntry');
  const list = await steps(page);
  check(list.length >= 8, `only ${list.length} steps`);
  check(list.some((s) => s.stage === 'listener' && s.outcome === 'pass'), 'no passing listener step');
  const marks = await page.$$eval('#steps .mark', (m) => m.map((x) => x.textContent));
  check(marks.includes('✓') && marks.includes('·'), `marks: ${marks}`);
  check((await text(page, '#request-line')).startsWith('GET http://geocoding.internal:80/geocode?q=berlin'), 'request line');
  await clean();
});

test('the editor is CodeMirror with YAML highlighting, styled under the CSP', async () => {
  const { page, clean } = await open();
  const look = await page.evaluate(() => {
    const root = document.querySelector('#editor').shadowRoot;
    const gutters = root.querySelector('.cm-gutters');
    const key = [...root.querySelectorAll('.cm-line span')].find((s) => s.textContent === 'apiVersion');
    return {
      adopted: root.adoptedStyleSheets.length,
      styleElements: document.querySelectorAll('style').length + root.querySelectorAll('style').length,
      gutterDisplay: gutters && getComputedStyle(gutters).display,
      lineNumbers: root.querySelectorAll('.cm-lineNumbers .cm-gutterElement').length,
      keyColour: key && getComputedStyle(key).color,
      textColour: getComputedStyle(root.querySelector('.cm-content')).color,
    };
  });
  check(look.adopted > 0 && look.styleElements === 0, `styles: ${look.adopted} adopted sheets, ${look.styleElements} <style> elements`);
  check(look.gutterDisplay === 'flex' && look.lineNumbers > 10, `line numbers: ${JSON.stringify(look)}`);
  check(look.keyColour && look.keyColour !== look.textColour, `keys are not highlighted: ${JSON.stringify(look)}`);
  await clean();
});

test('examples menu: every example with a description, one click loads it', async () => {
  const { page, clean } = await open();
  await page.click('#examples summary');
  const items = await page.$$eval('#example-list button.example', (buttons) =>
    buttons.map((b) => ({ name: b.dataset.example, description: b.querySelector('.example-description').textContent })));
  check(items.length === examples.length && items.length >= 90, `${items.length} items for ${examples.length} examples`);
  check(items.every((i) => i.description.length > 10), 'an example lacks its description');
  check(items.some((i) => i.name.startsWith('t')) && items.some((i) => i.name.startsWith('a001')), 'traps or the second article are missing');
  await afterExplain(page, () => page.click('button[data-example="a000-02-stripe-tls-by-sni"]'));
  check(!(await page.locator('#examples').evaluate((d) => d.open)), 'the menu stayed open');
  check((await text(page, '#matched-service-entry')) === 'payments/stripe-api', 'the example was not explained');
  check((await state(page)).config.includes('name: stripe-api'), 'the editor does not show the example');
  check((await text(page, '#example-title')).includes('Stripe as opaque TLS'), 'no description shown');
  await clean();
});

test('changing the host re-explains: matched ServiceEntry and steps follow', async () => {
  const { page, clean } = await open();
  await afterExplain(page, () => page.fill('#f-host', 'maps.example.org'));
  check((await text(page, '#outcome')) === 'passthrough', `outcome ${await text(page, '#outcome')}`);
  check((await text(page, '#matched-service-entry')) === 'none', 'a ServiceEntry still matched');
  const list = await steps(page);
  check(!list.some((s) => s.stage === 'route' && s.outcome === 'pass'), 'the route step survived');
  check((await text(page, '#request-line')).includes('maps.example.org'), 'request line not updated');
  await afterExplain(page, () => page.fill('#f-host', 'geocoding.internal'));
  check((await text(page, '#matched-service-entry')) === 'geo/geocoding-primary', 'not matched again');
  check((await steps(page)).some((s) => s.stage === 'service_entry' && s.outcome === 'pass'), 'no service_entry step');
  await clean();
});

test('broken YAML: the finding is listed at its line and underlined there, message on hover', async () => {
  const { page, clean } = await open();
  const config = (await state(page)).config;
  const lines = config.split('\n');
  const target = lines.findIndex((l) => l.includes('protocol: HTTP')) + 1;
  // Make line `target` a flow sequence that never closes.
  const broken = lines.map((l, i) => (i + 1 === target ? '      protocol: [HTTP' : l)).join('\n');
  await setEditorText(page, broken);
  const items = await page.$$eval('#diagnostics li.diagnostic', (li) => li.map((x) => ({ line: Number(x.dataset.line), code: x.dataset.code, text: x.textContent })));
  check(items.length > 0, 'no finding listed');
  const syntax = items.find((i) => i.code === 'MR0001');
  check(syntax, `no YAML syntax finding: ${JSON.stringify(items)}`);
  const underlined = await page.locator('#editor .cm-lintRange-error').first();
  check((await underlined.count()) === 1, 'no error underline');
  // By its text, not its place among the drawn lines: CodeMirror draws only the lines near the
  // viewport, so the n-th drawn line need not be line n.
  const underlinedLine = await underlined.evaluate((range) => range.closest('.cm-line').textContent);
  const findingLine = broken.split('\n')[syntax.line - 1];
  check(underlinedLine === findingLine, `underline on "${underlinedLine}", finding on line ${syntax.line} "${findingLine}"`);
  await underlined.hover();
  const tooltip = page.locator('#editor .cm-tooltip-lint');
  await tooltip.waitFor({ timeout: 5000 });
  check((await tooltip.textContent()).length > 5, 'empty hover message');
  // Columns are UTF-16 code units: after an emoji (two units, one character) the underline
  // still starts on the very character the finding names.
  const emoji = [
    'apiVersion: networking.istio.io/v1',
    'kind: ServiceEntry',
    'metadata: {name: emoji, namespace: x}',
    'spec:',
    '  hosts: [a.example.com]',
    '  ports: [{name: "😀", number: 80, protocol: HTTPX}]',
    '  resolution: DNS',
  ].join('\n');
  await setEditorText(page, emoji);
  const ranges = await page.locator('#editor .cm-lintRange-error').allTextContents();
  check(ranges.some((r) => r.startsWith('HTTPX')), `underlines: ${JSON.stringify(ranges)}`);
  await setEditorText(page, broken);
  // The finding's button moves the cursor there.
  await page.click(`#diagnostics li[data-code="MR0001"] button.ref`);
  await drawn(page);
  const cursorLine = await page.evaluate(() => {
    const root = document.querySelector('#editor').shadowRoot;
    return root.querySelector('.cm-activeLine')?.textContent;
  });
  check(cursorLine === lines[syntax.line - 1].replace('protocol: HTTP', 'protocol: [HTTP') || cursorLine?.includes('['), `cursor on "${cursorLine}"`);
  await clean();
});

test('a step reference highlights the deciding YAML lines in the editor', async () => {
  const { page, clean } = await open();
  const config = (await state(page)).config.split('\n');
  const button = page.locator('#steps li[data-stage="route"] button.ref').first();
  const label = await button.textContent();
  const line = Number(/line (\d+)/.exec(label)?.[1]);
  check(line > 0, `reference without a line: ${label}`);
  await button.click();
  await drawn(page);
  const decided = await linesWith(page, 'cm-decided');
  check(decided.length >= 2, `highlighted lines: ${JSON.stringify(decided)}`);
  check(decided[0] === config[line - 1], `first highlighted line "${decided[0]}" is not line ${line} "${config[line - 1]}"`);
  check(decided.every((l, i) => l === config[line - 1 + i]), 'the highlighted lines are not consecutive from the reference');
  check((await button.getAttribute('class')).includes('active'), 'the reference is not marked active');
  const visible = await page.evaluate(() => {
    const root = document.querySelector('#editor').shadowRoot;
    const first = root.querySelector('.cm-decided').getBoundingClientRect();
    const scroller = root.querySelector('.cm-scroller').getBoundingClientRect();
    return first.top >= scroller.top && first.bottom <= scroller.bottom;
  });
  check(visible, 'the highlighted lines are not scrolled into view');
  // A reference further down scrolls there.
  await page.click('#steps li[data-stage="subset"] button.ref');
  await drawn(page);
  const subset = await linesWith(page, 'cm-decided');
  // The whole subset item: its name and its labels, not the next subset.
  check(subset.length === 3 && subset[0].includes('- name: old-provider') && subset[2].includes('provider: old'), `subset reference highlights ${JSON.stringify(subset)}`);
  await clean();
});

test('share link round trip restores the state exactly', async () => {
  const { page, context, clean } = await open();
  await afterExplain(page, () => page.fill('#f-path', '/geocode?q=münchen&x=1'));
  await page.click('#more-request summary');
  await page.click('#f-headers button.add');
  await page.locator('#f-headers .pair input').nth(0).fill('x-trace');
  await afterExplain(page, () => page.locator('#f-headers .pair input').nth(1).fill('a b ✓'));
  await page.click('#f-headers button.add');
  await page.locator('#f-headers .pair input').nth(2).fill('x-trace');
  await afterExplain(page, () => page.locator('#f-headers .pair input').nth(3).fill('second'));
  await page.locator('#mesh-settings').evaluate((details) => { details.open = true; });
  await afterExplain(page, () => page.selectOption('#f-outbound', 'REGISTRY_ONLY'));
  await page.fill('#sim-n', '2500');
  const config = (await state(page)).config + '# a comment with emoji 😀 and tabs\t\n';
  await setEditorText(page, config);
  const before = await state(page);
  check(Array.isArray(before.request.headers['x-trace']), 'repeated header is not a list');
  await openDialog(page, '#share-button', 'share-dialog');
  const link = await page.inputValue('#share-link');
  check(link.startsWith(session.url) && /#v1\.[A-Za-z0-9_-]+$/.test(link), `link: ${link.slice(0, 80)}`);
  check((await page.evaluate(() => location.hash)) === new URL(link).hash, 'the address bar does not hold the state');
  const outcome = await text(page, '#outcome');
  const second = await context.newPage();
  await second.goto(link);
  await second.waitForFunction(() => document.body.dataset.ready, null, { timeout: 20_000 });
  const after = await state(second);
  check(JSON.stringify(after) === JSON.stringify(before), `restored state differs:\n${JSON.stringify(before)}\n${JSON.stringify(after)}`);
  check((await text(second, '#outcome')) === outcome, 'a different explanation after restoring');
  check((await second.inputValue('#f-outbound')) === 'REGISTRY_ONLY', 'mesh setting not restored');
  await second.close();
  await clean();
});

test('embed: snippet, compact read-only view, and the snippet working in a host page', async () => {
  const { page, context, clean } = await open();
  await afterExplain(page, () => page.fill('#f-from', `geo${XSS}`));
  await openDialog(page, '#embed-button', 'embed-dialog');
  const snippet = await page.inputValue('#embed-snippet');
  const src = /src="([^"]+)"/.exec(snippet)?.[1];
  check(snippet.startsWith('<iframe ') && src?.startsWith(`${session.url}?embed=1#v1.`), `snippet: ${snippet.slice(0, 120)}`);
  check(!/<img|<script/.test(snippet.replace(/^<iframe/, '')) && snippet.includes('&quot;&gt;&lt;img'), 'the snippet does not escape the request in its title');
  await page.keyboard.press('Escape');
  check(!(await page.locator('#embed-dialog').evaluate((d) => d.open)), 'Escape does not close the dialog');
  await afterExplain(page, () => page.fill('#f-from', 'geo'));
  await openDialog(page, '#embed-button', 'embed-dialog');
  const cleanSrc = /src="([^"]+)"/.exec(await page.inputValue('#embed-snippet'))[1].replaceAll('&amp;', '&');

  const embedded = await context.newPage();
  await embedded.setViewportSize({ width: 760, height: 560 });
  await embedded.goto(cleanSrc);
  await embedded.waitForFunction(() => document.body.dataset.ready, null, { timeout: 20_000 });
  const view = await embedded.evaluate(() => ({
    embed: document.documentElement.classList.contains('embed'),
    requestPane: getComputedStyle(document.getElementById('request-pane')).display,
    diagram: getComputedStyle(document.getElementById('diagram-pane')).display,
    editorOpen: document.getElementById('editor-details').open,
    editable: document.querySelector('#editor').shadowRoot.querySelector('.cm-content').getAttribute('contenteditable'),
    open: document.getElementById('open-full').getAttribute('href'),
    openVisible: getComputedStyle(document.getElementById('open-full')).display !== 'none',
    steps: document.querySelectorAll('#steps li').length,
  }));
  check(view.embed && view.requestPane === 'none' && view.diagram === 'none', `not compact: ${JSON.stringify(view)}`);
  check(!view.editorOpen && view.editable === 'false', `editor not folded and read-only: ${JSON.stringify(view)}`);
  check(view.openVisible && /^\/?[^?]*#v1\./.test(view.open), `no link to the full playground: ${view.open}`);
  check(view.steps >= 8 && (await text(embedded, '#outcome')) === 'routed', 'the embedded view has no explanation');
  await embedded.screenshot({ path: join(artifacts, 'embed.png') });
  await embedded.click('#steps li[data-stage="route"] button.ref');
  check(await embedded.evaluate(() => document.getElementById('editor-details').open), 'a reference does not unfold the editor');
  await embedded.close();

  // The README's example link opens the Stripe example in the embedded view.
  const readme = readFileSync(join(web, 'README.md'), 'utf8');
  const documented = /playground\/\?embed=1(#v1\.[A-Za-z0-9_-]+)"/.exec(readme)?.[1];
  check(documented, 'web/README.md has no embed example');
  const fromReadme = await context.newPage();
  await fromReadme.goto(`${session.url}?embed=1${documented}`);
  await fromReadme.waitForFunction(() => document.body.dataset.ready, null, { timeout: 20_000 });
  check((await text(fromReadme, '#matched-service-entry')) === 'payments/stripe-api', 'the README example does not show the Stripe explanation');
  await fromReadme.close();

  // The snippet as a docs page would hold it.
  const host = await context.newPage();
  // A docs site on another origin: a second loopback server (another port) holding the snippet.
  const snippetHtml = `<!doctype html><title>docs</title><h1>Egress docs</h1>${await page.inputValue('#embed-snippet')}`;
  const docs = createServer((_, response) => response.writeHead(200, { 'content-type': 'text/html' }).end(snippetHtml));
  await new Promise((resolve) => docs.listen(0, '127.0.0.1', resolve));
  const docsOrigin = `http://127.0.0.1:${docs.address().port}/`;
  await host.route(`${docsOrigin}**`, (route) => route.continue());
  await host.goto(`${docsOrigin}egress.html`);
  const frame = host.frameLocator('iframe');
  await frame.locator('body[data-ready]').waitFor({ timeout: 20_000 });
  check((await frame.locator('#outcome').textContent()) === 'routed', 'the iframe shows no explanation');
  await host.close();
  docs.close();
  await clean();
});

test('XSS in names, labels, hosts and headers is shown as text, never run', async () => {
  const { page, clean } = await open();
  const config = [
    'apiVersion: networking.istio.io/v1',
    'kind: ServiceEntry',
    'metadata:',
    `  name: '${XSS.replaceAll("'", "''")}'`,
    `  namespace: '${XSS.replaceAll("'", "''")}'`,
    `  labels: {app: '${XSS.replaceAll("'", "''")}'}`,
    'spec:',
    `  hosts: ['${XSS.replaceAll("'", "''")}', evil.example.com]`,
    '  ports: [{number: 80, name: http, protocol: HTTP}]',
    '  resolution: DNS',
    `  endpoints: [{address: '${XSS.replaceAll("'", "''")}', labels: {x: '${XSS.replaceAll("'", "''")}'}}]`,
  ].join('\n');
  await setEditorText(page, config);
  await afterExplain(page, () => page.fill('#f-host', 'evil.example.com'));
  await page.click('#more-request summary');
  await page.click('#f-labels button.add');
  await page.locator('#f-labels .pair input').nth(0).fill(`app${XSS}`);
  await afterExplain(page, () => page.locator('#f-labels .pair input').nth(1).fill(XSS));
  await page.click('#f-headers button.add');
  await page.locator('#f-headers .pair input').nth(0).fill('x-evil');
  await afterExplain(page, () => page.locator('#f-headers .pair input').nth(1).fill(XSS));
  await page.waitForTimeout(300); // the simulation and the diagram's second pass
  const shown = await page.locator('body').textContent();
  check(shown.includes('<img src=x onerror='), 'the payload is not shown as text anywhere');
  check((await page.$$eval('#diagnostics li', (l) => l.length)) > 0, 'no findings on a hostile configuration');
  await noInjection(page);
  await clean();
});

test('XSS in the URL fragment is refused or shown as text, never run', async () => {
  const hostile = fragmentOf({
    config: `# ${XSS}\napiVersion: networking.istio.io/v1\nkind: ServiceEntry\nmetadata: {name: x, namespace: y}\nspec: {hosts: ['${XSS.replaceAll("'", "''")}']}\n`,
    request: { host: XSS, from: XSS, headers: { [XSS]: XSS }, source_labels: { a: XSS }, cookies: { c: XSS }, query: { q: XSS }, dns: { [XSS]: [XSS] }, protocol: XSS, port: XSS },
    simulate: { n: XSS, seed: XSS },
  });
  const { page, clean } = await open(hostile);
  check((await page.inputValue('#f-host')) === XSS, 'the host did not come back as text');
  check((await page.inputValue('#f-protocol')) === 'http' && (await page.inputValue('#f-port')) === '', 'invalid values were not dropped');
  await page.waitForTimeout(300);
  await noInjection(page);
  for (const fragment of [`#v1.${encodeURIComponent('<img src=x onerror=alert(1)>')}`, '#<img src=x onerror=alert(1)>', '#v1.AAAA', `#${'v1.' + 'A'.repeat(5000)}`]) {
    await page.goto('about:blank');
    await page.goto(`${session.url}${fragment}`);
    await page.waitForFunction(() => document.body.dataset.ready, null, { timeout: 20_000 });
    check((await text(page, '#example-title')).includes('could not be restored'), `no refusal for ${fragment.slice(0, 40)}: "${await text(page, '#example-title')}"`);
    check((await text(page, '#outcome')) === 'routed', 'the default example did not open after a bad link');
    await noInjection(page);
  }
  // A zip bomb: 8 MiB of one character inflates past the limit and is refused.
  await page.goto('about:blank');
  await page.goto(`${session.url}${fragmentOf({ config: 'a'.repeat(8 << 20), request: { host: 'x' } })}`);
  await page.waitForFunction(() => document.body.dataset.ready, null, { timeout: 20_000 });
  check((await text(page, '#example-title')).includes('too large'), `no refusal of an oversized state: ${await text(page, '#example-title')}`);
  await clean();
});

test('a configuration over 1 MiB or with 5,000 documents is refused with a message', async () => {
  const { page, clean } = await open();
  const big = `# ${'x'.repeat(1 << 20)}\n`;
  const started = Date.now();
  await pasteOver(page, big);
  check((await text(page, '#status')).includes('at most 1048576 bytes'), `status: ${await text(page, '#status')}`);
  check((await page.$$eval('#steps li', (l) => l.length)) === 0, 'steps shown for a refused configuration');
  await pasteOver(page, '---\n'.repeat(5000));
  check((await text(page, '#status')).includes('5000 YAML documents') || (await text(page, '#status')).includes('5001 YAML documents'), `status: ${await text(page, '#status')}`);
  check(Date.now() - started < 15_000, 'refusing took too long');
  await pasteOver(page, examples.find((e) => e.name === 'a000-09-geocoding-80-20-shift').config);
  check((await text(page, '#outcome')) === 'routed', 'the page did not recover');
  await clean();
});

test('send N requests: the chart splits per destination and endpoint, stickiness shown', async () => {
  const { page, clean } = await open();
  await page.waitForSelector('#simulation .bar-row.cluster');
  const rows = await page.$$eval('#simulation .bar-row.cluster', (r) => r.map((x) => ({ label: x.querySelector('.bar-label').textContent, count: Number(x.dataset.count) })));
  check(rows.length === 2 && rows[0].count + rows[1].count === 1000, `rows: ${JSON.stringify(rows)}`);
  check(rows[0].count > 700 && rows[0].count < 900, `80/20 split not shown: ${JSON.stringify(rows)}`);
  const width = await page.$eval('#simulation .bar-row.cluster .fill', (f) => f.getBoundingClientRect().width / f.parentElement.getBoundingClientRect().width);
  check(width > 0.7 && width < 0.9, `bar width ${width}`);
  await page.fill('#sim-n', '2000');
  await page.click('#sim-run');
  await page.waitForFunction(() => document.querySelector('.simulation-summary')?.textContent.startsWith('2000 requests'));
  // Sticky sessions: every simulated caller stays on one endpoint.
  await page.click('#examples summary');
  await afterExplain(page, () => page.click('button[data-example="a000-10-sticky-cookie"]'));
  await page.waitForFunction(() => / 10 of 10 callers stayed on one endpoint/.test(document.querySelector('.simulation-summary')?.textContent ?? ''), null, { timeout: 5000 });
  check((await page.$$eval('#simulation .bar-row.endpoint', (r) => r.length)) >= 2, 'endpoints are not split');
  await clean();
});

test('the diagram shows the path with weights and highlights the taken branch', async () => {
  const { page, clean } = await open();
  const diagram = await page.evaluate(() => {
    const svg = document.querySelector('#diagram svg');
    const taken = [...svg.querySelectorAll('.node.taken .main')].map((t) => t.textContent);
    const notTaken = [...svg.querySelectorAll('.node:not(.taken) .main')].map((t) => t.textContent);
    return {
      ns: svg.namespaceURI,
      labels: [...svg.querySelectorAll('.node .label')].map((t) => t.textContent),
      weights: [...svg.querySelectorAll('.weight')].map((t) => t.textContent),
      taken,
      notTaken,
      takenEdges: svg.querySelectorAll('.edge.taken').length,
      title: svg.querySelector('title').textContent,
    };
  });
  check(diagram.ns === 'http://www.w3.org/2000/svg', 'not SVG');
  for (const label of ['app', 'sidecar: http', 'listener', 'ServiceEntry', 'VirtualService route', 'subset', 'endpoint']) {
    check(diagram.labels.includes(label), `no ${label} node: ${diagram.labels}`);
  }
  check(diagram.weights.join(',') === '80%,20%', `weights: ${diagram.weights}`);
  check(diagram.taken.includes('old-provider') && diagram.notTaken.includes('new-provider'), `taken: ${diagram.taken}`);
  check(diagram.takenEdges === 6, `${diagram.takenEdges} taken edges`);
  check(diagram.title.includes('geo/geocoding-vs'), `no text alternative: ${diagram.title}`);
  await clean();
});

test('keyboard: examples menu, editor escape, every control labelled', async () => {
  const { page, clean } = await open();
  await page.focus('#examples summary');
  await page.keyboard.press('Enter');
  // The page focuses the filter on the menu's `toggle` event, which comes in a task of its own.
  const filterFocused = await page
    .waitForFunction(() => document.activeElement?.id === 'example-filter', null, { timeout: 5000 })
    .then(() => true, () => false);
  check(filterFocused, 'the filter is not focused when the menu opens');
  await page.keyboard.type('sticky header');
  await page.keyboard.press('Tab');
  const focused = await page.evaluate(() => document.activeElement?.dataset.example);
  check(focused === 'a000-10-sticky-header', `focus on ${focused}`);
  await afterExplain(page, () => page.keyboard.press('Enter'));
  check((await state(page)).request.headers?.['X-User-Id'] === 'user-42', 'the sticky header example did not load its header');
  await page.focus('#examples summary');
  await page.keyboard.press('Enter');
  await page.keyboard.press('Escape');
  check(!(await page.locator('#examples').evaluate((d) => d.open)), 'Escape does not close the menu');
  // Tab indents in the editor; Escape then Tab moves on (CodeMirror's escape hatch).
  await page.locator('#editor .cm-content').click();
  await page.keyboard.press('Escape');
  await page.keyboard.press('Tab');
  const after = await page.evaluate(() => document.activeElement?.id || document.activeElement?.tagName);
  check(after !== 'DIV' && after !== 'editor', `focus stayed in the editor (${after})`);
  const unlabelled = await page.evaluate(() =>
    [...document.querySelectorAll('input, select, textarea, button')]
      .filter((c) => !(c.labels?.length || c.getAttribute('aria-label') || (c.tagName === 'BUTTON' && c.textContent.trim())))
      .map((c) => c.id || c.outerHTML.slice(0, 60)));
  check(!unlabelled.length, `unlabelled controls: ${unlabelled}`);
  await clean();
});

test('screenshots: normal and dark themes at 1280×800', async () => {
  const light = await open();
  await light.page.waitForSelector('#simulation .bar-row');
  await light.page.screenshot({ path: join(artifacts, 'normal.png') });
  const lightBg = await light.page.evaluate(() => getComputedStyle(document.documentElement).backgroundColor);
  await light.clean();
  const dark = await open('', { colorScheme: 'dark' });
  await dark.page.waitForSelector('#simulation .bar-row');
  const darkLook = await dark.page.evaluate(() => ({
    page: getComputedStyle(document.documentElement).backgroundColor,
    editor: getComputedStyle(document.querySelector('#editor').shadowRoot.querySelector('.cm-editor')).backgroundColor,
  }));
  const luminance = (rgb) => rgb.match(/\d+/g).slice(0, 3).map(Number).reduce((a, b) => a + b, 0) / 3;
  check(luminance(lightBg) > 200 && luminance(darkLook.page) < 60 && luminance(darkLook.editor) < 60, `themes: light ${lightBg}, dark ${JSON.stringify(darkLook)}`);
  await dark.page.screenshot({ path: join(artifacts, 'dark.png') });
  await dark.clean();
});

test('narrow screen: one column, nothing wider than the screen but the diagram', async () => {
  const { page, clean } = await open('', { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  await page.waitForSelector('#simulation .bar-row');
  const layout = await page.evaluate(() => {
    const config = document.getElementById('config-pane').getBoundingClientRect();
    const request = document.getElementById('request-pane').getBoundingClientRect();
    const wide = [...document.querySelectorAll('body *')]
      .filter((e) => !e.closest('#diagram') && e.getBoundingClientRect().right > window.innerWidth + 1)
      .map((e) => e.id || e.className || e.tagName);
    return { oneColumn: request.top >= config.bottom, scroll: document.documentElement.scrollWidth, width: window.innerWidth, wide: wide.slice(0, 5) };
  });
  check(layout.oneColumn, 'the panes are not stacked');
  check(layout.scroll <= layout.width && !layout.wide.length, `overflow: ${JSON.stringify(layout)}`);
  await page.screenshot({ path: join(artifacts, 'narrow.png'), fullPage: true });
  await clean();
});

mkdirSync(artifacts, { recursive: true });
let exitCode = 0;
try {
  session = await startBrowser();
  // ONLY=word runs the tests whose names contain it, while working on them.
  for (const { name, body } of tests.filter((t) => t.name.includes(process.env.ONLY ?? ''))) {
    try {
      const started = performance.now();
      await body();
      if (process.env.VERBOSE) console.log(`  ${name}: ${Math.round(performance.now() - started)} ms`);
      results.record(`ui: ${name}`, null);
    } catch (error) {
      results.record(`ui: ${name}`, error instanceof Failure ? error.message : String(error?.stack ?? error));
    }
  }
} catch (error) {
  results.record('ui: browser run', String(error?.stack ?? error));
  exitCode = 1;
} finally {
  await session?.close();
  clearTimeout(watchdog);
}
console.log(`screenshots in ${artifacts}`);
process.exit(results.summary('browser ui') || exitCode);
