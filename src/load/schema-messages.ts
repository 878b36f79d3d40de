/**
 * A schema problem in plain words, naming the value that was found: `"drian" is not one of drain, restore; did you
 * mean "drain"?` rather than the validator's `Invalid option: expected one of "drain"|"restore"`.
 */
import type { z } from 'zod';
import { closest } from '../model/suggest.js';

type Issue = z.core.$ZodIssue;

const TYPE_WORDS: Readonly<Record<string, string>> = {
  object: 'a mapping (key: value lines, or { … })',
  array: 'a list (- item lines, or [ … ])',
  string: 'a string',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
};

const SHORT_WORDS: Readonly<Record<string, string>> = {
  object: 'a mapping',
  array: 'a list',
  string: 'a string',
  number: 'a number',
  boolean: 'true or false',
};

/** How a value found in a document is shown in a message. */
export function shown(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null (an empty value)';
  if (typeof value === 'string') return `"${value.length > 60 ? `${value.slice(0, 57)}…` : value}"`;
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : 'a number too large to hold';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return typeof value === 'boolean' || typeof value === 'bigint' ? String(value) : typeof value;
}

function plural(n: number, one: string): string {
  return `${n} ${one}${n === 1 ? '' : 's'}`;
}

/** The value at `path` in the document as parsed, for the message to name it. */
export function valueAt(doc: unknown, path: readonly PropertyKey[]): unknown {
  let v = doc;
  for (const key of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[key];
  }
  return v;
}

/** The message for one issue about `value`; `missing` when the document does not have the field at all. */
export function schemaMessage(issue: Issue, value: unknown): string {
  if (value === undefined && issue.code !== 'custom') {
    if (issue.code === 'invalid_value') return `missing: it must be one of ${issue.values.map(String).join(', ')}`;
    return 'missing';
  }
  switch (issue.code) {
    case 'invalid_type': {
      const wanted = TYPE_WORDS[issue.expected] ?? `a ${issue.expected}`;
      if (typeof value === 'number' && !Number.isFinite(value)) return 'is too large a number';
      // `name p4` where a mapping was expected: a key whose ":" went missing.
      const colon =
        issue.expected === 'object' && typeof value === 'string' && /^[A-Za-z_][\w-]*\s+\S/.test(value)
          ? ` (is a ":" missing after "${value.split(/\s/)[0] ?? ''}"?)`
          : '';
      return `must be ${wanted}, not ${shown(value)}${colon}`;
    }
    case 'invalid_value': {
      const allowed = issue.values.map(String);
      const hint = typeof value === 'string' ? closest(value, allowed) : undefined;
      const list = allowed.length === 1 ? (allowed[0] ?? '') : `one of ${allowed.join(', ')}`;
      return `${shown(value)} is not ${list}${hint !== undefined ? `; did you mean "${hint}"?` : ''}`;
    }
    case 'invalid_format':
      return `${shown(value)} is not valid here: ${issue.message}`;
    case 'too_small':
    case 'too_big': {
      const small = issue.code === 'too_small';
      const bound = Number(small ? issue.minimum : issue.maximum);
      const inclusive = issue.inclusive !== false;
      if (issue.origin === 'array' || issue.origin === 'set')
        return small ? `needs at least ${plural(bound, 'item')}` : `takes at most ${plural(bound, 'item')}`;
      if (issue.origin === 'string')
        return small
          ? `must be at least ${plural(bound, 'character')} long`
          : `must be at most ${plural(bound, 'character')}`;
      const relation = small ? (inclusive ? 'at least' : 'more than') : inclusive ? 'at most' : 'less than';
      return `must be ${relation} ${bound}, not ${shown(value)}`;
    }
    case 'not_multiple_of':
      return `must be a multiple of ${String(issue.divisor)}, not ${shown(value)}`;
    case 'invalid_union': {
      // Each alternative's first complaint says what that alternative wanted.
      const forms = issue.errors
        .map((branch) => branch[0])
        .map((first) =>
          first?.code === 'invalid_value'
            ? first.values.map(String).join(' or ')
            : first?.code === 'invalid_type'
              ? (SHORT_WORDS[first.expected] ?? `a ${first.expected}`)
              : undefined,
        )
        .filter((f): f is string => f !== undefined);
      return forms.length > 0
        ? `must be ${[...new Set(forms)].join(' or ')}, not ${shown(value)}`
        : `${shown(value)} fits none of the forms this field takes`;
    }
    case 'invalid_key':
      return `has a key that is not valid here: ${issue.message}`;
    case 'custom':
    case 'invalid_element':
    case 'unrecognized_keys':
      return issue.message;
  }
}
