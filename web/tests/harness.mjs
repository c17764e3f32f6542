// What the browser suites share: Debian's chromium launched headless through playwright-core with
// the project's flags, the loopback-only page server, a guard that aborts any request to another
// origin, and cargo's `test result:` line (which `make test` sums) for a list of named checks.
import { chromium } from 'playwright-core';
import { serve } from '../scripts/serve.mjs';

export const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

/** Launches chromium (a fresh in-memory profile per context) and the page server. */
export async function startBrowser() {
  const { server, url } = await serve(0);
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
  return {
    browser,
    url,
    async close() {
      await browser.close().catch(() => {});
      server.close();
    },
  };
}

/**
 * Only the page's own server is reachable: anything else would break the offline promise, so it is
 * aborted and remembered for the suite to assert on.
 * @param {import('playwright-core').Page | import('playwright-core').BrowserContext} target
 * @param {string} url the server's origin, with a trailing slash
 * @param {string[]} blocked receives the URLs of aborted requests
 */
export async function loopbackOnly(target, url, blocked) {
  await target.route('**/*', (route) => {
    const requested = route.request().url();
    if (requested.startsWith(url)) return route.continue();
    blocked.push(requested);
    return route.abort('blockedbyclient');
  });
}

/** A list of named checks, printed as failures come and summed as cargo does at the end. */
export class Results {
  constructor() {
    this.started = performance.now();
    /** @type {{ name: string, problem: string | null }[]} */
    this.list = [];
    this.ignored = 0;
  }

  /** Records one check; `problem` null means it passed. */
  record(name, problem) {
    this.list.push({ name, problem });
    if (problem) console.log(`FAIL ${name}\n  ${String(problem).replaceAll('\n', '\n  ')}`);
    else if (process.env.VERBOSE) console.log(`ok   ${name}`);
  }

  get failed() {
    return this.list.filter((r) => r.problem).length;
  }

  /** Prints cargo's `test result:` line and a short one; returns the process exit code. */
  summary(label) {
    const failed = this.failed;
    const passed = this.list.length - failed;
    const seconds = ((performance.now() - this.started) / 1000).toFixed(2);
    console.log(
      `test result: ${failed ? 'FAILED' : 'ok'}. ${passed} passed; ${failed} failed; ${this.ignored} ignored; 0 measured; 0 filtered out; finished in ${seconds}s`,
    );
    console.log(`${label}: ${passed} passed, ${failed} failed, ${this.ignored} skipped`);
    return failed ? 1 : 0;
  }
}
