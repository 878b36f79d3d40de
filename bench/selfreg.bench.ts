/**
 * The self-regulating pacer's figures: the reference scenarios (examples/) `receiver-degrades`, `drain-test-east`
 * and `fibre-cut-east` with the self-regulating, closed-loop and oracle pacers, and a variant of each simulator
 * fault (receiver-slow, metrics-lag, cold-cache) on a generated five-datacenter fleet, self-regulating against the
 * closed loop. Figures are simulated seconds, requests and ratios, so they hold on any machine; `met` says whether
 * each target of the self-regulation issue holds. Run alone with `npx tsx bench/selfreg.bench.ts` (JSON on stdout).
 *
 * `SELFREG_CASES` selects scenarios (comma-separated, e.g. `receiver-degrades,five-cold-cache`): the whole bench
 * takes minutes, one case a fraction of that; `SELFREG_PACERS` the pacers (e.g. `self-regulating` alone, while the
 * closed loop's figures do not change). Targets of scenarios or pacers not run are left out.
 */
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { runDrill, type DrillResult } from '../src/drill/runner.js';
import { loadOrFail } from '../src/load/check.js';
import type { DefinitionSource } from '../src/load/load.js';
import type { Definitions, PacingMode } from '../src/model/definitions.js';
import { parseDuration } from '../src/model/duration.js';
import { buildReport, type Report } from '../src/report/report.js';
import { generateFleetDocuments } from './generate-fleet.js';

const EXAMPLES = join(fileURLToPath(new URL('.', import.meta.url)), '..', 'examples');
/** The pacers to run (`SELFREG_PACERS`, comma-separated); all three when unset. Targets against one not run are left out. */
const PACERS: readonly PacingMode[] = process.env.SELFREG_PACERS
  ? (process.env.SELFREG_PACERS.split(',').map((x) => x.trim()) as PacingMode[])
  : ['self-regulating', 'closed-loop', 'oracle'];
const RESOLUTION_MS = 10_000;

/** The scenarios to run (`SELFREG_CASES`); all when unset. */
const CASES = (process.env.SELFREG_CASES ?? '')
  .split(',')
  .map((x) => x.trim())
  .filter((x) => x.length > 0);
const selected = (name: string): boolean => CASES.length === 0 || CASES.includes(name);

interface Target {
  readonly value: unknown;
  readonly target: string;
  readonly met: boolean;
}

const round = (x: number, digits = 3): number => Math.round(x * 10 ** digits) / 10 ** digits;
const ratio = (a: number | null | undefined, b: number | null | undefined): number | null =>
  a === null || a === undefined || b === null || b === undefined || b === 0 ? null : round(a / b);

function drainOf(r: Report): { drainSeconds: number | null; userFacingDrainSeconds: number | null } {
  const p = r.plans.find((x) => x.direction === 'drain') ?? r.plans[0];
  return { drainSeconds: p?.drainSeconds ?? null, userFacingDrainSeconds: p?.userFacingDrainSeconds ?? null };
}

function figures(r: Report): Record<string, unknown> {
  return {
    outcome: r.outcome,
    ...drainOf(r),
    overloadSeconds: r.overloadSeconds,
    maxUtilization: r.maxUtilization,
    failedRequests: r.failedRequests,
  };
}

/**
 * The hottest receiver (any service, any datacenter but the drained one) at each recorded time, and the target of
 * the plan that drains. Times are ms from the drill's start.
 */
function hottest(d: DrillResult, drained: string): { at: number[]; max: number[] } {
  const at: number[] = [];
  const max: number[] = [];
  for (const svc of d.fleet.spec.services)
    for (const dc of d.fleet.spec.datacenters) {
      if (dc.name === drained || svc.capacity[dc.name] === undefined) continue;
      const s = d.series('utilization', {
        service: svc.name,
        datacenter: dc.name,
        resolutionMs: RESOLUTION_MS,
        to: d.endMs,
      });
      s.times.forEach((t, i) => {
        const k = Math.round((t - d.startMs) / RESOLUTION_MS);
        at[k] = t - d.startMs;
        max[k] = Math.max(max[k] ?? 0, s.values[i] ?? 0);
      });
    }
  return { at, max };
}

/** Seconds after `from` until the hottest receiver stays at or under `limit` up to `to` (null: never). */
function settledAfter(h: { at: number[]; max: number[] }, limit: number, from: number, to: number): number | null {
  let last = from;
  for (let k = 0; k < h.at.length; k++) {
    const t = h.at[k];
    if (t === undefined || t <= from || t > to) continue;
    if ((h.max[k] ?? 0) > limit) last = t;
  }
  return last >= to ? null : (last - from) / 1000;
}

/** Seconds after `from` until the hottest receiver is first at or under `limit` (null: not before `to`). */
function firstUnder(h: { at: number[]; max: number[] }, limit: number, from: number, to: number): number | null {
  for (let k = 0; k < h.at.length; k++) {
    const t = h.at[k];
    if (t !== undefined && t > from && t <= to && (h.max[k] ?? 0) <= limit) return (t - from) / 1000;
  }
  return null;
}

const ms = (text: string): number => parseDuration(text) ?? 0;

type Reports = Record<string, Partial<Record<PacingMode, Report>>>;

/** receiver-degrades: the fault's window, the drain's start and end, the hottest receiver over time. */
function receiverDegradesTargets(
  definitions: Definitions,
  reports: Reports,
  drills: Record<string, DrillResult>,
): Record<string, Target> {
  const targets: Record<string, Target> = {};
  const rd = reports['receiver-degrades']!['self-regulating']!;
  const scenario = definitions.scenarios.get('receiver-degrades')!;
  const fault = scenario.spec.faults?.[0];
  const faultAt = ms(String(fault?.at ?? '0s'));
  const faultEnd = faultAt + ms(String(fault?.duration ?? '0s'));
  const plan = rd.plans.find((p) => p.direction === 'drain');
  const target = plan?.targetUtilization ?? 0.85;
  const h = hottest(drills['receiver-degrades']!, 'east');
  const drainEnd =
    plan?.drainSeconds !== null && plan?.drainSeconds !== undefined && plan.startedAt !== null
      ? plan.startedAt + plan.drainSeconds
      : null;
  const under100 = settledAfter(h, 1, faultAt, faultEnd);
  const underTarget = firstUnder(h, target, faultAt, faultEnd);
  const underTargetHeld = settledAfter(h, target + 0.01, faultAt, faultEnd);
  const afterFault = drainEnd === null ? null : round(drainEnd - faultEnd / 1000, 0);
  const west = rd.overloadByDatacenter.find((o) => o.datacenter === 'west')?.seconds ?? 0;
  let hotAfter3m = 0;
  h.at.forEach((t, k) => {
    if (t > faultAt + 180_000 && t <= faultEnd) hotAfter3m = Math.max(hotAfter3m, h.max[k] ?? 0);
  });
  Object.assign(targets, {
    receiverDegradesOverloadSeconds: { value: rd.overloadSeconds, target: '<= 600', met: rd.overloadSeconds <= 600 },
    receiverDegradesFailedRequests: {
      value: rd.failedRequests,
      target: '<= 1,000,000',
      met: rd.failedRequests <= 1_000_000,
    },
    receiverDegradesUnder100WithinSeconds: {
      value: under100,
      target: '<= 60 (every receiver under 100 % for good)',
      met: under100 !== null && under100 <= 60,
    },
    receiverDegradesUnderTargetWithinSeconds: {
      value: underTarget,
      target: `<= 180 (every receiver at or under ${target})`,
      met: underTarget !== null && underTarget <= 180,
    },
    receiverDegradesUnderTargetHeldAfterSeconds: {
      value: underTargetHeld,
      target: `<= 180 (every receiver within 1 point of ${target} for the rest of the fault)`,
      met: underTargetHeld !== null && underTargetHeld <= 180,
    },
    receiverDegradesHottestAfter3Minutes: {
      value: round(hotAfter3m),
      target: `<= ${target + 0.01} (for information: the hottest receiver from 3 minutes into the fault to its end)`,
      met: hotAfter3m <= target + 0.01,
    },
    receiverDegradesWestOverloadedSeconds: {
      value: west,
      target: '< 60 (how long west was overloaded at all, as the report says)',
      met: west < 60,
    },
    receiverDegradesDrainEndAfterFaultEndSeconds: {
      value: afterFault,
      target: '<= 1200',
      met: afterFault !== null && afterFault <= 1200,
    },
  });

  return targets;
}

async function referenceFigures(definitions: Definitions): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  const reports: Record<string, Partial<Record<PacingMode, Report>>> = {};
  const drills: Record<string, DrillResult> = {};
  for (const scenario of ['receiver-degrades', 'drain-test-east', 'fibre-cut-east'].filter(selected)) {
    reports[scenario] = {};
    for (const pacing of PACERS) {
      const d = await runDrill({ definitions, scenario, pacing });
      reports[scenario][pacing] = buildReport(d);
      if (pacing === 'self-regulating') drills[scenario] = d;
    }
    out[scenario] = Object.fromEntries(PACERS.map((p) => [p, figures(reports[scenario]![p]!)]));
  }
  const targets: Record<string, Target> = {};
  if (selected('receiver-degrades') && drills['receiver-degrades'])
    Object.assign(targets, receiverDegradesTargets(definitions, reports, drills));
  // drain-test-east and fibre-cut-east: no regression against today's closed loop, zero overload.
  for (const s of ['drain-test-east', 'fibre-cut-east'].filter(selected)) {
    const sr = reports[s]!['self-regulating'];
    const cl = reports[s]!['closed-loop'];
    const or = reports[s]!.oracle;
    if (!sr || !cl || !or) continue;
    targets[`${s}OverloadSeconds`] = { value: sr.overloadSeconds, target: '= 0', met: sr.overloadSeconds === 0 };
    targets[`${s}DrainOverClosedLoop`] = {
      value: ratio(drainOf(sr).drainSeconds, drainOf(cl).drainSeconds),
      target: '<= 1 (at least as fast as the closed loop)',
      met: (drainOf(sr).drainSeconds ?? Infinity) <= (drainOf(cl).drainSeconds ?? 0),
    };
    if (s === 'drain-test-east') {
      const v = ratio(drainOf(sr).drainSeconds, drainOf(or).drainSeconds);
      targets.drainTestEastDrainOverOracle = { value: v, target: '<= 1.10', met: v !== null && v <= 1.1 };
    } else {
      const u = drainOf(sr).userFacingDrainSeconds;
      targets.fibreCutEastUserFacingOutSeconds = { value: u, target: '<= 150', met: u !== null && u <= 150 };
    }
  }
  return { targets, pacers: out };
}

/** The generated five-datacenter fleet with one scenario per new fault, draining dc0 at a fixed start. */
export function generatedDocuments(): DefinitionSource[] {
  const docs = generateFleetDocuments({ services: 24, datacenters: 5, seed: 5, userFacing: 4, name: 'five' });
  const scenario = (name: string, fault: Record<string, unknown>): Record<string, unknown> => ({
    apiVersion: 'maelstrom/v1',
    kind: 'Scenario',
    metadata: { name },
    spec: {
      fleet: 'five',
      seed: 3,
      start: '2026-03-02T19:30:00Z',
      duration: '6h',
      load: { curve: 'diurnal', peak: '20:00', trough: 0.45, noise: 0.02 },
      propagation: { edge: '30s', cluster: '10s' },
      faults: [fault],
      run: [{ at: '5m', plan: 'evacuate-dc0' }],
    },
  });
  return [
    ...docs,
    scenario('five-receiver-slow', {
      at: '12m',
      kind: 'receiver-slow',
      datacenter: 'dc1',
      capacityFraction: 0.5,
      latencyFactor: 3,
      duration: '1h',
    }),
    scenario('five-metrics-lag', { at: '8m', kind: 'metrics-lag', delay: '1m', duration: '1h' }),
    scenario('five-cold-cache', {
      at: '6m',
      kind: 'cold-cache',
      coldFactor: 4,
      warmUp: '10m',
      duration: '1h',
    }),
  ] as unknown as DefinitionSource[];
}

async function generatedFigures(): Promise<Record<string, unknown>> {
  const definitions = await loadOrFail(generatedDocuments(), { warn: () => {} });
  const out: Record<string, unknown> = {};
  const targets: Record<string, Target> = {};
  // The figure is over the three variants together: summed here when all three ran against the closed loop.
  const all = { sr: { overload: 0, failed: 0 }, cl: { overload: 0, failed: 0 }, variants: 0 };
  for (const name of ['five-receiver-slow', 'five-metrics-lag', 'five-cold-cache'].filter(selected)) {
    const fault = definitions.scenarios.get(name)!.spec.faults![0]!;
    const faultAt = ms(String(fault.at));
    const sr = await runDrill({ definitions, scenario: name, pacing: 'self-regulating' });
    const srReport = buildReport(sr);
    const withClosedLoop = PACERS.includes('closed-loop');
    const cl = withClosedLoop
      ? buildReport(await runDrill({ definitions, scenario: name, pacing: 'closed-loop' }))
      : undefined;
    // Overload-seconds after the first 3 minutes of the fault: receivers over 100 %, summed over services, per
    // recorded interval.
    const h = { late: 0 };
    for (const svc of sr.fleet.spec.services)
      for (const dc of sr.fleet.spec.datacenters) {
        if (svc.capacity[dc.name] === undefined) continue;
        const s = sr.series('utilization', {
          service: svc.name,
          datacenter: dc.name,
          resolutionMs: RESOLUTION_MS,
          to: sr.endMs,
        });
        s.times.forEach((t, i) => {
          if (t - sr.startMs > faultAt + 180_000 && (s.values[i] ?? 0) > 1) h.late += RESOLUTION_MS / 1000;
        });
      }
    out[name] = {
      'self-regulating': figures(srReport),
      ...(cl ? { 'closed-loop': figures(cl) } : {}),
      overloadSecondsAfter3Minutes: h.late,
    };
    targets[`${name}OverloadAfter3Minutes`] = { value: h.late, target: '= 0', met: h.late === 0 };
    if (!cl) continue;
    all.variants += 1;
    all.sr.overload += srReport.overloadSeconds;
    all.sr.failed += srReport.failedRequests;
    all.cl.overload += cl.overloadSeconds;
    all.cl.failed += cl.failedRequests;
    const overloadShare = cl.overloadSeconds > 0 ? round(srReport.overloadSeconds / cl.overloadSeconds) : null;
    const failedShare = cl.failedRequests > 0 ? round(srReport.failedRequests / cl.failedRequests) : null;
    targets[`${name}OverloadOverClosedLoop`] = {
      value: overloadShare,
      target: '<= 0.03',
      met: cl.overloadSeconds === 0 ? srReport.overloadSeconds === 0 : overloadShare! <= 0.03,
    };
    targets[`${name}FailedOverClosedLoop`] = {
      value: failedShare,
      target: '<= 0.05',
      met: cl.failedRequests === 0 ? srReport.failedRequests === 0 : failedShare! <= 0.05,
    };
  }
  if (all.variants === 3) {
    const overload = all.cl.overload > 0 ? round(all.sr.overload / all.cl.overload, 4) : null;
    const failed = all.cl.failed > 0 ? round(all.sr.failed / all.cl.failed, 4) : null;
    targets.fiveOverloadOverClosedLoopInAll = {
      value: { share: overload, selfRegulating: all.sr.overload, closedLoop: all.cl.overload },
      target: '<= 0.03 (the three variants together)',
      met: overload !== null && overload <= 0.03,
    };
    targets.fiveFailedOverClosedLoopInAll = {
      value: { share: failed, selfRegulating: all.sr.failed, closedLoop: all.cl.failed },
      target: '<= 0.05 (the three variants together)',
      met: failed !== null && failed <= 0.05,
    };
  }
  return { targets, scenarios: out };
}

export async function bench(): Promise<Record<string, unknown>> {
  const wall = Date.now();
  const reference = ['receiver-degrades', 'drain-test-east', 'fibre-cut-east'].some(selected)
    ? await referenceFigures(await loadOrFail([EXAMPLES]))
    : { targets: {} };
  const generated = ['five-receiver-slow', 'five-metrics-lag', 'five-cold-cache'].some(selected)
    ? await generatedFigures()
    : { targets: {} };
  const all = [reference, generated].flatMap((v) => Object.values((v as { targets: Record<string, Target> }).targets));
  return {
    reference,
    generated,
    targetsMet: `${all.filter((t) => t.met).length}/${all.length}`,
    wallSeconds: Math.round((Date.now() - wall) / 100) / 10,
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  bench().then(
    (r) => {
      process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
    },
    (e: unknown) => {
      process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
      process.exitCode = 1;
    },
  );
}
