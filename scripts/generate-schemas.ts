/**
 * Writes schemas/<kind>.schema.json from the zod schemas of the definition format, for editors (completion and
 * checks as you type). `npm run schemas` regenerates them; a test fails when the committed files are stale.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { API_VERSION, documentSchemas, Kind } from '../src/model/definitions.js';

const BASE = 'https://maelstrom.dev/schemas';

function fileName(kind: Kind): string {
  return `${kind.replace(/([a-z])([A-Z])/g, '$1-$2').toLowerCase()}.schema.json`;
}

/** File name → content of every schema, deterministic. */
export function generateSchemas(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const kind of Kind.options) {
    // The input side: what a person writes, where fields with a default may be left out.
    const schema = z.toJSONSchema(documentSchemas[kind], { io: 'input', target: 'draft-2020-12' });
    out[fileName(kind)] =
      `${JSON.stringify({ ...schema, $id: `${BASE}/${fileName(kind)}`, title: `${kind} (${API_VERSION})` }, null, 2)}\n`;
  }
  out['definition.schema.json'] = `${JSON.stringify(
    {
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      $id: `${BASE}/definition.schema.json`,
      title: `Any Maelstrom definition (${API_VERSION})`,
      oneOf: Kind.options.map((k) => ({ $ref: fileName(k) })),
    },
    null,
    2,
  )}\n`;
  return out;
}

export const schemasDir = fileURLToPath(new URL('../schemas/', import.meta.url));

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  mkdirSync(schemasDir, { recursive: true });
  for (const [name, text] of Object.entries(generateSchemas())) writeFileSync(`${schemasDir}${name}`, text);
  process.stdout.write(`wrote ${Object.keys(generateSchemas()).length} schemas to schemas/\n`);
}
