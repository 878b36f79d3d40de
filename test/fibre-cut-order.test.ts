/**
 * The claim behind the order of a drain, held on the reference fibre cut (examples/, scenario fibre-cut-east: the
 * links into east keep 15 % of what they carried, then the emergency evacuation): draining callers before callees
 * avoids cross-datacenter calls. The same tasks run with no order drain callees first, and east's callers then call
 * across a cut backbone that can hardly carry the replies. Both drills run on virtual time (a few seconds each).
 *
 * What the order does not decide is kept apart: the writes every datacenter but a primary's sends across. A drain that
 * promotes its primaries last (stateful last) sends more of them while its callers have already left, which on a fibre
 * cut outweighs the few calls the cut lets the unordered plan make; bench/drain.bench.ts prints both figures.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { runDrill } from '../src/drill/runner.js';
import { loadOrFail } from '../src/load/check.js';
import { buildReport, type Report } from '../src/report/report.js';

const SCENARIO = 'fibre-cut-east';
const PLAN = 'evacuate-east-now';
let ordered: Report;
let unordered: Report;

beforeAll(async () => {
  const definitions = await loadOrFail([new URL('../examples', import.meta.url).pathname]);
  const run = async (extra: { unordered?: boolean }): Promise<Report> =>
    buildReport(await runDrill({ definitions, scenario: SCENARIO, pacing: 'closed-loop', ...extra }));
  ordered = await run({});
  unordered = await run({ unordered: true });
}, 120_000);

describe('the order of the emergency evacuation on a fibre cut into east', () => {
  it('makes fewer cross-datacenter calls than the same tasks with no order (none at all)', () => {
    for (const r of [ordered, unordered]) expect(r.plans.find((p) => p.name === PLAN)!.outcome).toBe('succeeded');
    expect(unordered.crossDatacenterCallSeconds).toBeGreaterThan(1);
    expect(ordered.crossDatacenterCallSeconds).toBeLessThan(unordered.crossDatacenterCallSeconds);
    expect(ordered.crossDatacenterCallSeconds).toBe(0);
    expect(ordered.crossDatacenterCallExcess).toBe(0);
  });

  it("counts its cross-datacenter RPC apart: the ordered plan's is all writes to the primaries it promotes last", () => {
    expect(ordered.crossDatacenterRpcSeconds).toBeGreaterThan(0);
    expect(ordered.crossDatacenterRpcExcess).toBeGreaterThan(ordered.crossDatacenterCallExcess);
  });

  it('fails fewer requests than the same tasks with no order', () => {
    expect(ordered.failedRequests).toBeLessThan(unordered.failedRequests);
  });

  it('does not read the replies the cut drops on their way into east as errors of the healthy receivers', () => {
    // Callees drained first: east's callers call west and central, whose answers the links into east mostly drop.
    // That loss is east's; a receiver read as degraded would hold every shift back (it once doubled the drain).
    const backoffs = unordered.tasks
      .filter((t) => t.plan === PLAN)
      .flatMap((t) => t.steps)
      .filter((s) => s.decision === 'backoff' && /(west|central) error rate/.test(s.reason ?? ''));
    expect(backoffs).toEqual([]);
  });
});
