/**
 * Definitions modules: a `.ts`, `.mts` or `.mjs` file whose default export lists documents, usually made with the
 * `define…` helpers and often generated (one runbook per service). Node imports `.mjs` itself; TypeScript goes
 * through tsx, which is imported only when such a file is given, so that commands reading YAML start as fast as
 * ever. Whatever goes wrong (a syntax error, an exception while the module runs, a default export that is not a
 * list) becomes one diagnostic at the module's file, and at the line when the error says where: never a stack trace.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { isAbsolute, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { frameLocation } from '../model/define.js';
import type { Diagnostic } from './diagnostic.js';

/** The files that are imported as modules rather than read as YAML. */
const MODULE_FILE = /\.(ts|mts|mjs)$/;

export function isDefinitionsModule(file: string): boolean {
  return MODULE_FILE.test(file) && !file.endsWith('.d.ts');
}

export type ModuleResult =
  | { readonly ok: true; readonly documents: readonly unknown[] }
  | { readonly ok: false; readonly diagnostic: Diagnostic };

/** A path as people expect to read it: relative below the working directory. */
export function displayPath(file: string): string {
  const rel = relative(process.cwd(), file);
  return rel === '' || rel.startsWith('..') || isAbsolute(rel) ? file : rel;
}

/** A file path from a path or a `file:` URL, as stack frames and loaders give them. */
export function filePath(fileOrUrl: string): string {
  return fileOrUrl.startsWith('file://') ? fileURLToPath(fileOrUrl.replace(/\?.*$/, '')) : fileOrUrl;
}

interface Place {
  readonly file: string;
  readonly line: number;
  readonly column: number;
}

/** The first frame of a stack in a real file: not `node:` internals, a `data:` URL or a dependency. */
function placeInStack(stack: string | undefined): Place | undefined {
  for (const line of (stack ?? '').split('\n').slice(1)) {
    const at = frameLocation(line);
    if (!at) continue;
    const file = filePath(at.file);
    if (/[\\/]node_modules[\\/]/.test(file)) continue;
    return { file: displayPath(file), line: at.line, column: at.column };
  }
  return undefined;
}

/** esbuild's `file:line:col: ERROR: text`, as tsx reports a TypeScript syntax error (the column counts from 0). */
const TRANSFORM_ERROR = /^(.+?):(\d+):(\d+): ERROR: (.+)$/m;

/**
 * Where a syntax error of an `.mjs` file is: Node's SyntaxError does not say, but `node --check` prints the line and
 * a caret under the column. Run only after an import failed, so it costs nothing otherwise.
 */
function locateSyntaxError(file: string): Place | undefined {
  const r = spawnSync(process.execPath, ['--check', file], { encoding: 'utf8', timeout: 10_000 });
  const lines = (r.stderr ?? '').split('\n');
  const head = /^(.*):(\d+)$/.exec(lines[0] ?? '');
  if (!head) return undefined;
  const caret = (lines[2] ?? '').indexOf('^');
  return { file: displayPath(filePath(head[1] ?? file)), line: Number(head[2]), column: caret >= 0 ? caret + 1 : 1 };
}

/**
 * The file a transform error is about. tsx names an `.mts` or `.cts` file `.ts` (and `.mjs` `.js`) when it hands it
 * to esbuild, so the name in the message may not exist: the file that does is the one meant.
 */
function sourceFile(reported: string): string {
  const path = filePath(reported);
  const candidates = [path, ...['.mts', '.cts'].map((e) => path.replace(/\.ts$/, e)), path.replace(/\.js$/, '.mjs')];
  return candidates.find((c) => existsSync(c)) ?? path;
}

/**
 * A `.ts` file outside a `"type": "module"` package runs as CommonJS: its `export default` arrives as the `default`
 * of the exports object that import() hands over as the default.
 */
function unwrapCommonJs(value: unknown): unknown {
  const exports = value as { __esModule?: unknown; default?: unknown } | null;
  return typeof exports === 'object' && exports !== null && exports.__esModule === true ? exports.default : value;
}

function failure(at: Place, message: string): ModuleResult {
  return { ok: false, diagnostic: { code: 'E_MODULE', severity: 'error', message, ...at } };
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/** Imports a definitions module and returns its documents, or the one diagnostic saying why it cannot. */
export async function importDefinitions(file: string): Promise<ModuleResult> {
  const shown = displayPath(file);
  const top: Place = { file: shown, line: 1, column: 1 };
  const url = pathToFileURL(file).href;
  let namespace: { default?: unknown };
  try {
    if (file.endsWith('.mjs')) {
      namespace = (await import(url)) as { default?: unknown };
    } else {
      const { tsImport } = await import('tsx/esm/api');
      namespace = (await tsImport(url, import.meta.url)) as { default?: unknown };
    }
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    const transform = TRANSFORM_ERROR.exec(message);
    if (transform) {
      const at = {
        file: displayPath(sourceFile(transform[1] ?? file)),
        line: Number(transform[2]),
        column: Number(transform[3]) + 1,
      };
      return failure(at, `syntax error: ${transform[4] ?? message}`);
    }
    const first = message.split('\n')[0] ?? message;
    if (e instanceof SyntaxError) {
      const at = (file.endsWith('.mjs') ? locateSyntaxError(file) : undefined) ?? placeInStack(e.stack) ?? top;
      return failure(at, `syntax error: ${first}`);
    }
    const code = (e as { code?: unknown } | null)?.code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') {
      // Typically `import … from 'maelstrom'` in a project that has not installed the package.
      const hint = /'maelstrom'/.test(first) ? ' (install it where the module is: npm install maelstrom)' : '';
      return failure(top, `an import of the module cannot be found: ${first}${hint}`);
    }
    const name = e instanceof Error ? e.name : 'a value';
    return failure(
      (e instanceof Error ? placeInStack(e.stack) : undefined) ?? top,
      `the module threw ${name}: ${first}`,
    );
  }
  const exported = unwrapCommonJs(namespace.default);
  if (exported === undefined)
    return failure(top, 'the module has no default export: export default a list of documents, [defineFleet(…), …]');
  let documents: unknown;
  try {
    documents = await Promise.resolve(exported);
  } catch (e) {
    const first = (e instanceof Error ? e.message : String(e)).split('\n')[0] ?? '';
    return failure(
      (e instanceof Error ? placeInStack(e.stack) : undefined) ?? top,
      `the default export failed: ${first}`,
    );
  }
  if (!Array.isArray(documents))
    return failure(top, `the default export is ${describe(documents)}, not a list of documents ([defineFleet(…), …])`);
  return { ok: true, documents };
}
