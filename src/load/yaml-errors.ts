/**
 * YAML syntax errors in plain words, at the line that is wrong. The parser names what it could not do where it
 * noticed ("Nested mappings are not allowed in compact mappings", one line before an over-indented key); a person
 * needs what to change and where: the line indented too far, the value that needs quotes, the brace never closed.
 * Each explanation reads the text around the parser's position; an error it does not recognise keeps the parser's
 * words, with the indentation of the line above as a hint.
 */
import type { YAMLError } from 'yaml';
import type { LineIndex } from './yaml-position.js';

/** Where the mistake is, 1-based, and what to do about it. */
export interface YamlProblem {
  readonly line: number;
  readonly column: number;
  readonly message: string;
}

/** One line of the text, as the explanations look at it. */
interface Line {
  readonly n: number;
  readonly text: string;
  /** Leading spaces. */
  readonly indent: number;
  /** Column (1-based) of the list item's `-`, when the line is one. */
  readonly dash?: number;
  /** Column (1-based) of the key or value that starts the line's content after any `- `. */
  readonly keyColumn: number;
  /** The key when the line is `key: …` (after any `- `). */
  readonly key?: string;
  /** What follows `key:` on the line, without a trailing comment; empty when the value is on the lines below. */
  readonly value?: string;
}

const KEY_LINE = /^([^\s#'"{[][^:#]*?|"[^"]*"|'[^']*'):(?:\s+(.*))?$/;

function analyse(text: string, n: number): Line | undefined {
  const raw = text.split('\n')[n - 1];
  if (raw === undefined) return undefined;
  const line = raw.replace(/\r$/, '');
  const indent = line.length - line.trimStart().length;
  let rest = line.slice(indent);
  let dash: number | undefined;
  let column = indent + 1;
  const item = /^-(\s+|$)/.exec(rest);
  if (item) {
    dash = indent + 1;
    column += item[0].length;
    rest = rest.slice(item[0].length);
  }
  const m = KEY_LINE.exec(rest);
  const value = m ? withoutComment(m[2] ?? '') : undefined;
  return {
    n,
    text: line,
    indent,
    ...(dash !== undefined ? { dash } : {}),
    keyColumn: column,
    ...(m ? { key: (m[1] ?? '').trim(), value } : {}),
  };
}

function withoutComment(value: string): string {
  const at = value.search(/(^|\s)#/);
  return (at >= 0 ? value.slice(0, at) : value).trim();
}

function isContent(l: Line | undefined): l is Line {
  return l !== undefined && l.text.trim() !== '' && !l.text.trim().startsWith('#') && l.text.trim() !== '---';
}

function lineCount(text: string): number {
  return text.split('\n').length;
}

function previousContent(text: string, n: number): Line | undefined {
  for (let i = n - 1; i >= 1; i--) {
    const l = analyse(text, i);
    if (isContent(l)) return l;
  }
  return undefined;
}

function nextContent(text: string, n: number): Line | undefined {
  const last = lineCount(text);
  for (let i = n + 1; i <= last; i++) {
    const l = analyse(text, i);
    if (isContent(l)) return l;
  }
  return undefined;
}

/** `"name" (line 4, column 7)`: how a line is pointed at in a message. */
function named(l: Line): string {
  return `${l.key !== undefined ? `"${l.key}"` : `"${l.text.trim().slice(0, 30)}"`} on line ${l.n}`;
}

/** A plain (unquoted) value that holds `: `, which YAML reads as a second key on the line. */
function colonInValue(l: Line): boolean {
  const v = l.value ?? '';
  return v !== '' && !/^["'{[|>&*!]/.test(v) && /:(\s|$)/.test(v);
}

/** The indentation hint: which line above sets the columns this one should follow. */
function indentationHint(text: string, l: Line): string {
  const above = previousContent(text, l.n);
  if (!above) return '';
  return ` (${named(above)} starts at column ${above.keyColumn}${above.dash !== undefined ? `, its "-" at column ${above.dash}` : ''})`;
}

/** The last `{` or `[` before `end` that is not closed before it, outside quotes and comments. */
function unclosedFlow(text: string, end: number): number | undefined {
  const open: number[] = [];
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < end && i < text.length; i++) {
    const c = text[i];
    if (quote === '"') {
      if (c === '\\') i++;
      else if (c === '"') quote = undefined;
      continue;
    }
    if (quote === "'") {
      if (c === "'" && text[i + 1] === "'") i++;
      else if (c === "'") quote = undefined;
      continue;
    }
    if (c === '#' && (i === 0 || /\s/.test(text[i - 1] ?? ''))) {
      const eol = text.indexOf('\n', i);
      i = eol < 0 ? text.length : eol;
      continue;
    }
    if ((c === '"' || c === "'") && startsValue(text, i)) quote = c;
    else if (c === '{' || c === '[') open.push(i);
    else if ((c === '}' || c === ']') && open.length > 0) open.pop();
  }
  return open.at(-1);
}

/** The opening quote of a quoted value that is never closed before `end`. */
function unclosedQuote(text: string, end: number): number | undefined {
  let quote: { c: string; at: number } | undefined;
  for (let i = 0; i < end && i < text.length; i++) {
    const c = text[i];
    if (quote?.c === '"') {
      if (c === '\\') i++;
      else if (c === '"') quote = undefined;
      continue;
    }
    if (quote?.c === "'") {
      if (c === "'" && text[i + 1] === "'") i++;
      else if (c === "'") quote = undefined;
      continue;
    }
    if (c === '#' && (i === 0 || /\s/.test(text[i - 1] ?? ''))) {
      const eol = text.indexOf('\n', i);
      i = eol < 0 ? text.length : eol;
      continue;
    }
    if ((c === '"' || c === "'") && startsValue(text, i)) quote = { c, at: i };
  }
  return quote?.at;
}

/** Whether a quote at `i` opens a quoted scalar: it starts a value, an item or a flow entry. */
function startsValue(text: string, i: number): boolean {
  let j = i - 1;
  while (j >= 0 && (text[j] === ' ' || text[j] === '\t')) j--;
  return j < 0 || text[j] === '\n' || ':-[{,?'.includes(text[j] ?? '');
}

/** The plain-words form of one parser error. */
export function explainYamlError(err: YAMLError, text: string, lines: LineIndex): YamlProblem {
  const at = lines.linePos(err.pos[0]);
  const here = (message: string): YamlProblem => ({ line: at.line, column: at.col, message });
  const atOffset = (offset: number, message: string): YamlProblem => {
    const p = lines.linePos(offset);
    return { line: p.line, column: p.col, message };
  };
  const atLine = (l: Line, message: string): YamlProblem => ({ line: l.n, column: l.indent + 1, message });
  const original = err.message.split('\n')[0] ?? err.message;
  const l = analyse(text, at.line);

  switch (err.code) {
    case 'TAB_AS_INDENT':
      return here('a tab indents this line: YAML indents with spaces only (replace the tab with spaces)');
    case 'DUPLICATE_KEY': {
      const key = l?.key;
      if (l && key !== undefined) {
        for (let i = l.n - 1; i >= 1; i--) {
          const p = analyse(text, i);
          if (!isContent(p)) continue;
          if (p.keyColumn < l.keyColumn && p.dash === undefined) break;
          if (p.keyColumn === l.keyColumn && p.key === key)
            return here(`"${key}" is given twice in one mapping (first on line ${p.n}): keep one`);
          if (p.keyColumn < l.keyColumn) break;
        }
        return here(`"${key}" is given twice in one mapping: keep one`);
      }
      return here('a key is given twice in one mapping: keep one');
    }
    case 'BAD_INDENT':
    case 'MISSING_CHAR': {
      if (/Flow (map|sequence)/.test(original) || /end with a [}\]]/.test(original)) {
        const open = unclosedFlow(text, err.pos[0]);
        if (open !== undefined) {
          const close = text[open] === '{' ? '}' : ']';
          return atOffset(
            open,
            `this "${text[open]}" is never closed: end it with "${close}" on the same line ` +
              `(or write its entries as indented lines, without "${text[open]}")`,
          );
        }
      }
      if (/closing .*quote/i.test(original)) {
        const open = unclosedQuote(text, err.pos[0] + 1);
        if (open !== undefined)
          return atOffset(open, `this quoted value is never closed: end it with ${text[open]} on the same line`);
      }
      if (l && /without - indicator/.test(original)) {
        const above = previousContent(text, l.n);
        if (above)
          return atLine(
            l,
            `this line starts at column ${l.indent + 1}, but ${named(above)} starts at column ${above.keyColumn}: ` +
              `indent it the same to belong to the same item, or start it with "- " to begin a new one`,
          );
      }
      if (l && /same column/.test(original)) {
        const above = previousContent(text, l.n);
        if (above?.dash !== undefined && l.dash === undefined && l.indent + 1 === above.dash)
          return atLine(
            l,
            `a key among the items of a list (${named(above)} starts with "-" at the same column): ` +
              `start it with "- " for a new item, or indent it to column ${above.keyColumn} to belong to that item`,
          );
        return atLine(
          l,
          `the keys of one mapping start at one column, but this one does not${indentationHint(text, l)}`,
        );
      }
      if (l && /followed by map values/.test(original) && l.key === undefined && l.dash === undefined)
        return atLine(l, `"${l.text.trim()}" has no ":": a key is followed by ":" and a space (key: value)`);
      break;
    }
    case 'BLOCK_AS_IMPLICIT_KEY':
    case 'MULTILINE_IMPLICIT_KEY': {
      if (!l) break;
      const next = nextContent(text, l.n);
      if (l.dash !== undefined && l.key === undefined) {
        const above = previousContent(text, l.n);
        if (above && above.dash === undefined && above.keyColumn === l.dash)
          return atLine(
            l,
            `a list item among the keys of a mapping (${named(above)} is at the same column): ` +
              'put the list under a key of its own ("key:", then the items indented below it)',
          );
      }
      if (colonInValue(l))
        return {
          line: l.n,
          column: l.text.indexOf(l.value ?? '') + 1,
          message: `the value of "${l.key ?? ''}" holds ": ", which YAML reads as another key on the same line: quote the value ('…')`,
        };
      if (next && next.indent + 1 > l.keyColumn && l.key !== undefined && (l.value ?? '') !== '')
        return atLine(
          next,
          `this line is indented more than ${named(l)}, which already has a value: ` +
            `line it up with "${l.key}" (column ${l.keyColumn}), or take the value off "${l.key}" to nest it there`,
        );
      if (l.key === undefined && l.dash === undefined)
        return atLine(l, `"${l.text.trim()}" has no ":": a key is followed by ":" and a space (key: value)`);
      if (err.code === 'BLOCK_AS_IMPLICIT_KEY')
        return here(`a nested mapping cannot start on the line of another key${indentationHint(text, l)}`);
      return here(
        `a key runs over more than one line: is a ":" missing, or a line indented too far?${indentationHint(text, l)}`,
      );
    }
    case 'BLOCK_IN_FLOW':
      return here(
        'inside { } or [ ] a nested mapping or list needs its own braces (weights: { east: 60 }), ' +
          'or write it as indented lines',
      );
    case 'BAD_DQ_ESCAPE':
      return here(
        'a backslash in a "double-quoted" value starts an escape: write \\\\ for a backslash, or use \'single quotes\'',
      );
    case 'BAD_SCALAR_START':
      return here(`a value cannot start with "${text[err.pos[0]] ?? ''}" unquoted: quote it ('…')`);
    case 'BAD_ALIAS':
    case 'ALIAS_PROPS':
      return here('an alias (*name) refers to an anchor (&name) that is not defined before it');
    case 'BAD_COLLECTION_TYPE':
    case 'BAD_DIRECTIVE':
    case 'BAD_PROP_ORDER':
    case 'IMPOSSIBLE':
    case 'KEY_OVER_1024_CHARS':
    case 'MULTIPLE_ANCHORS':
    case 'MULTIPLE_DOCS':
    case 'MULTIPLE_TAGS':
    case 'NON_STRING_KEY':
    case 'RESOURCE_EXHAUSTION':
    case 'TAG_RESOLVE_FAILED':
    case 'UNEXPECTED_TOKEN':
      // The parser's words, with the indentation of the line above as a hint.
      break;
  }
  return here(`${original}${l ? indentationHint(text, l) : ''}`);
}
