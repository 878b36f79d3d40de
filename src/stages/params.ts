/**
 * Reading a stage's `with` values. The executor has already interpolated them; here they are checked and typed,
 * and a missing or malformed value is a clear E_PARAM error naming the stage and the key.
 */
import { parseDuration } from '../model/duration.js';
import { MaelstromError } from '../model/errors.js';
import type { ParamValue } from '../model/definitions.js';
import type { StageWith } from './stage.js';

export interface ParamReader {
  string(key: string, fallback?: string): string;
  optionalString(key: string): string | undefined;
  number(key: string, fallback?: number): number;
  optionalNumber(key: string): number | undefined;
  boolean(key: string, fallback?: boolean): boolean;
  /** A duration such as `90s`; a bare number is seconds. Returns ms. */
  duration(key: string, fallback?: string): number;
  optionalDuration(key: string): number | undefined;
  /** A list: a YAML list, a JSON array in a string, or a single value. */
  list(key: string): readonly string[];
  raw(key: string): ParamValue | readonly ParamValue[] | undefined;
}

export function readParams(uses: string, values: StageWith): ParamReader {
  const bad = (key: string, want: string, got: unknown): MaelstromError =>
    new MaelstromError('E_PARAM', `${uses}: \`${key}\` must be ${want}, got ${JSON.stringify(got)}`);
  const missing = (key: string): MaelstromError => new MaelstromError('E_PARAM', `${uses}: \`${key}\` is required`);

  const optionalString = (key: string): string | undefined => {
    const v = values[key];
    if (v === undefined) return undefined;
    if (typeof v === 'string') return v;
    if (typeof v === 'number' || typeof v === 'boolean') return String(v);
    throw bad(key, 'a single value', v);
  };
  const optionalNumber = (key: string): number | undefined => {
    const v = values[key];
    if (v === undefined) return undefined;
    const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
    if (!Number.isFinite(n)) throw bad(key, 'a number', v);
    return n;
  };
  const optionalDuration = (key: string): number | undefined => {
    const v = values[key];
    if (v === undefined) return undefined;
    if (typeof v === 'number' && Number.isFinite(v) && v >= 0) return v * 1000;
    if (typeof v === 'string') {
      const ms = parseDuration(v) ?? (/^\d+(\.\d+)?$/.test(v.trim()) ? Number(v) * 1000 : undefined);
      if (ms !== undefined) return ms;
    }
    throw bad(key, 'a duration such as 90s', v);
  };
  return {
    string: (key, fallback) => {
      const v = optionalString(key) ?? fallback;
      if (v === undefined || v === '') throw missing(key);
      return v;
    },
    optionalString,
    number: (key, fallback) => {
      const v = optionalNumber(key) ?? fallback;
      if (v === undefined) throw missing(key);
      return v;
    },
    optionalNumber,
    boolean: (key, fallback) => {
      const v = values[key];
      if (v === undefined) {
        if (fallback === undefined) throw missing(key);
        return fallback;
      }
      if (typeof v === 'boolean') return v;
      if (v === 'true' || v === 'false') return v === 'true';
      throw bad(key, 'true or false', v);
    },
    duration: (key, fallback) => {
      const v = optionalDuration(key) ?? (fallback === undefined ? undefined : parseDuration(fallback));
      if (v === undefined) throw missing(key);
      return v;
    },
    optionalDuration,
    list: (key) => {
      const v = values[key];
      if (v === undefined) return [];
      if (Array.isArray(v)) return v.map((x) => String(x));
      if (typeof v === 'string' && v.trim().startsWith('[')) {
        let parsed: unknown;
        try {
          parsed = JSON.parse(v);
        } catch {
          throw bad(key, 'a list', v);
        }
        if (Array.isArray(parsed) && parsed.every((x) => ['string', 'number', 'boolean'].includes(typeof x)))
          return parsed.map((x) => String(x));
        throw bad(key, 'a list of plain values', v);
      }
      return [String(v)];
    },
    raw: (key) => values[key],
  };
}
