// The playground's checks that need no browser: the TypeScript types are those the contract's
// JSON Schemas give today, tsc accepts the page's JavaScript against them (and rejects the misuses
// in tests/types/strict.js), no source file has an HTML or code-evaluation sink, and the page's
// Content-Security-Policy is the strict one. Prints cargo's `test result:` line.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Results } from './harness.mjs';

const web = join(dirname(fileURLToPath(import.meta.url)), '..');
const results = new Results();

function run(name, command, args) {
  try {
    execFileSync(command, args, { cwd: web, stdio: 'pipe', encoding: 'utf8' });
    results.record(name, null);
  } catch (error) {
    results.record(name, `${error.stdout ?? ''}${error.stderr ?? ''}`.trim() || String(error));
  }
}

run('types: src/types/contract.d.ts is generated from the current schemas', process.execPath, ['scripts/schema-types.mjs', '--check']);
run('types: tsc --noEmit over the page and tests/types/strict.js', process.execPath, [join(web, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', '.']);

// Text from the YAML, the request or the URL must never be parsed as markup or code.
const SINKS = /\.innerHTML\b|\.outerHTML\b|insertAdjacentHTML|document\.write|\beval\(|new Function\(|createContextualFragment|setHTMLUnsafe|DOMParser/;
const sources = readdirSync(join(web, 'src'), { recursive: true }).filter((file) => String(file).endsWith('.js'));
const sinks = sources.flatMap((file) =>
  readFileSync(join(web, 'src', String(file)), 'utf8')
    .split('\n')
    .map((line, index) => [line, index])
    .filter(([line]) => SINKS.test(line) && !/^\s*(\/\/|\*)/.test(line))
    .map(([line, index]) => `src/${file}:${index + 1}: ${line.trim()}`),
);
results.record(`security: no HTML or eval sink in ${sources.length} source files`, sinks.length ? sinks.join('\n') : null);

const html = readFileSync(join(web, 'index.html'), 'utf8');
const csp = /http-equiv="Content-Security-Policy" content="([^"]+)"/.exec(html)?.[1] ?? '';
const directives = Object.fromEntries(csp.split(';').map((d) => d.trim().split(/\s+/)).map(([name, ...values]) => [name, values.join(' ')]));
const cspProblems = [
  directives['default-src'] === "'none'" ? null : `default-src is ${directives['default-src']}`,
  directives['script-src'] === "'self' 'wasm-unsafe-eval'" ? null : `script-src is ${directives['script-src']}`,
  directives['style-src'] === "'self'" ? null : `style-src is ${directives['style-src']}`,
  /unsafe-inline|unsafe-eval'|data:|https?:|\*/.test(csp.replace("'wasm-unsafe-eval'", '')) ? `a loose source: ${csp}` : null,
  /<script(?![^>]*\bsrc=)/.test(html) ? 'an inline script' : null,
  /\son[a-z]+=/.test(html) ? 'an inline event handler' : null,
  /\sstyle=/.test(html) ? 'an inline style attribute' : null,
].filter(Boolean);
results.record('security: index.html ships the strict CSP, no inline script, handler or style', cspProblems.length ? cspProblems.join('\n') : null);

process.exit(results.summary('web static checks'));
