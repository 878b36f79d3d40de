/**
 * The module graph of src/ keeps the shape docs/STYLE.md gives it: no import cycles, and every layer imports only
 * the layers it may. Lint checks the same boundaries file by file; this test sees the whole graph, so it also
 * catches cycles and imports lint cannot resolve (dynamic `import()`, `import('…').T` types, re-exports).
 *
 * Type-only imports count, both for cycles and for layers. They vanish from the emitted JavaScript, but they are
 * still a dependency of the design: a type-only cycle means neither module can be understood, changed or moved
 * without the other, and a `plan` file that names an engine type breaks when the engine changes just as surely as
 * one that calls it. A module that needs a type from a higher layer should have that type moved down (usually to
 * src/model), not imported upward. Messages mark such edges "(type-only)" so that the fix is easy to see.
 */
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));
const srcDir = join(root, 'src');

interface Edge {
  /** Importing file, relative to the repository root with forward slashes. */
  readonly from: string;
  readonly to: string;
  readonly line: number;
  readonly typeOnly: boolean;
}

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...sourceFiles(path));
    else if (/\.tsx?$/.test(entry.name) && !/\.test\.tsx?$/.test(entry.name) && !entry.name.endsWith('.d.ts'))
      out.push(path);
  }
  return out;
}

const rel = (path: string): string => relative(root, path).split(sep).join('/');

/** Resolves a relative specifier the way NodeNext does for our sources: `./x.js` is `./x.ts`. */
function resolveSpecifier(fromFile: string, specifier: string): string | undefined {
  const base = resolve(dirname(fromFile), specifier);
  const candidates = [
    base.replace(/\.js$/, '.ts'),
    base.replace(/\.js$/, '.tsx'),
    base,
    `${base}.ts`,
    join(base, 'index.ts'),
  ];
  return candidates.find((c) => /\.tsx?$/.test(c) && existsSync(c));
}

/** Every relative import of one file: static imports and re-exports, `import()` calls and `import('…')` types. */
function importsOf(file: string): Edge[] {
  const text = readFileSync(file, 'utf8');
  const source = ts.createSourceFile(
    file,
    text,
    ts.ScriptTarget.Latest,
    true,
    file.endsWith('.tsx') ? ts.ScriptKind.TSX : ts.ScriptKind.TS,
  );
  const edges: Edge[] = [];
  const add = (literal: ts.Node | undefined, typeOnly: boolean): void => {
    if (!literal || !ts.isStringLiteralLike(literal) || !literal.text.startsWith('.')) return;
    const target = resolveSpecifier(file, literal.text);
    if (target === undefined || !target.startsWith(srcDir + sep)) return;
    const line = source.getLineAndCharacterOfPosition(literal.getStart(source)).line + 1;
    edges.push({ from: rel(file), to: rel(target), line, typeOnly });
  };
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node)) {
      const clause = node.importClause;
      // `import { type A } from` still loads the module under verbatimModuleSyntax; only a type-only clause does not.
      const typeOnly =
        clause !== undefined &&
        (clause.isTypeOnly ||
          (clause.name === undefined &&
            clause.namedBindings !== undefined &&
            ts.isNamedImports(clause.namedBindings) &&
            clause.namedBindings.elements.length > 0 &&
            clause.namedBindings.elements.every((e) => e.isTypeOnly)));
      add(node.moduleSpecifier, typeOnly);
    } else if (ts.isExportDeclaration(node)) {
      add(node.moduleSpecifier, node.isTypeOnly);
    } else if (ts.isImportTypeNode(node)) {
      const arg = node.argument;
      if (ts.isLiteralTypeNode(arg)) add(arg.literal, true);
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      add(node.arguments[0], false);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return edges;
}

const files = sourceFiles(srcDir).map(rel).sort();
const edges = files.flatMap((f) => importsOf(join(root, f)));

const describeEdge = (e: Edge): string => `${e.from}:${e.line} → ${e.to}${e.typeOnly ? ' (type-only)' : ''}`;

/** One cycle per strongly connected component of size > 1 (or a self-import), as a path back to its start. */
function findCycles(): string[][] {
  const succ = new Map<string, Edge[]>(files.map((f) => [f, []]));
  for (const e of edges) succ.get(e.from)?.push(e);
  // Tarjan's algorithm, iterative so that a deep graph cannot overflow the stack.
  const indexOf = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const components: string[][] = [];
  let next = 0;
  for (const start of files) {
    if (indexOf.has(start)) continue;
    const work: { node: string; i: number }[] = [{ node: start, i: 0 }];
    indexOf.set(start, next);
    low.set(start, next);
    next++;
    stack.push(start);
    onStack.add(start);
    while (work.length > 0) {
      const frame = work[work.length - 1]!;
      const out = succ.get(frame.node) ?? [];
      if (frame.i < out.length) {
        const to = out[frame.i++]!.to;
        if (!indexOf.has(to)) {
          indexOf.set(to, next);
          low.set(to, next);
          next++;
          stack.push(to);
          onStack.add(to);
          work.push({ node: to, i: 0 });
        } else if (onStack.has(to)) {
          low.set(frame.node, Math.min(low.get(frame.node)!, indexOf.get(to)!));
        }
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent) low.set(parent.node, Math.min(low.get(parent.node)!, low.get(frame.node)!));
      if (low.get(frame.node) === indexOf.get(frame.node)) {
        const component: string[] = [];
        let n: string;
        do {
          n = stack.pop()!;
          onStack.delete(n);
          component.push(n);
        } while (n !== frame.node);
        const selfLoop = out.some((e) => e.to === frame.node);
        if (component.length > 1 || selfLoop) components.push(component);
      }
    }
  }
  // Within each component, the shortest path from its first file back to itself (breadth-first).
  return components.map((component) => {
    const members = new Set(component);
    const first = [...component].sort()[0]!;
    const previous = new Map<string, Edge>();
    const queue = [first];
    let closing: Edge | undefined;
    while (queue.length > 0 && closing === undefined) {
      const node = queue.shift()!;
      for (const e of succ.get(node) ?? []) {
        if (!members.has(e.to)) continue;
        if (e.to === first) {
          closing = e;
          break;
        }
        if (!previous.has(e.to)) {
          previous.set(e.to, e);
          queue.push(e.to);
        }
      }
    }
    const path: Edge[] = [];
    for (let e = closing; e !== undefined; e = e.from === first ? undefined : previous.get(e.from)) path.unshift(e);
    return path.map(describeEdge);
  });
}

/** The layer of a file: its folder under src/ ("main" for src/main.ts). */
const layerOf = (file: string): string =>
  file
    .replace(/^src\//, '')
    .split('/')[0]!
    .replace(/\.tsx?$/, '');

/** A concrete backend or store lives in a folder of its own under src/backends or src/store. */
const isConcreteBackend = (file: string): boolean => /^src\/backends\/[^/]+\//.test(file);
const isConcreteStore = (file: string): boolean => /^src\/store\/[^/]+\//.test(file);

/**
 * Cycles between folders of src/ (the layers), each as a path of folders back to its start. A file-level check
 * misses a loop such as engine → stages → engine made of files that do not import each other; this sees it.
 */
function findFolderCycles(graph: readonly Pick<Edge, 'from' | 'to'>[]): string[][] {
  const succ = new Map<string, Set<string>>();
  for (const e of graph) {
    const a = layerOf(e.from);
    const b = layerOf(e.to);
    if (a === b) continue;
    if (!succ.has(a)) succ.set(a, new Set());
    succ.get(a)!.add(b);
  }
  const cycles: string[][] = [];
  const seen = new Set<string>();
  for (const start of [...succ.keys()].sort()) {
    // Shortest way back to `start`, breadth-first; each cycle is reported once, from its alphabetically first folder.
    const previous = new Map<string, string>();
    const queue = [start];
    let closing: string | undefined;
    while (queue.length > 0 && closing === undefined) {
      const node = queue.shift()!;
      for (const next of [...(succ.get(node) ?? [])].sort()) {
        if (next === start) {
          closing = node;
          break;
        }
        if (!previous.has(next)) {
          previous.set(next, node);
          queue.push(next);
        }
      }
    }
    if (closing === undefined) continue;
    const path = [start];
    for (let n: string | undefined = closing; n !== undefined && n !== start; n = previous.get(n)) path.splice(1, 0, n);
    path.push(start);
    const key = [...new Set(path)].sort().join(' ');
    if (seen.has(key)) continue;
    seen.add(key);
    cycles.push(path);
  }
  return cycles;
}

/** The imports between folders, for messages: one example file edge per folder pair. */
function folderEdgeExamples(): Map<string, string> {
  const out = new Map<string, string>();
  for (const e of edges) {
    const key = `${layerOf(e.from)} → ${layerOf(e.to)}`;
    if (layerOf(e.from) !== layerOf(e.to) && !out.has(key)) out.set(key, describeEdge(e));
  }
  return out;
}

interface Rule {
  readonly name: string;
  readonly appliesTo: (file: string) => boolean;
  readonly forbids: (target: string) => boolean;
}

const rules: readonly Rule[] = [
  {
    name: 'src/model imports nothing of ours outside src/model',
    appliesTo: (f) => layerOf(f) === 'model',
    forbids: (t) => layerOf(t) !== 'model',
  },
  {
    name: 'src/plan never imports engine, backends, store, server, cli, sim or stages',
    appliesTo: (f) => layerOf(f) === 'plan',
    forbids: (t) => ['engine', 'backends', 'store', 'server', 'cli', 'sim', 'stages'].includes(layerOf(t)),
  },
  {
    name: 'src/engine and src/stages never import src/sim, a concrete backend or a concrete store',
    appliesTo: (f) => ['engine', 'stages'].includes(layerOf(f)),
    forbids: (t) => layerOf(t) === 'sim' || isConcreteBackend(t) || isConcreteStore(t),
  },
  {
    name: 'src/engine is handed its stage library and plan compiler: it never imports src/plan or src/stages/index.ts',
    appliesTo: (f) => layerOf(f) === 'engine',
    forbids: (t) => layerOf(t) === 'plan' || t === 'src/stages/index.ts',
  },
  {
    name: 'src/compose builds controllers for the CLI and the server, never the other way round',
    appliesTo: (f) => layerOf(f) === 'compose',
    forbids: (t) => ['cli', 'server', 'main'].includes(layerOf(t)),
  },
  {
    name: 'src/sim never imports engine, stages, store, server, cli or backends',
    appliesTo: (f) => layerOf(f) === 'sim',
    forbids: (t) => ['engine', 'stages', 'store', 'server', 'cli', 'backends'].includes(layerOf(t)),
  },
  {
    name: 'src/pacing imports only src/model',
    appliesTo: (f) => layerOf(f) === 'pacing',
    forbids: (t) => !['model', 'pacing'].includes(layerOf(t)),
  },
  {
    name: 'src/expr imports only src/model',
    appliesTo: (f) => layerOf(f) === 'expr',
    forbids: (t) => !['model', 'expr'].includes(layerOf(t)),
  },
  {
    name: 'src/faults is pure: it imports only src/model, src/expr and src/sim',
    appliesTo: (f) => layerOf(f) === 'faults',
    forbids: (t) => !['model', 'expr', 'sim', 'faults'].includes(layerOf(t)),
  },
  {
    name: 'src/link imports only src/model',
    appliesTo: (f) => layerOf(f) === 'link',
    forbids: (t) => !['model', 'link'].includes(layerOf(t)),
  },
  {
    name: 'src/stages never imports src/engine',
    appliesTo: (f) => layerOf(f) === 'stages',
    forbids: (t) => layerOf(t) === 'engine',
  },
  {
    name: 'src/schedule runs on a controller: it never imports server, cli or load',
    appliesTo: (f) => layerOf(f) === 'schedule',
    forbids: (t) => ['server', 'cli', 'main', 'load'].includes(layerOf(t)),
  },
  {
    name: 'src/alerts and src/notify talk to the engine through its Controller interface: no server, cli, sim, backend or concrete store',
    appliesTo: (f) => ['alerts', 'notify'].includes(layerOf(f)),
    forbids: (t) =>
      ['server', 'cli', 'compose', 'sim', 'backends', 'stages', 'plan'].includes(layerOf(t)) || isConcreteStore(t),
  },
  {
    name: 'src/report reads plain data: it never imports drill, backends, store or stages',
    appliesTo: (f) => layerOf(f) === 'report',
    forbids: (t) => ['drill', 'backends', 'store', 'stages'].includes(layerOf(t)),
  },
];

describe('architecture', () => {
  it('reads the module graph of src/', () => {
    // Guards the test itself: a parser that found nothing would make every assertion below pass vacuously.
    expect(files.length).toBeGreaterThan(50);
    expect(edges.length).toBeGreaterThan(files.length);
  });

  it('the module graph of src/ has no import cycle', () => {
    const cycles = findCycles().map((path) => path.join('\n  '));
    expect(cycles, `import cycles (each path leads back to its first file):\n  ${cycles.join('\n\n  ')}`).toEqual([]);
  });

  it('the folders of src/ form no import cycle', () => {
    const examples = folderEdgeExamples();
    const cycles = findFolderCycles(edges).map(
      (path) =>
        path.map((f, i) => (i === 0 ? f : `→ ${f}`)).join(' ') +
        `\n    ${path
          .slice(1)
          .map((to, i) => examples.get(`${path[i]!} → ${to}`))
          .join('\n    ')}`,
    );
    expect(cycles, `folder cycles:\n  ${cycles.join('\n  ')}`).toEqual([]);
  });

  it('the folder check finds a deliberate cycle between folders made of files that do not import each other', () => {
    const deliberate = [
      { from: 'src/engine/executor.ts', to: 'src/stages/stage.ts' },
      { from: 'src/stages/traffic-shift.ts', to: 'src/engine/runtime.ts' },
      { from: 'src/plan/compile.ts', to: 'src/model/definitions.ts' },
    ];
    expect(findFolderCycles(deliberate)).toEqual([['engine', 'stages', 'engine']]);
    expect(
      findFolderCycles([...edges, { from: 'src/model/states.ts', to: 'src/cli/program.ts' }]).length,
    ).toBeGreaterThan(0);
  });

  it.each(rules.map((r) => [r.name, r] as const))('%s', (_name, rule) => {
    const violations = edges.filter((e) => rule.appliesTo(e.from) && rule.forbids(e.to)).map(describeEdge);
    expect(violations).toEqual([]);
  });
});
