import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { generateSchemas, schemasDir } from '../scripts/generate-schemas.js';

describe('published JSON Schemas', () => {
  it('are up to date with the zod schemas (run `npm run schemas` after changing the format)', () => {
    const fresh = generateSchemas();
    const committed = readdirSync(schemasDir)
      .filter((f) => f.endsWith('.schema.json'))
      .sort();
    expect(committed).toEqual(Object.keys(fresh).sort());
    for (const [name, text] of Object.entries(fresh))
      expect(readFileSync(`${schemasDir}${name}`, 'utf8'), name).toBe(text);
  });
});
