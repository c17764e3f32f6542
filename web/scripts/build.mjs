// Assembles the deployable static folder web/dist/ from the sources and the generated web/pkg/:
// the page's JavaScript (ours, CodeMirror and the wasm-bindgen glue) bundled and minified by
// esbuild into app.js, the tiny boot.js that starts compiling the engine early, and next to them
// index.html, style.css, favicon.svg, the wasm module and examples.json. Nothing in dist/ refers to another origin, so any static file server works.
import { copyFileSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const web = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(web, 'dist');
const pkg = join(web, 'pkg');

for (const generated of ['meshroute_wasm.js', 'meshroute_wasm_bg.wasm', 'examples.json']) {
  if (!existsSync(join(pkg, generated))) {
    console.error(`web/pkg/${generated} is missing: run \`make web\`, which builds it first`);
    process.exit(1);
  }
}

rmSync(dist, { recursive: true, force: true });
mkdirSync(dist, { recursive: true });

await build({
  entryPoints: { app: join(web, 'src', 'main.js'), boot: join(web, 'src', 'boot.js') },
  outdir: dist,
  bundle: true,
  format: 'esm',
  // Every browser with WebAssembly, CompressionStream and constructable stylesheets reads ES2022.
  target: 'es2022',
  minify: true,
  legalComments: 'linked',
  logLevel: 'warning',
  // The glue finds its module with `new URL('meshroute_wasm_bg.wasm', import.meta.url)`, which
  // after bundling is relative to app.js: the module is copied next to it below.
});

const copies = [
  [join(web, 'index.html'), 'index.html'],
  [join(web, 'src', 'style.css'), 'style.css'],
  [join(web, 'favicon.svg'), 'favicon.svg'],
  [join(pkg, 'meshroute_wasm_bg.wasm'), 'meshroute_wasm_bg.wasm'],
  [join(pkg, 'examples.json'), 'examples.json'],
];
for (const [from, to] of copies) copyFileSync(from, join(dist, to));
console.log(`built ${dist}`);
