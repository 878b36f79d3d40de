/**
 * Sources → definitions. Reads every YAML document of the files and directories given, the documents listed by the
 * `.ts`/`.mjs` modules given by name, and documents given as objects; validates each against its kind's schema and
 * keeps where it came from, so that any node can be located by path afterwards. Collects every problem instead of
 * stopping at the first. (Lint and expression checks live beside it.)
 */
import { readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { parseAllDocuments, type Document as YamlDocument } from 'yaml';
import { definedAt, type DefinedAt, type DefinitionDocument } from '../model/define.js';
import {
  API_VERSION,
  documentSchemas,
  Kind,
  type Definitions,
  type Document,
  type SourceRef,
} from '../model/definitions.js';
import { diagnosticAt, type Diagnostic } from './diagnostic.js';
import { displayPath, filePath, importDefinitions, isDefinitionsModule } from './module.js';
import { closest } from '../model/suggest.js';
import { explainYamlError } from './yaml-errors.js';
import { unknownKeyHint } from './key-hints.js';
import { schemaMessage, valueAt } from './schema-messages.js';
import { keyNodeAt, LineIndex, nodeAt, positionInText, positionOf, type Located } from './yaml-position.js';

/**
 * What the loader reads: a path (a YAML file, a directory of them, or a `.ts`/`.mjs` definitions module), or a
 * document built in code (with the `define…` helpers, or by hand).
 */
export type DefinitionSource = string | DefinitionDocument;

export interface LoadResult {
  readonly definitions: Definitions;
  readonly diagnostics: readonly Diagnostic[];
  /**
   * `Kind/name` of documents that were recognised but failed their schema, so that later checks do not also
   * report every reference to them as dangling.
   */
  readonly invalid: ReadonlySet<string>;
}

type Path = readonly (string | number)[];

/** Where one document came from, able to place any node of it. */
interface Origin {
  /** The document was built in code: its nodes have no lines, so messages carry a pointer to the node instead. */
  readonly inCode: boolean;
  at(path: Path): SourceRef;
  /** The key of the pair at `path` rather than its value (where an unknown key is). */
  atKey(path: Path): SourceRef;
  atText(path: Path, offset: number): SourceRef;
}

function yamlOrigin(located: Located): Origin {
  return {
    inCode: false,
    at: (path) => positionOf(located, nodeAt(located.doc, path)),
    atKey: (path) => positionOf(located, keyNodeAt(located.doc, path)),
    atText: (path, offset) => positionInText(located, nodeAt(located.doc, path), offset),
  };
}

/**
 * A document built in code. Every node is placed at the `define…()` call that made the document when that is known
 * (else at the top of `file`), and named by a pointer: `Runbook/web-drain spec.tasks.1.template`.
 */
function codeOrigin(file: string, made: DefinedAt | undefined, label: string): Origin {
  const place = made
    ? { file: displayPath(filePath(made.file)), line: made.line, column: made.column }
    : { file, line: 1, column: 1 };
  const at = (path: Path): SourceRef => ({ ...place, pointer: path.length > 0 ? `${label} ${path.join('.')}` : label });
  return { inCode: true, at, atKey: at, atText: (path) => at(path) };
}

/** Expands directories into every `.yaml`/`.yml` below them, sorted so that output is stable. */
export async function expandPaths(paths: readonly string[]): Promise<{ files: string[]; diagnostics: Diagnostic[] }> {
  const files: string[] = [];
  const diagnostics: Diagnostic[] = [];
  // A module found in a directory is not run: code runs only when named (`-f defs.ts`), never because it lies there.
  let modulesSkipped = 0;
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
        // Installed packages and hidden folders (.git, .github) hold other tools' YAML, never definitions.
        if (cs?.isDirectory() === true && (e === 'node_modules' || e.startsWith('.'))) continue;
        if (cs?.isDirectory() === true || (cs?.isFile() === true && /\.ya?ml$/.test(e))) await walk(child);
        else if (cs?.isFile() === true && isDefinitionsModule(e)) modulesSkipped++;
      }
    } else files.push(p);
  };
  for (const p of paths) {
    const before = files.length;
    const errors = diagnostics.length;
    modulesSkipped = 0;
    await walk(p);
    if (files.length === before && diagnostics.length === errors) {
      const hint = modulesSkipped > 0 ? ' (a .ts or .mjs module is read only when given by name: -f FILE)' : '';
      diagnostics.push({
        code: 'E_FILE',
        severity: 'error',
        message: `no .yaml or .yml files here${hint}`,
        file: p,
        line: 1,
        column: 1,
      });
    }
  }
  return { files, diagnostics };
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

/** How a document built in code is named before it is known to be valid: `Runbook/web-drain`, or `document 3`. */
function labelOf(js: unknown, index: number): string {
  const doc = js as { kind?: unknown; metadata?: { name?: unknown } } | null;
  const kind = typeof doc === 'object' && doc !== null ? doc.kind : undefined;
  const name = typeof doc === 'object' && doc !== null ? doc.metadata?.name : undefined;
  return Kind.safeParse(kind).success && typeof name === 'string' ? `${String(kind)}/${name}` : `document ${index}`;
}

/** Where documents given as objects are said to be when they do not know the line that made them. */
const IN_CODE = '(code)';

export async function loadDefinitions(sources: readonly DefinitionSource[]): Promise<LoadResult> {
  const paths = sources.filter((s): s is string => typeof s === 'string');
  const given = sources.filter((s) => typeof s !== 'string');
  // Documents alone need no path; no source at all is "no definitions found" in the working directory.
  const { files, diagnostics } = await expandPaths(paths.length > 0 || given.length > 0 ? paths : []);
  const maps = {
    Fleet: new Map<string, Document>(),
    TaskTemplate: new Map<string, Document>(),
    Runbook: new Map<string, Document>(),
    Plan: new Map<string, Document>(),
    Scenario: new Map<string, Document>(),
    Schedule: new Map<string, Document>(),
    Trigger: new Map<string, Document>(),
    Notifier: new Map<string, Document>(),
  } satisfies Record<Kind, Map<string, Document>>;
  const where = new Map<string, Origin>();
  const invalid = new Set<string>();

  /** Validates one document and keeps it, or reports why not. */
  const admit = (js: unknown, origin: Origin): void => {
    // Of a document built in code, kind and apiVersion problems name the document, not the field (the message does).
    const fieldAt = (key: string): SourceRef => origin.at(origin.inCode ? [] : [key]);
    if (js === null || typeof js !== 'object' || Array.isArray(js)) {
      const what = origin.inCode ? 'an object' : 'a mapping';
      diagnostics.push(
        diagnosticAt(
          'E_SCHEMA',
          'error',
          origin.at([]),
          `a definition is ${what} with apiVersion, kind, metadata and spec`,
        ),
      );
      return;
    }
    const doc = js as { kind?: unknown; apiVersion?: unknown; metadata?: { name?: unknown } };
    const kind = Kind.safeParse(doc.kind);
    if (!kind.success) {
      diagnostics.push(diagnosticAt('E_SCHEMA', 'error', fieldAt('kind'), notOneOf('kind', doc.kind, Kind.options)));
      return;
    }
    if (doc.apiVersion !== API_VERSION) {
      // Another version may have another schema: its other fields would only add noise.
      const message = notOneOf('apiVersion', doc.apiVersion, [API_VERSION]);
      diagnostics.push(diagnosticAt('E_SCHEMA', 'error', fieldAt('apiVersion'), message));
      return;
    }
    let parsed;
    try {
      parsed = documentSchemas[kind.data].safeParse(js);
    } catch (e) {
      diagnostics.push(diagnosticAt('E_SCHEMA', 'error', origin.at([]), e instanceof Error ? e.message : String(e)));
      return;
    }
    // A YAML node is shown by its line, so the message names its path; a node built in code, by its pointer.
    const pathed = (path: Path, message: string): string =>
      origin.inCode ? message : `${path.join('.') || '(document)'}: ${message}`;
    if (!parsed.success) {
      const name = doc.metadata?.name;
      if (typeof name === 'string') invalid.add(`${kind.data}/${name}`);
      for (const issue of parsed.error.issues) {
        const path = issue.path as (string | number)[];
        if (issue.code === 'unrecognized_keys') {
          // Point at each misspelt key rather than at the mapping holding it.
          for (const key of issue.keys) {
            const keyPath = [...path, key];
            const message = `unknown key "${key}"${unknownKeyHint(kind.data, path, key)}`;
            diagnostics.push(diagnosticAt('E_SCHEMA', 'error', origin.atKey(keyPath), pathed(keyPath, message)));
          }
          continue;
        }
        const message = schemaMessage(issue, valueAt(js, path));
        diagnostics.push(diagnosticAt('E_SCHEMA', 'error', origin.at(path), pathed(path, message)));
      }
      return;
    }
    const name = parsed.data.metadata.name;
    const key = `${kind.data}/${name}`;
    if (maps[kind.data].has(name)) {
      const firstAt = where.get(key)?.at(['metadata', 'name']);
      const first = firstAt ? ` (first defined at ${firstAt.file}:${firstAt.line})` : '';
      diagnostics.push(
        diagnosticAt(
          'E_DUPLICATE',
          'error',
          origin.at(['metadata', 'name']),
          `duplicate ${kind.data} "${name}"${first}`,
        ),
      );
      return;
    }
    maps[kind.data].set(name, parsed.data);
    where.set(key, origin);
  };

  for (const file of files) {
    const shown = displayPath(file);
    let documents: number;
    if (isDefinitionsModule(file)) {
      const loaded = await importDefinitions(file);
      if (!loaded.ok) {
        diagnostics.push(loaded.diagnostic);
        continue;
      }
      loaded.documents.forEach((js, i) => {
        admit(js, codeOrigin(shown, definedAt(js), labelOf(js, i + 1)));
      });
      documents = loaded.documents.length;
    } else {
      const read = await readYaml(file, shown, diagnostics, invalid);
      for (const located of read) {
        let js: unknown;
        try {
          js = located.doc.toJS({ maxAliasCount: 1000 });
        } catch (e) {
          const at = positionOf(located, located.doc.contents);
          diagnostics.push(diagnosticAt('E_YAML', 'error', at, e instanceof Error ? e.message : String(e)));
          continue;
        }
        admit(js, yamlOrigin(located));
      }
      documents = read.length;
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
  given.forEach((js, i) => {
    admit(js, codeOrigin(IN_CODE, definedAt(js), labelOf(js, i + 1)));
  });

  const loaded = Object.values(maps).reduce((n, m) => n + m.size, 0);
  if (loaded === 0 && invalid.size === 0 && !diagnostics.some((d) => d.severity === 'error')) {
    diagnostics.push({
      code: 'E_FILE',
      severity: 'error',
      message: 'no definitions found',
      file: paths[0] ?? (given.length > 0 ? IN_CODE : '.'),
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
    schedules: maps.Schedule as Definitions['schedules'],
    triggers: maps.Trigger as Definitions['triggers'],
    notifiers: maps.Notifier as Definitions['notifiers'],
    locate: (kind, name, path = []) => where.get(`${kind}/${name}`)?.at(path),
    locateText: (kind, name, path, offset) => where.get(`${kind}/${name}`)?.atText(path, offset),
  };
  return { definitions, diagnostics, invalid };
}

/**
 * The YAML documents of one file that parsed, or none when the file cannot be read or is not text. A document that
 * does not parse adds its first syntax error to `diagnostics` and what it would have defined to `invalid`.
 */
async function readYaml(
  file: string,
  shown: string,
  diagnostics: Diagnostic[],
  invalid: Set<string>,
): Promise<Located[]> {
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
      return [];
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
    return [];
  }
  const lines = new LineIndex(text);
  let parsedDocs;
  try {
    parsedDocs = parseAllDocuments(text, { prettyErrors: false });
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    diagnostics.push({ code: 'E_YAML', severity: 'error', message, file: shown, line: 1, column: 1 });
    return [];
  }
  const out: Located[] = [];
  // parseAllDocuments gives an empty list for an empty file, and a lone document otherwise.
  for (const doc of Array.isArray(parsedDocs) ? parsedDocs : [parsedDocs]) {
    // One mistake makes the parser stumble several times after it; the first error is the one to fix.
    const first = doc.errors[0];
    if (first) {
      const problem = explainYamlError(first, text, lines);
      diagnostics.push({ code: 'E_YAML', severity: 'error', file: shown, ...problem });
      // What the document would have defined is not missing: references to it are not reported as unknown.
      const would = wouldDefine(doc, text);
      if (would !== undefined) invalid.add(would);
      continue;
    }
    if (doc.contents === null) continue;
    out.push({ file: shown, doc, lines, text });
  }
  return out;
}

/**
 * `Kind/name` of a document that did not parse, read from what the parser recovered or else from its text, so that
 * a broken fleet file is reported once instead of once more at every plan and scenario that names the fleet.
 */
function wouldDefine(doc: YamlDocument.Parsed, text: string): string | undefined {
  let kind: unknown;
  let name: unknown;
  try {
    kind = doc.get('kind');
    name = doc.getIn(['metadata', 'name']);
  } catch {
    // A document too broken to read: fall back to its text.
  }
  const source = text.slice(doc.range[0], doc.range[2]);
  if (typeof kind !== 'string') kind = /^kind:\s*["']?([A-Za-z]+)/m.exec(source)?.[1];
  if (typeof name !== 'string')
    name =
      /^metadata:\s*\{[^}]*?\bname:\s*["']?([a-z0-9][a-z0-9.-]*)/m.exec(source)?.[1] ??
      /^metadata:[^\S\n]*(?:#.*)?\n(?:[^\S\n]+.*\n)*?[^\S\n]+name:\s*["']?([a-z0-9][a-z0-9.-]*)/m.exec(source)?.[1];
  return Kind.safeParse(kind).success && typeof name === 'string' ? `${String(kind)}/${name}` : undefined;
}
