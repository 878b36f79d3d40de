/**
 * Metric time series for the dashboard's charts. A backend that records them (the simulator does) satisfies
 * SeriesSource; a backend that does not simply has no `/api/v1/series`.
 */
import type { SeriesView } from '../model/api.js';
import { MaelstromError, isMaelstromError } from '../model/errors.js';

export interface SeriesPoints {
  readonly resolutionMs: number;
  /** End time of each interval, ms since the epoch. */
  readonly times: readonly number[];
  readonly values: readonly number[];
}

/** The optional interface a backend implements to expose its recorded series. */
export interface SeriesSource {
  series(
    metric: string,
    query?: {
      readonly service?: string;
      readonly datacenter?: string;
      readonly from?: number;
      readonly to?: number;
      readonly resolutionMs?: number;
    },
  ): SeriesPoints;
}

export function isSeriesSource(x: unknown): x is SeriesSource {
  return typeof x === 'object' && x !== null && typeof (x as { series?: unknown }).series === 'function';
}

/** Metrics that add up across services, so that a datacenter's total can be asked for without naming one. */
const ADDITIVE = new Set(['load', 'capacity', 'traffic', 'failed', 'sessions', 'demand']);

export interface SeriesRequest {
  readonly metric: string;
  readonly service?: string | undefined;
  readonly datacenter?: string | undefined;
  readonly window?: number | undefined;
  readonly resolution?: number | undefined;
}

export function readSeries(
  source: SeriesSource,
  q: SeriesRequest,
  now: number,
  services: readonly string[],
): SeriesView {
  const from = now - (q.window ?? 1800) * 1000;
  const base = {
    from,
    ...(q.datacenter !== undefined ? { datacenter: q.datacenter } : {}),
    ...(q.resolution !== undefined ? { resolutionMs: q.resolution * 1000 } : {}),
  };
  try {
    if (q.service !== undefined || !ADDITIVE.has(q.metric)) {
      const s = source.series(q.metric, { ...base, ...(q.service !== undefined ? { service: q.service } : {}) });
      return {
        metric: q.metric,
        service: q.service,
        datacenter: q.datacenter,
        resolutionMs: s.resolutionMs,
        times: [...s.times],
        values: [...s.values],
      };
    }
    // A total over every service of the fleet, summed point by point.
    let times: readonly number[] = [];
    let values: number[] = [];
    let resolutionMs = 0;
    for (const service of services) {
      const s = source.series(q.metric, { ...base, service });
      if (times.length === 0) {
        times = s.times;
        values = [...s.values];
        resolutionMs = s.resolutionMs;
        continue;
      }
      const n = Math.min(values.length, s.values.length);
      values = values.slice(0, n).map((v, i) => v + s.values[i]!);
      times = times.slice(0, n);
    }
    return { metric: q.metric, datacenter: q.datacenter, resolutionMs, times: [...times], values };
  } catch (e) {
    if (isMaelstromError(e)) throw e;
    throw new MaelstromError(
      'E_BAD_REQUEST',
      `cannot read series ${q.metric}: ${e instanceof Error ? e.message : String(e)}`,
    );
  }
}
