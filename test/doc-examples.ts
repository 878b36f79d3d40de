/**
 * The TypeScript examples of docs/typescript.md, as the tests run them: each is the fenced `ts` block whose first
 * line is `// NAME — …`, so that the page cannot show code that does not work.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const PAGE = join(import.meta.dirname, '..', 'docs', 'typescript.md');

export function docExample(name: string): string {
  const text = readFileSync(PAGE, 'utf8');
  for (const m of text.matchAll(/```ts\n([\s\S]*?)```/g)) {
    const code = m[1] ?? '';
    if (code.startsWith(`// ${name} `)) return code;
  }
  throw new Error(`docs/typescript.md has no \`ts\` block starting with "// ${name} "`);
}
