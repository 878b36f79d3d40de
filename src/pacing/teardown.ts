/**
 * The health manager of one session teardown (`sessions.drain` under self-regulating pacing): Dhalion's cycle for
 * the rate at which established sessions are torn down. Every torn-down session reconnects at the receivers, so
 * the trouble to look for is a reconnect storm: a receiver over the target (or failing requests, or slow) while
 * the teardown runs.
 *
 * Each poll: judge each resolution whose effect has settled (helped, partly, not) — one that did not help is not
 * tried again for that diagnosis in this teardown; detect; diagnose `reconnect-storm`; resolve with the best-ranked
 * resolver that applies (`slow-teardown`: half the rate; `hold-and-page`: the least rate, and a person paged once);
 * nothing wrong: the caller's ramp (double every poll, bounded by what the receivers can absorb). While a
 * resolution settles the rate is held, not raised.
 *
 * Pure and deterministic like the shifts' manager; the memory travels in the stage's checkpoint.
 */
import type { ResolverStats } from '../model/regulation.js';
import { CLOSED_LOOP_DEFAULTS } from './closed-loop.js';
import { latencyUp } from './detectors.js';
import { HEALTH, type Judgement, type Symptom } from './health.js';
import { capacityOf, pct, utilizationOf } from './headroom.js';
import type { ReceiverReading } from './reading.js';
import { rankResolvers } from './resolvers.js';

export interface TeardownInput {
  readonly now: number;
  readonly service: string;
  readonly receivers: readonly ReceiverReading[];
  /** The receivers' readings when the teardown began. */
  readonly baseline: readonly ReceiverReading[];
  readonly target: number;
  /** The rate being sent now, sessions per second; undefined before the first. */
  readonly rate: number | undefined;
  /** What the healthy ramp would send next (bounded by what the receivers can absorb). */
  readonly ramp: number;
  /**
   * The service's load in every datacenter together, rps: with each receiver's edge share (its share of new
   * sessions), where its load is heading as sessions end and reconnect, torn down or not.
   */
  readonly totalLoad?: number;
  /** The least rate the teardown goes down to (it must end). */
  readonly minRate: number;
  /** How long a change of rate takes to show at the receivers (a poll and a settle), ms. */
  readonly settleMs: number;
  readonly preferences: readonly ResolverStats[];
  readonly memory?: TeardownMemory;
}

/** A slowed teardown waiting to be judged. */
export interface TeardownPending {
  readonly id: number;
  readonly at: number;
  readonly judgeAt: number;
  readonly resolver: 'slow-teardown' | 'hold-and-page';
  /** Each named receiver's utilisation when it acted, and the bound it should be at or under once settled. */
  readonly before: Readonly<Record<string, number>>;
  readonly below: Readonly<Record<string, number>>;
}

export interface TeardownMemory {
  readonly nextId: number;
  readonly pending: readonly TeardownPending[];
  readonly failed: readonly ('slow-teardown' | 'hold-and-page')[];
  readonly paged: boolean;
}

export const EMPTY_TEARDOWN_MEMORY: TeardownMemory = { nextId: 1, pending: [], failed: [], paged: false };

export interface TeardownResolution {
  readonly id: number;
  readonly resolver: 'slow-teardown' | 'hold-and-page';
  readonly text: string;
  readonly expect: string;
  readonly judgeAt: number;
  readonly page?: string;
}

export interface TeardownDecision {
  /** The rate to send, sessions per second. */
  readonly rate: number;
  readonly reason: string;
  readonly symptoms: readonly Symptom[];
  /** Set when a reconnect storm was diagnosed. */
  readonly diagnosis?: {
    readonly kind: 'reconnect-storm';
    readonly receivers: readonly string[];
    readonly text: string;
  };
  readonly resolution?: TeardownResolution;
  readonly judged: readonly Judgement[];
  readonly memory: TeardownMemory;
}

const clock = (t: number): string => new Date(t).toISOString().slice(11, 19);

/**
 * Where a receiver's load is heading as the sessions left in the datacenter end, torn down or not: its share of new
 * sessions (the edge weights) times the service's whole load. Undefined where the edge share is not read.
 */
export function headingOf(r: ReceiverReading, totalLoad: number | undefined): number | undefined {
  const c = capacityOf(r);
  if (r.edgeShare === undefined || totalLoad === undefined || c === undefined || c <= 0) return undefined;
  return (r.edgeShare * totalLoad) / c;
}

/** The receivers in trouble while sessions reconnect there: over the target, failing requests, or slow. */
function detectStorm(input: TeardownInput): Symptom[] {
  const base = new Map(input.baseline.map((b) => [b.name, b]));
  const out: Symptom[] = [];
  for (const r of input.receivers) {
    const u = utilizationOf(r);
    const b = base.get(r.name);
    const e0 = b?.errorRate ?? 0;
    // A receiver over the target no higher than where the edge weights take its load anyway is not in a reconnect
    // storm: the sessions left would end within their lifetime and reconnect there all the same, so the teardown
    // only brings that forward and slowing it relieves nothing (the shift's watch re-weights the edge). Only the
    // reconnects' own surge above it, or an overload, is the teardown's.
    const heading = headingOf(r, input.totalLoad);
    const weights = u !== undefined && heading !== undefined && u <= 1 && u <= heading + HEALTH.tolerance;
    // Over the target as a shift counts it (past the readings' noise).
    if (u !== undefined && u > input.target + HEALTH.overBy && !weights)
      out.push({
        kind: u > 1 ? 'overloaded' : 'over-target',
        at: r.name,
        severity: u - input.target,
        text: `${r.name} at ${pct(u)}, above the target ${pct(input.target)}`,
      });
    if (r.errorRate !== undefined && r.errorRate > e0 + CLOSED_LOOP_DEFAULTS.errorRateRise && r.errorRate > e0 * 1.5)
      out.push({
        kind: 'errors-up',
        at: r.name,
        severity: r.errorRate,
        text: `${r.name} error rate up from ${pct(e0)} to ${pct(r.errorRate)}`,
      });
    const latency = latencyUp(r, b);
    if (latency) out.push(latency);
  }
  return out.sort((a, b) => b.severity - a.severity);
}

function judgeTeardown(mem: TeardownMemory, input: TeardownInput): { memory: TeardownMemory; judged: Judgement[] } {
  const judged: Judgement[] = [];
  const rest: TeardownPending[] = [];
  let failed = mem.failed;
  for (const p of mem.pending) {
    if (input.now < p.judgeAt) {
      rest.push(p);
      continue;
    }
    const parts: string[] = [];
    let resolved = true;
    let expected = 0;
    let improved = 0;
    for (const [n, bound] of Object.entries(p.below)) {
      const r = input.receivers.find((x) => x.name === n);
      const u = r ? utilizationOf(r) : undefined;
      const u0 = p.before[n] ?? bound;
      if (u === undefined) {
        resolved = false;
        parts.push(`${n} unread`);
        continue;
      }
      if (u > bound + HEALTH.tolerance) resolved = false;
      parts.push(`${n} ${pct(u0)} → ${pct(u)} (expected ≤ ${pct(bound)})`);
      if (u0 > bound) {
        expected += u0 - bound;
        improved += Math.max(0, u0 - u);
      }
    }
    const outcome = resolved
      ? 'helped'
      : expected > 0 && improved >= HEALTH.partly * expected
        ? 'partly'
        : 'not-helped';
    judged.push({ id: p.id, diagnosis: 'reconnect-storm', resolver: p.resolver, outcome, text: parts.join('; ') });
    if (outcome === 'not-helped' && p.resolver !== 'hold-and-page') failed = [...failed, p.resolver];
  }
  return { memory: { ...mem, pending: rest, failed }, judged };
}

/** Decides the teardown's next rate. */
export function manageTeardown(input: TeardownInput): TeardownDecision {
  const { memory: mem, judged } = judgeTeardown(input.memory ?? EMPTY_TEARDOWN_MEMORY, input);
  const symptoms = input.rate !== undefined && input.rate > input.minRate ? detectStorm(input) : [];
  const current = input.rate ?? input.ramp;
  if (symptoms.length === 0) {
    // Nothing wrong: the ramp, unless a slowed teardown is still settling (it is judged first).
    const settling = mem.pending[0];
    if (settling && input.rate !== undefined)
      return {
        rate: Math.min(input.rate, input.ramp),
        reason: `holding ${input.rate.toFixed(1)}/s: judging #${settling.id} ${settling.resolver} at ${clock(settling.judgeAt)}`,
        symptoms,
        judged,
        memory: mem,
      };
    return { rate: input.ramp, reason: 'receivers healthy', symptoms, judged, memory: mem };
  }
  const receivers = [...new Set(symptoms.map((s) => s.at!))];
  const seen = symptoms
    .slice(0, 3)
    .map((s) => s.text)
    .join('; ');
  const diagnosis = {
    kind: 'reconnect-storm' as const,
    receivers,
    text: `sessions torn down at ${current.toFixed(1)}/s reconnect at ${receivers.join(', ')} faster than they can take`,
  };
  const settling = mem.pending[0];
  if (settling && input.now < settling.judgeAt)
    return {
      rate: Math.min(current, input.ramp),
      reason: `${seen} → reconnect-storm: judging #${settling.id} ${settling.resolver} at ${clock(settling.judgeAt)}`,
      symptoms,
      diagnosis,
      judged,
      memory: mem,
    };
  const before = Object.fromEntries(
    receivers.map((n) => {
      const r = input.receivers.find((x) => x.name === n);
      return [n, (r && utilizationOf(r)) ?? 0];
    }),
  );
  const below = Object.fromEntries(receivers.map((n) => [n, input.target]));
  const judgeAt = input.now + input.settleMs;
  for (const resolver of rankResolvers('reconnect-storm', input.preferences, failedOf(mem))) {
    if (resolver === 'slow-teardown') {
      const rate = Math.max(input.minRate, Math.min(current, input.ramp) / 2);
      // Already as slow as it goes: slowing down is no longer a resolution.
      if (rate >= current) continue;
      const id = mem.nextId;
      const expect = `${receivers.join(', ')} at or under ${pct(input.target)}`;
      return {
        rate,
        reason:
          `${seen} → ${diagnosis.text} → slow-teardown #${id}: ${current.toFixed(1)}/s → ${rate.toFixed(1)}/s; ` +
          `expects ${expect} by ${clock(judgeAt)}`,
        symptoms,
        diagnosis,
        resolution: {
          id,
          resolver,
          text: `tear down at ${rate.toFixed(1)}/s instead of ${current.toFixed(1)}/s`,
          expect,
          judgeAt,
        },
        judged,
        memory: {
          ...mem,
          nextId: id + 1,
          pending: [{ id, at: input.now, judgeAt, resolver, before, below }],
        },
      };
    }
    if (resolver === 'hold-and-page' && !mem.paged) {
      const id = mem.nextId;
      const page =
        `${input.service} session teardown: ${diagnosis.text}, even at ${current.toFixed(1)}/s — ` +
        `holding at ${input.minRate}/s`;
      const expect = `${receivers.join(', ')} back under ${pct(input.target)}`;
      return {
        rate: input.minRate,
        reason: `${seen} → ${diagnosis.text} → hold-and-page #${id}: nothing left to try; expects ${expect} by ${clock(judgeAt)}`,
        symptoms,
        diagnosis,
        resolution: {
          id,
          resolver,
          text: `tear down at the least rate, ${input.minRate}/s, and page`,
          expect,
          judgeAt,
          page,
        },
        judged,
        memory: {
          ...mem,
          nextId: id + 1,
          paged: true,
          pending: [{ id, at: input.now, judgeAt, resolver, before, below }],
        },
      };
    }
  }
  return {
    rate: Math.min(current, input.ramp),
    reason: `${seen} → ${diagnosis.text}: holding the rate, nothing left to resolve it with`,
    symptoms,
    diagnosis,
    judged,
    memory: mem,
  };
}

function failedOf(
  mem: TeardownMemory,
): { diagnosis: 'reconnect-storm'; resolver: 'slow-teardown' | 'hold-and-page' }[] {
  return mem.failed.map((resolver) => ({ diagnosis: 'reconnect-storm', resolver }));
}
