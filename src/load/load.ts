/**
 * Files → definitions. Reads every YAML document, validates it against its kind's schema and keeps the parsed
 * document so that any node can be located by path afterwards. Collects every problem instead of stopping at the
 * first. (Minimal version: lint and expression checks live beside it.)
 */
import { readFile, readdir, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { LineCounter, parseAllDocuments, isMap, isSeq, type Document as YamlDocument, type Node as YamlNode } from 'yaml';
import { documentSchemas, Kind, type Definitions, type Document, type SourceRef } from '../model/definitions.js';
import type { Diagnostic } from './diagnostic.js';

export interface LoadResult {
  readonly definitions: Definitions;
  readonly diagnostics: readonly Diagnostic[];
}

interface Located {
  readonly file: string;
  readonly doc: YamlDocument.Parsed;
  readonly lines: LineCounter;
}

/** Expands directories into every `.yaml`/`.yml` below them, sorted so that output is stable. */
export async function expandPaths(paths: readonly string[]): Promise<{ files: string[]; diagnostics: Diagnostic[] }> {
  const files: string[] = [];
  const diagnostics: Diagnostic[] = [];
  const walk = async (p: string): Promise<void> => {
    let s;
    try { s = await stat(p); } catch {
      diagnostics.push({ code: 'E_FILE', severity: 'error', message: 'no such file or directory', file: p, line: 1, column: 1 });
      return;
    }
    if (s.isDirectory()) {
      const entries = (await readdir(p)).sort();
      for (const e of entries) {
        const child = join(p, e);
        const cs = await stat(child);
        if (cs.isDirectory() || /\.ya?ml$/.test(e)) await walk(child);
      }
    } else files.push(p);
  };
  for (const p of paths) await walk(p);
  return { files, diagnostics };
}

export function positionOf(located: Located, node: YamlNode | null | undefined): SourceRef {
  const offset = node?.range?.[0] ?? located.doc.contents?.range?.[0] ?? 0;
  const { line, col } = located.lines.linePos(offset);
  return { file: located.file, line, column: col };
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
    Fleet: new Map<string, Document>(), TaskTemplate: new Map<string, Document>(), Runbook: new Map<string, Document>(),
    Plan: new Map<string, Document>(), Scenario: new Map<string, Document>(),
  } satisfies Record<Kind, Map<string, Document>>;
  const where = new Map<string, Located>();

  for (const file of files) {
    const text = await readFile(file, 'utf8');
    const lines = new LineCounter();
    const shown = relative(process.cwd(), file) || file;
    for (const doc of parseAllDocuments(text, { lineCounter: lines, prettyErrors: false })) {
      const located: Located = { file: shown, doc, lines };
      for (const err of doc.errors) {
        const { line, col } = lines.linePos(err.pos[0]);
        diagnostics.push({ code: 'E_YAML', severity: 'error', message: err.message.split('\n')[0] ?? err.message, file: shown, line, column: col });
      }
      if (doc.errors.length > 0 || doc.contents === null) continue;
      const js = doc.toJS() as { kind?: unknown; metadata?: { name?: unknown } } | null;
      const kind = Kind.safeParse(js?.kind);
      if (!kind.success) {
        const at = positionOf(located, nodeAt(doc, ['kind']));
        diagnostics.push({ code: 'E_SCHEMA', severity: 'error', message: `kind must be one of ${Kind.options.join(', ')}`, ...at });
        continue;
      }
      const parsed = documentSchemas[kind.data].safeParse(js);
      if (!parsed.success) {
        for (const issue of parsed.error.issues) {
          const at = positionOf(located, nodeAt(doc, issue.path as (string | number)[]));
          diagnostics.push({ code: 'E_SCHEMA', severity: 'error', message: `${issue.path.join('.') || '(document)'}: ${issue.message}`, ...at });
        }
        continue;
      }
      const name = parsed.data.metadata.name;
      const key = `${kind.data}/${name}`;
      if (maps[kind.data].has(name)) {
        const at = positionOf(located, nodeAt(doc, ['metadata', 'name']));
        const first = where.get(key);
        const firstAt = first ? positionOf(first, nodeAt(first.doc, ['metadata', 'name'])) : undefined;
        diagnostics.push({ code: 'E_DUPLICATE', severity: 'error', message: `duplicate ${kind.data} "${name}"${firstAt ? ` (first defined at ${firstAt.file}:${firstAt.line})` : ''}`, ...at });
        continue;
      }
      maps[kind.data].set(name, parsed.data);
      where.set(key, located);
    }
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
  };
  return { definitions, diagnostics };
}
