/**
 * Files → definitions. Reads every YAML document, validates it against its kind's schema and keeps the parsed
 * document so that any node can be located by path afterwards. Collects every problem instead of stopping at the
 * first. (Minimal version: lint and expression checks live beside it.)
 */
import { readFile, readdir, stat } from 'node:fs/promises';
import { isAbsolute, join, relative } from 'node:path';
import { parseAllDocuments, isMap, isScalar, isSeq, type Document as YamlDocument, type Node as YamlNode } from 'yaml';
import {
  API_VERSION,
  documentSchemas,
  Kind,
  type Definitions,
  type Document,
  type SourceRef,
} from '../model/definitions.js';
import type { Diagnostic } from './diagnostic.js';
import { closest } from './suggest.js';

export interface LoadResult {
  readonly definitions: Definitions;
  readonly diagnostics: readonly Diagnostic[];
  /**
   * `Kind/name` of documents that were recognised but failed their schema, so that later checks do not also
   * report every reference to them as dangling.
   */
  readonly invalid: ReadonlySet<string>;
}

interface Located {
  readonly file: string;
  readonly doc: YamlDocument.Parsed;
  readonly lines: LineIndex;
  readonly text: string;
}

/** Expands directories into every `.yaml`/`.yml` below them, sorted so that output is stable. */
export async function expandPaths(paths: readonly string[]): Promise<{ files: string[]; diagnostics: Diagnostic[] }> {
  const files: string[] = [];
  const diagnostics: Diagnostic[] = [];
  const walk = async (p: string): Promise<void> => {
    let s;
    try {
      s = await stat(p);
    } catch {
      diagnostics.push({
        code: 'E_FILE',
        severity: 'error',
        message: 'no such file or directory',
        file: p,
        line: 1,
        column: 1,
      });
      return;
    }
    if (s.isDirectory()) {
      let entries: string[];
      try {
        entries = (await readdir(p)).sort();
      } catch (e) {
        diagnostics.push({
          code: 'E_FILE',
          severity: 'error',
          message: `cannot read the directory: ${reason(e)}`,
          file: p,
          line: 1,
          column: 1,
        });
        return;
      }
      for (const e of entries) {
        const child = join(p, e);
        // A broken link or an unreadable entry below a directory is skipped, as any other non-YAML file.
        const cs = await stat(child).catch(() => undefined);
        if (cs?.isDirectory() === true || (cs?.isFile() === true && /\.ya?ml$/.test(e))) await walk(child);
      }
    } else files.push(p);
  };
  for (const p of paths) {
    const before = files.length;
    const errors = diagnostics.length;
    await walk(p);
    if (files.length === before && diagnostics.length === errors) {
      diagnostics.push({
        code: 'E_FILE',
        severity: 'error',
        message: 'no .yaml or .yml files here',
        file: p,
        line: 1,
        column: 1,
      });
    }
  }
  return { files, diagnostics };
}

/**
 * Line and column of an offset, built on first use: most files have nothing to report, and counting lines while
 * parsing costs a good part of the parse.
 */
class LineIndex {
  private starts: number[] | undefined;

  constructor(private readonly text: string) {}

  linePos(offset: number): { line: number; col: number } {
    if (!this.starts) {
      const starts = [0];
      for (let i = this.text.indexOf('\n'); i >= 0; i = this.text.indexOf('\n', i + 1)) starts.push(i + 1);
      this.starts = starts;
    }
    const starts = this.starts;
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((starts[mid] ?? 0) <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, col: offset - (starts[lo] ?? 0) + 1 };
  }
}

/** A path as people expect to read it: relative below the working directory, as given elsewhere. */
function displayPath(file: string): string {
  const rel = relative(process.cwd(), file);
  return rel === '' || rel.startsWith('..') || isAbsolute(rel) ? file : rel;
}

function reason(e: unknown): string {
  const code = (e as { code?: unknown }).code;
  return typeof code === 'string' ? code : e instanceof Error ? e.message : String(e);
}

/**
 * `kind "Runbok" is not one of Fleet, …; did you mean "Runbook"?`: names the value given, so that a typo is seen at
 * once, and the closest allowed value when one is near.
 */
function notOneOf(field: string, value: unknown, allowed: readonly string[]): string {
  const expected = allowed.length === 1 ? (allowed[0] ?? '') : `one of ${allowed.join(', ')}`;
  if (value === undefined) return `${field} is missing: it must be ${expected}`;
  const shown = typeof value === 'string' ? `"${value}"` : (JSON.stringify(value) ?? typeof value);
  const hint = typeof value === 'string' ? closest(value, allowed) : undefined;
  return `${field} ${shown} is not ${expected}${hint !== undefined ? `; did you mean "${hint}"?` : ''}`;
}

export function positionOf(located: Located, node: YamlNode | null | undefined): SourceRef {
  const offset = node?.range?.[0] ?? located.doc.contents?.range?.[0] ?? 0;
  const { line, col } = located.lines.linePos(offset);
  return { file: located.file, line, column: col };
}

/**
 * Position of the character at `offset` inside the string at `path` (an expression inside a condition). Exact when
 * the scalar's source holds its value verbatim (plain, or quoted without escapes); otherwise the node's position.
 */
export function positionInText(located: Located, node: YamlNode | null | undefined, offset: number): SourceRef {
  if (isScalar(node) && typeof node.value === 'string' && node.range) {
    const raw = located.text.slice(node.range[0], node.range[1]);
    const at = raw.indexOf(node.value);
    if (at >= 0) {
      const { line, col } = located.lines.linePos(node.range[0] + at + Math.min(offset, node.value.length));
      return { file: located.file, line, column: col };
    }
    // A block scalar (`|`) keeps the lines of the value, indented: find the line holding the offset.
    const before = node.value.slice(0, offset);
    const lineIndex = before.split('\n').length - 1;
    const lineText = node.value.split('\n')[lineIndex] ?? '';
    const column = before.length - (before.lastIndexOf('\n') + 1);
    const where = lineText === '' ? -1 : raw.indexOf(lineText);
    if (where >= 0) {
      const { line, col } = located.lines.linePos(node.range[0] + where + column);
      return { file: located.file, line, column: col };
    }
  }
  return positionOf(located, node);
}

/** The deepest node along `path` that exists in the document. */
export function nodeAt(doc: YamlDocument.Parsed, path: readonly (string | number)[]): YamlNode | undefined {
  let node: unknown = doc.contents;
  for (const key of path) {
    if (isMap(node)) {
      const pair = node.items.find((it) => (it.key as { value?: unknown } | null)?.value === key);
      if (!pair) break;
      node = pair.value ?? pair.key;
    } else if (isSeq(node) && typeof key === 'number') {
      const item = node.items[key];
      if (item === undefined) break;
      node = item;
    } else break;
  }
  return node as YamlNode | undefined;
}

export async function loadDefinitions(paths: readonly string[]): Promise<LoadResult> {
  const { files, diagnostics } = await expandPaths(paths);
  const maps = {
    Fleet: new Map<string, Document>(),
    TaskTemplate: new Map<string, Document>(),
    Runbook: new Map<string, Document>(),
    Plan: new Map<string, Document>(),
    Scenario: new Map<string, Document>(),
  } satisfies Record<Kind, Map<string, Document>>;
  const where = new Map<string, Located>();
  const invalid = new Set<string>();

  for (const file of files) {
    const shown = displayPath(file);
    let text: string;
    try {
      const bytes = await readFile(file);
      // A NUL byte never occurs in YAML text: this is a binary file, and its "errors" would be noise.
      if (bytes.includes(0)) {
        diagnostics.push({
          code: 'E_FILE',
          severity: 'error',
          message: 'not a text file',
          file: shown,
          line: 1,
          column: 1,
        });
        continue;
      }
      text = bytes.toString('utf8');
    } catch (e) {
      diagnostics.push({
        code: 'E_FILE',
        severity: 'error',
        message: `cannot read the file: ${reason(e)}`,
        file: shown,
        line: 1,
        column: 1,
      });
      continue;
    }
    const lines = new LineIndex(text);
    let documents = 0;
    let parsedDocs;
    try {
      parsedDocs = parseAllDocuments(text, { prettyErrors: false });
    } catch (e) {
      diagnostics.push({
        code: 'E_YAML',
        severity: 'error',
        message: e instanceof Error ? e.message : String(e),
        file: shown,
        line: 1,
        column: 1,
      });
      continue;
    }
    // parseAllDocuments gives an empty list for an empty file, and a lone document otherwise.
    for (const doc of Array.isArray(parsedDocs) ? parsedDocs : [parsedDocs]) {
      const located: Located = { file: shown, doc, lines, text };
      for (const err of doc.errors) {
        const { line, col } = lines.linePos(err.pos[0]);
        diagnostics.push({
          code: 'E_YAML',
          severity: 'error',
          message: err.message.split('\n')[0] ?? err.message,
          file: shown,
          line,
          column: col,
        });
      }
      if (doc.errors.length > 0 || doc.contents === null) continue;
      documents++;
      let js: { kind?: unknown; metadata?: { name?: unknown } } | null;
      try {
        js = doc.toJS({ maxAliasCount: 1000 }) as typeof js;
      } catch (e) {
        const at = positionOf(located, doc.contents);
        diagnostics.push({
          code: 'E_YAML',
          severity: 'error',
          message: e instanceof Error ? e.message : String(e),
          ...at,
        });
        continue;
      }
      if (js === null || typeof js !== 'object' || Array.isArray(js)) {
        const at = positionOf(located, doc.contents);
        diagnostics.push({
          code: 'E_SCHEMA',
          severity: 'error',
          message: 'a definition is a mapping with apiVersion, kind, metadata and spec',
          ...at,
        });
        continue;
      }
      const kind = Kind.safeParse(js.kind);
      if (!kind.success) {
        const at = positionOf(located, nodeAt(doc, ['kind']));
        diagnostics.push({
          code: 'E_SCHEMA',
          severity: 'error',
          message: notOneOf('kind', js.kind, Kind.options),
          ...at,
        });
        continue;
      }
      if ((js as { apiVersion?: unknown }).apiVersion !== API_VERSION) {
        // Another version may have another schema: its other fields would only add noise.
        const at = positionOf(located, nodeAt(doc, ['apiVersion']));
        diagnostics.push({
          code: 'E_SCHEMA',
          severity: 'error',
          message: notOneOf('apiVersion', (js as { apiVersion?: unknown }).apiVersion, [API_VERSION]),
          ...at,
        });
        continue;
      }
      let parsed;
      try {
        parsed = documentSchemas[kind.data].safeParse(js);
      } catch (e) {
        diagnostics.push({
          code: 'E_SCHEMA',
          severity: 'error',
          message: e instanceof Error ? e.message : String(e),
          ...positionOf(located, doc.contents),
        });
        continue;
      }
      if (!parsed.success) {
        const name = js.metadata?.name;
        if (typeof name === 'string') invalid.add(`${kind.data}/${name}`);
        for (const issue of parsed.error.issues) {
          const path = issue.path as (string | number)[];
          if (issue.code === 'unrecognized_keys') {
            // Point at each misspelt key rather than at the mapping holding it.
            for (const key of issue.keys) {
              const at = positionOf(located, nodeAt(doc, [...path, key]));
              diagnostics.push({
                code: 'E_SCHEMA',
                severity: 'error',
                message: `${[...path, key].join('.')}: unknown key "${key}"`,
                ...at,
              });
            }
            continue;
          }
          const at = positionOf(located, nodeAt(doc, path));
          const message = /received undefined$/.test(issue.message) ? 'missing' : issue.message;
          diagnostics.push({
            code: 'E_SCHEMA',
            severity: 'error',
            message: `${path.join('.') || '(document)'}: ${message}`,
            ...at,
          });
        }
        continue;
      }
      const name = parsed.data.metadata.name;
      const key = `${kind.data}/${name}`;
      if (maps[kind.data].has(name)) {
        const at = positionOf(located, nodeAt(doc, ['metadata', 'name']));
        const first = where.get(key);
        const firstAt = first ? positionOf(first, nodeAt(first.doc, ['metadata', 'name'])) : undefined;
        diagnostics.push({
          code: 'E_DUPLICATE',
          severity: 'error',
          message: `duplicate ${kind.data} "${name}"${firstAt ? ` (first defined at ${firstAt.file}:${firstAt.line})` : ''}`,
          ...at,
        });
        continue;
      }
      maps[kind.data].set(name, parsed.data);
      where.set(key, located);
    }
    if (documents === 0 && !diagnostics.some((d) => d.file === shown)) {
      diagnostics.push({
        code: 'E_FILE',
        severity: 'warning',
        message: 'no definitions in this file',
        file: shown,
        line: 1,
        column: 1,
      });
    }
  }

  const loaded = Object.values(maps).reduce((n, m) => n + m.size, 0);
  if (loaded === 0 && invalid.size === 0 && !diagnostics.some((d) => d.severity === 'error')) {
    diagnostics.push({
      code: 'E_FILE',
      severity: 'error',
      message: 'no definitions found',
      file: paths[0] ?? '.',
      line: 1,
      column: 1,
    });
  }

  const definitions: Definitions = {
    fleets: maps.Fleet as Definitions['fleets'],
    templates: maps.TaskTemplate as Definitions['templates'],
    runbooks: maps.Runbook as Definitions['runbooks'],
    plans: maps.Plan as Definitions['plans'],
    scenarios: maps.Scenario as Definitions['scenarios'],
    locate(kind, name, path = []) {
      const located = where.get(`${kind}/${name}`);
      return located ? positionOf(located, nodeAt(located.doc, path)) : undefined;
    },
    locateText(kind, name, path, offset) {
      const located = where.get(`${kind}/${name}`);
      return located ? positionInText(located, nodeAt(located.doc, path), offset) : undefined;
    },
  };
  return { definitions, diagnostics, invalid };
}
