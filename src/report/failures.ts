/**
 * Failed requests by cause and place: the one breakdown the drain-test report, its HTML page, `maelstrom
 * drain-test` and `maelstrom run` show, so that every failed request has an answer (which service, where, why).
 */
import type { FailureCause, FailureCount } from '../sim/types.js';

/** One row of the breakdown: whole requests, the rows summing to the report's failedRequests. */
export interface FailureReport {
  readonly service: string;
  /** Where they failed; null when they never reached a datacenter (unrouted at the edge). */
  readonly datacenter: string | null;
  readonly cause: FailureCause;
  readonly requests: number;
}

/** What each cause means, in the words the terminal and the HTML page use. */
export const CAUSE_TEXT: Readonly<Record<FailureCause, string>> = {
  overload: 'queued past the timeout in an overloaded cluster',
  'write-outage': 'writes during a promotion’s write outage',
  unrouted: 'no route to any datacenter',
  'datacenter-lost': 'sent to a lost datacenter',
  teardown: 'in flight on a torn-down session',
  backbone: 'not carried by saturated links',
};

/**
 * The simulator's counts as whole requests, largest first, summing exactly to `total` (the rounded failed
 * requests): each count is rounded down and the requests left over go to the largest remainders, so that the rows
 * add up to the figure printed above them. Rows that round to nothing are left out.
 */
export function failureBreakdown(counts: readonly FailureCount[], total: number): FailureReport[] {
  const rows = counts.map((c, i) => ({
    ...c,
    whole: Math.floor(c.requests),
    rest: c.requests - Math.floor(c.requests),
    i,
  }));
  let left = total - rows.reduce((a, r) => a + r.whole, 0);
  for (const r of [...rows].sort((a, b) => b.rest - a.rest || a.i - b.i)) {
    if (left <= 0) break;
    r.whole++;
    left--;
  }
  return rows
    .filter((r) => r.whole > 0)
    .sort((a, b) => b.whole - a.whole || a.i - b.i)
    .map((r) => ({ service: r.service, datacenter: r.datacenter, cause: r.cause, requests: r.whole }));
}

/** Failed requests per cause, in the order of the causes' totals (largest first). */
export function failuresByCause(rows: readonly FailureReport[]): { cause: FailureCause; requests: number }[] {
  const sums = new Map<FailureCause, number>();
  for (const r of rows) sums.set(r.cause, (sums.get(r.cause) ?? 0) + r.requests);
  return [...sums.entries()].map(([cause, requests]) => ({ cause, requests })).sort((a, b) => b.requests - a.requests);
}

/**
 * The breakdown as terminal lines: the total, then one line per row (at most `limit`, the rest summed on a last
 * line), each with its share of the total and what the cause means.
 */
export function failureLines(rows: readonly FailureReport[], total: number, limit = 8): string[] {
  if (total === 0 || rows.length === 0) return ['no failed requests'];
  const share = (n: number): string => `${((n / total) * 100).toFixed(n / total < 0.1 ? 1 : 0)} %`;
  const shown = rows.slice(0, limit);
  const width = Math.max(...shown.map((r) => `${r.service} in ${r.datacenter ?? 'the edge'}`.length));
  const count = Math.max(...shown.map((r) => r.requests.toLocaleString('en').length));
  const lines = [`${total.toLocaleString('en')} failed requests, by cause and place:`];
  for (const r of shown) {
    const where = `${r.service} in ${r.datacenter ?? 'the edge'}`.padEnd(width);
    const n = r.requests.toLocaleString('en').padStart(count);
    lines.push(`  ${n}  ${share(r.requests).padStart(6)}  ${where}  ${r.cause} (${CAUSE_TEXT[r.cause]})`);
  }
  const rest = rows.slice(limit);
  if (rest.length > 0) {
    const n = rest.reduce((a, r) => a + r.requests, 0);
    lines.push(`  ${n.toLocaleString('en').padStart(count)}  ${share(n).padStart(6)}  ${rest.length} more`);
  }
  return lines;
}
