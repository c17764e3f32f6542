// Generates web/src/types/contract.d.ts from the contract's JSON Schemas (crates/wire/schema), so
// that the page's JavaScript, type-checked by tsc, can only read fields the schemas define.
// `node scripts/schema-types.mjs --check` fails when the committed file differs from what the
// schemas give today (make test-web runs it): the types cannot drift from the contract.
//
// Only the subset of JSON Schema the contract uses is understood (type, enum, properties,
// required, additionalProperties, items, $ref into $defs, anyOf of `required` lists); anything
// else stops the generator rather than being typed loosely.
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const web = join(dirname(fileURLToPath(import.meta.url)), '..');
const schemaDir = join(web, '..', 'crates', 'wire', 'schema');
const out = join(web, 'src', 'types', 'contract.d.ts');

/** The schemas, each with the name of its top-level type. */
const DOCUMENTS = [
  ['request.schema.json', 'Request'],
  ['explanation.schema.json', 'Explanation'],
  ['simulation.schema.json', 'Simulation'],
];

/** Names for nested objects, by schema file and JSON pointer; unnamed objects are typed inline. */
const NAMES = {
  'explanation.schema.json': {
    '/properties/service_entry': 'ServiceEntryMatch',
    '/properties/virtual_service': 'VirtualServiceMatch',
    '/properties/destination_rule': 'DestinationRuleMatch',
    '/properties/destinations/items': 'Destination',
    '/properties/endpoints/items': 'Endpoint',
    '/properties/hash': 'Hash',
    '/properties/hash/properties/endpoint': 'HashEndpoint',
    '/properties/tls_origination': 'TlsOrigination',
    '/properties/retries': 'Retries',
    '/properties/telemetry': 'Telemetry',
    '/properties/steps/items': 'Step',
    '/$defs/ref': 'Ref',
    '/$defs/diagnostic': 'Diagnostic',
    '/$defs/string_map': 'StringMap',
  },
  'simulation.schema.json': {
    '/properties/destinations/items': 'SimulatedDestination',
    '/properties/endpoints/items': 'SimulatedEndpoint',
  },
  'request.schema.json': {
    '/$defs/string_map': 'StringMap',
  },
};

const KNOWN_KEYWORDS = new Set([
  '$schema', '$id', 'title', 'description', 'type', 'enum', 'properties', 'required',
  'additionalProperties', 'items', '$ref', '$defs', 'anyOf', 'minimum', 'maximum',
]);

function fail(file, pointer, why) {
  throw new Error(`${file}#${pointer}: ${why}`);
}

function comment(text, indent) {
  if (!text) return '';
  const lines = text.replaceAll('*/', '*\\/').split('\n');
  return `${indent}/** ${lines.join(`\n${indent} * `)} */\n`;
}

/** Generates the declarations of one schema file into `declared` (name → text). */
function generate(file, rootName, declared) {
  const schema = JSON.parse(readFileSync(join(schemaDir, file), 'utf8'));
  const names = NAMES[file] ?? {};
  const pending = [];

  function typeOf(node, pointer, indent) {
    for (const key of Object.keys(node)) {
      if (!KNOWN_KEYWORDS.has(key)) fail(file, pointer, `keyword \`${key}\` is not understood`);
    }
    if (node.$ref) {
      const match = /^#\/\$defs\/(\w+)$/.exec(node.$ref);
      if (!match) fail(file, pointer, `reference ${node.$ref} is not into $defs`);
      const target = `/$defs/${match[1]}`;
      const name = names[target] ?? fail(file, target, 'a referenced definition needs a name');
      if (!declared.has(name)) pending.push([schema.$defs[match[1]], target, name]);
      return name;
    }
    if (node.enum) return node.enum.map((v) => JSON.stringify(v)).join(' | ');
    const types = Array.isArray(node.type) ? node.type : [node.type];
    if (types.includes(undefined)) fail(file, pointer, 'a schema without `type`, `enum` or `$ref`');
    const parts = types.map((type) => {
      switch (type) {
        case 'null':
          return 'null';
        case 'string':
          return 'string';
        case 'integer':
        case 'number':
          return 'number';
        case 'boolean':
          return 'boolean';
        case 'array': {
          if (!node.items) return 'unknown[]';
          const item = typeOf(node.items, `${pointer}/items`, indent);
          return /[|&]/.test(item) ? `(${item})[]` : `${item}[]`;
        }
        case 'object':
          return objectType(node, pointer, indent);
        default:
          return fail(file, pointer, `type \`${type}\` is not understood`);
      }
    });
    return parts.join(' | ');
  }

  function objectType(node, pointer, indent) {
    const name = names[pointer];
    if (name && pointer !== '') {
      if (!declared.has(name)) pending.push([node, pointer, name]);
      return name;
    }
    return objectBody(node, pointer, indent);
  }

  function objectBody(node, pointer, indent) {
    const properties = node.properties ?? {};
    const required = new Set(node.required ?? []);
    const inner = `${indent}  `;
    let body = '';
    for (const [key, property] of Object.entries(properties)) {
      const optional = required.has(key) ? '' : '?';
      body += comment(property.description, inner);
      body += `${inner}${key}${optional}: ${typeOf(property, `${pointer}/properties/${key}`, inner)};\n`;
    }
    const extra = node.additionalProperties;
    if (extra && typeof extra === 'object') {
      body += `${inner}[key: string]: ${typeOf(extra, `${pointer}/additionalProperties`, inner)};\n`;
    }
    // Open objects (no `additionalProperties: false`) may gain fields; the types list only the
    // known ones, which is what the page may read.
    return `{\n${body}${indent}}`;
  }

  function declare(node, pointer, name) {
    let text = comment(node.description ?? node.title, '');
    let type = objectBody(node, pointer, '');
    if (pointer === '' && node.anyOf) {
      // `anyOf: [{required: [a]}, {required: [b]}]`: at least one of the named fields.
      const branches = node.anyOf.map((branch, index) => {
        const keys = Object.keys(branch);
        if (keys.length !== 1 || !Array.isArray(branch.required)) {
          fail(file, `/anyOf/${index}`, 'only `required` lists are understood in anyOf');
        }
        const fields = branch.required.map((key) => {
          const property = node.properties?.[key] ?? fail(file, `/anyOf/${index}`, `unknown ${key}`);
          return `${key}: ${typeOf(property, `/properties/${key}`, '  ')}`;
        });
        return `{ ${fields.join('; ')} }`;
      });
      type = `${type} & (${branches.join(' | ')})`;
      text += `export type ${name} = ${type};\n`;
    } else if (node.properties) {
      // A nullable object (`type: [object, null]`) is named without its null, which stays at
      // the field that holds it.
      text += `export interface ${name} ${type}\n`;
    } else {
      text += `export type ${name} = ${typeOf(node, `${pointer}#`, '')};\n`;
    }
    declared.set(name, text);
  }

  pending.push([schema, '', rootName]);
  while (pending.length) {
    const [node, pointer, name] = pending.shift();
    if (declared.has(name)) continue;
    // A string map (`additionalProperties` only) is a type alias, everything else an interface.
    if (node.type === 'object' && !node.properties && node.additionalProperties) {
      declared.set(
        name,
        `${comment(node.description, '')}export type ${name} = { [key: string]: ${typeOf(node.additionalProperties, `${pointer}/additionalProperties`, '')} };\n`,
      );
      continue;
    }
    declare(node, pointer, name);
  }
}

const declared = new Map();
for (const [file, name] of DOCUMENTS) generate(file, name, declared);
const text =
  '// The contract\'s objects as TypeScript types, generated from crates/wire/schema/*.schema.json by\n' +
  '// web/scripts/schema-types.mjs; do not edit by hand (`make test-web` checks it is current).\n\n' +
  [...declared.values()].join('\n');

if (process.argv.includes('--check')) {
  let current = '';
  try {
    current = readFileSync(out, 'utf8');
  } catch {
    // A missing file differs like any other.
  }
  if (current !== text) {
    console.error(`${out} is out of date with the schemas: run \`node web/scripts/schema-types.mjs\``);
    process.exit(1);
  }
  console.log(`${out} matches the schemas`);
} else {
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, text);
  console.log(`wrote ${out}`);
}
