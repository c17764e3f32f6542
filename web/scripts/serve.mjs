// A tiny read-only static file server for the playground, on loopback only: the built page
// (web/dist/, from `make web`) at `/` and the shared fixture corpus at `/cases/`. Used by the
// browser tests and budgets (random free port) and by `make playground` (`node scripts/serve.mjs [port]`).
import { createServer } from 'node:http';
import { readFile, stat } from 'node:fs/promises';
import { dirname, extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const web = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const dist = resolve(web, 'dist');
const cases = resolve(web, '..', 'tests', 'cases');

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.yaml': 'text/plain; charset=utf-8',
  '.ts': 'text/plain; charset=utf-8',
};

/** The file a URL path names under `root`, or null when it would leave `root`. */
function under(root, urlPath) {
  const path = resolve(root, '.' + urlPath);
  return path === root || path.startsWith(root + sep) ? path : null;
}

async function handle(request, response) {
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    response.writeHead(405, { allow: 'GET, HEAD' }).end();
    return;
  }
  let urlPath;
  try {
    urlPath = decodeURIComponent(new URL(request.url, 'http://localhost').pathname);
  } catch {
    response.writeHead(400).end();
    return;
  }
  if (urlPath.includes('\0') || urlPath.split('/').includes('node_modules')) {
    response.writeHead(404).end();
    return;
  }
  let path = urlPath.startsWith('/cases/') ? under(cases, urlPath.slice('/cases'.length)) : under(dist, urlPath);
  try {
    if (path && (await stat(path)).isDirectory()) path = join(path, 'index.html');
    const body = path ? await readFile(path) : null;
    if (!body) throw new Error('outside');
    response.writeHead(200, {
      'content-type': TYPES[extname(path)] ?? 'application/octet-stream',
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
    });
    response.end(request.method === 'HEAD' ? undefined : body);
  } catch {
    response.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
  }
}

/** Starts the server on 127.0.0.1 (port 0: any free one); resolves to {server, url}. */
export function serve(port = 0) {
  return new Promise((resolvePromise, reject) => {
    const server = createServer((request, response) => {
      handle(request, response).catch(() => response.destroy());
    });
    server.on('error', reject);
    server.listen(port, '127.0.0.1', () => {
      resolvePromise({ server, url: `http://127.0.0.1:${server.address().port}/` });
    });
  });
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const port = Number(process.argv[2] ?? process.env.PORT ?? 8080);
  const { url } = await serve(port);
  console.log(`meshroute playground at ${url} (Ctrl-C to stop)`);
}
