// Builds pkg/examples.json from the shared fixture corpus, so the page's examples are the corpus
// itself rather than copies: every case of tests/cases/explain/seeds (each pattern of the two seed
// articles) and tests/cases/explain/traps (the main traps), each with its configuration, its
// request, and the first line of its leading comment as its one-line description.
import { readdirSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { splitCase, parseCaseDocument } from '../tests/cases.mjs';

const web = join(dirname(fileURLToPath(import.meta.url)), '..');
const explainCases = join(web, '..', 'tests', 'cases', 'explain');
const out = join(web, 'pkg', 'examples.json');

/** The menu's groups, in order: the seed articles' patterns (by article), then the traps. */
const GROUPS = [
  { dir: 'seeds', prefix: 'a000-', group: 'Seed article: ServiceEntry patterns' },
  { dir: 'seeds', prefix: 'a001-', group: 'Seed article: advanced ServiceEntry' },
  { dir: 'traps', prefix: '', group: 'Traps' },
];

/** A short title from a case's file name: `a000-10-sticky-cookie` → `sticky cookie`. */
const title = (name) => name.replace(/^(a\d{3}|t\d{2})-(\d{2}-)?/, '').replaceAll('-', ' ');

const examples = GROUPS.flatMap(({ dir, prefix, group }) =>
  readdirSync(join(explainCases, dir))
    .filter((file) => file.endsWith('.yaml') && file.startsWith(prefix))
    .sort()
    .map((file) => {
      const text = readFileSync(join(explainCases, dir, file), 'utf8');
      const [config, caseText] = splitCase(text);
      const { request } = parseCaseDocument(caseText);
      const first = text.split('\n').find((line) => line.startsWith('#')) ?? '';
      const name = file.replace(/\.yaml$/, '');
      return { name, title: title(name), group, description: first.replace(/^#\s*/, ''), config, request };
    }),
);
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, JSON.stringify(examples, null, 1) + '\n');
console.log(`wrote ${examples.length} examples to ${out}`);
