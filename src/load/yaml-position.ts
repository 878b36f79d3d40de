/** Positions in a parsed YAML file: the line and column of any node, found by its path from the document. */
import { isMap, isScalar, isSeq, type Document as YamlDocument, type Node as YamlNode } from 'yaml';
import type { SourceRef } from '../model/definitions.js';

/**
 * Line and column of an offset, built on first use: most files have nothing to report, and counting lines while
 * parsing costs a good part of the parse.
 */
export class LineIndex {
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

/** One YAML document of a file, with what it takes to place its nodes. */
export interface Located {
  readonly file: string;
  readonly doc: YamlDocument.Parsed;
  readonly lines: LineIndex;
  readonly text: string;
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

/** The key node of the pair at `path` (a mapping's key), or the deepest node along it when there is no such pair. */
export function keyNodeAt(doc: YamlDocument.Parsed, path: readonly (string | number)[]): YamlNode | undefined {
  const parent = nodeAt(doc, path.slice(0, -1));
  const last = path[path.length - 1];
  if (isMap(parent)) {
    const pair = parent.items.find((it) => (it.key as { value?: unknown } | null)?.value === last);
    if (pair && pair.key) return pair.key as YamlNode;
  }
  return nodeAt(doc, path);
}
