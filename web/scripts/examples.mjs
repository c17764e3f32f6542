// Builds pkg/examples.json from the shared fixture corpus (tests/cases/explain/seeds), so the
// page's examples are the corpus itself rather than copies: each entry is a case's configuration,
// its request, and the first line of its leading comment as a one-line description.
import { readdirSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { splitCase, parseCaseDocument } from '../tests/cases.mjs';

const web = join(dirname(fileURLToPath(import.meta.url)), '..');
const seeds = join(web, '..', 'tests', 'cases', 'explain', 'seeds');
const out = join(web, 'pkg', 'examples.json');

const examples = readdirSync(seeds)
  .filter((file) => file.endsWith('.yaml'))
  .sort()
  .map((file) => {
    const text = readFileSync(join(seeds, file), 'utf8');
    const [config, caseText] = splitCase(text);
    const { request } = parseCaseDocument(caseText);
    const first = text.split('\n').find((line) => line.startsWith('#')) ?? '';
    return {
      name: file.replace(/\.yaml$/, ''),
      description: first.replace(/^#\s*/, ''),
      config,
      request,
    };
  });
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, JSON.stringify(examples, null, 1) + '\n');
console.log(`wrote ${examples.length} examples to ${out}`);
