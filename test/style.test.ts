/**
 * No line of code in src/ or web/src is longer than 140 characters, tests included. Prettier wraps code at 120 but
 * leaves long strings, template literals and comments as they are; a line past 140 is usually a message or a piece
 * of markup that wants splitting, or a part that wants a name. ESLint's core `max-len` is deprecated, so the rule
 * lives here.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const MAX = 140;
const root = fileURLToPath(new URL('..', import.meta.url));
const CODE = /\.(tsx?|[cm]?js|css)$/;

function codeFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return codeFiles(path);
    return CODE.test(entry.name) ? [path] : [];
  });
}

/** `file:line (length)` for each line longer than `max` characters (code points, not UTF-16 units). */
function longLines(file: string, text: string, max = MAX): string[] {
  return text.split(/\r?\n/).flatMap((line, i) => {
    const length = [...line].length;
    return length > max ? [`${file}:${i + 1} (${length})`] : [];
  });
}

describe('line length', () => {
  it(`no line in src/ or web/src is longer than ${MAX} characters`, () => {
    const files = [...codeFiles(join(root, 'src')), ...codeFiles(join(root, 'web', 'src'))];
    expect(files.length).toBeGreaterThan(100);
    const long = files.flatMap((f) => longLines(relative(root, f).split(sep).join('/'), readFileSync(f, 'utf8')));
    expect(long, `lines over ${MAX} characters (split the string, or name a part):\n${long.join('\n')}`).toEqual([]);
  });

  it('names the file, line and length of each long line, counting characters rather than bytes', () => {
    const text = ['short', 'x'.repeat(141), '→'.repeat(140), `${'y'.repeat(150)}\r`, ''].join('\n');
    expect(longLines('src/a.ts', text)).toEqual(['src/a.ts:2 (141)', 'src/a.ts:4 (150)']);
  });
});
