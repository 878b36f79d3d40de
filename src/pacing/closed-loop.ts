/**
 * The closed-loop pacer (detect → diagnose → resolve): the step size comes from the receivers' measured headroom at
 * the target utilisation; the first step is deliberately small (a quarter of what the headroom allows, at least
 * `firstStep`); while every receiver stays well under the target each later step may grow fourfold, up to what the
 * headroom allows, and near the target it grows no more than the headroom left allows. After each step it waits for
 * propagation plus the settle window, then:
 * - missing readings → hold (missing data is never healthy);
 * - under one request per second left to move → the last step, whatever the receivers read (a degraded receiver is
 *   not loaded by this move, so holding it back cannot help);
 * - a receiver degraded (above the target, error rate or latency up against the readings before the drain)
 *   → back off one step (move the last step back), then hold until it recovers;
 * - otherwise grow, or shrink when the remaining headroom no longer allows the previous step.
 * Each step uses at most half the measured headroom: moved requests land on cold caches and cost up to twice as
 * much until they warm up, and demand may rise while the step propagates. Each back-off halves the largest step
 * for the rest of the move.
 */
import { EPSILON, clampStep, type Decision, type Pacer, type PacerInput, type ReceiverReading } from './pacer.js';
import { headroomOf, missingReadings, pct, utilizationOf } from './headroom.js';
import { objectList } from '../model/shapes.js';

export interface ClosedLoopConfig {
  /** Fraction of the move made by the first step. */
  readonly firstStep: number;
  /** Never move more than this fraction in one step. */
  readonly maxStep: number;
  /** Below this a step is not worth a propagation wait: hold instead. */
  readonly minStep: number;
  /** Use at most this share of the measured headroom per step, keeping a margin for noise and rising demand. */
  readonly headroomShare: number;
  readonly propagationMs: number;
  readonly settleMs: number;
  /** Degradation thresholds against the baseline readings. */
  readonly errorRateRise: number;
  /** p99 latency counts as up when above this multiple of the baseline and by more than `latencyRise` seconds. */
  readonly latencyRatio: number;
  readonly latencyRise: number;
  /**
   * Which receivers decide whether a step may grow fourfold: all of them (the closed loop: the hottest receiver
   * anywhere), or only those taking a real share of the step (the self-regulating pacer: a full receiver that the
   * headroom split leaves out does not slow the others down).
   */
  readonly growthBy?: 'all' | 'receiving';
  /**
   * Near the target a step grows no more than the last one (the closed loop, stepwise), or is sized from the headroom
   * measured now (the self-regulating pacer, whose manager catches a step that lands heavier than predicted): after
   * a back-off or a fault, steps then follow the room that opens instead of creeping from the smallest.
   */
  readonly nearTarget?: 'stepwise' | 'headroom';
}

/** The first step takes this share of what the measured headroom allows: a probe of how the receivers respond. */
const FIRST_OF_ALLOWED = 1 / 4;
/** While every receiver is at least this far under the target, a step may grow this much over the previous one. */
const WELL_UNDER = 0.1;
/** A receiver takes a real share of a step when it has at least this share of the headroom (it gets that much). */
const RECEIVING_SHARE = 0.1;
const FAST_GROWTH = 4;
const SLOW_GROWTH = 1;

/** The largest rest of a move (fraction) folded into the step before it, and the share of headroom it may use. */
const TAIL = 0.05;
const TAIL_HEADROOM_SHARE = 0.625;

export const CLOSED_LOOP_DEFAULTS = {
  firstStep: 0.05,
  maxStep: 0.5,
  minStep: 0.01,
  // Half: a moved request can cost up to twice its weight at a receiver until its caches warm up.
  headroomShare: 0.5,
  errorRateRise: 0.002,
  // Latency climbs steeply as utilisation nears any sensible target: only a queue building up counts as degraded.
  latencyRatio: 4,
  latencyRise: 0.5,
} as const;

/** Why a receiver counts as degraded, or undefined when it does not. */
export function degradation(
  r: ReceiverReading,
  base: ReceiverReading | undefined,
  target: number,
  config: Pick<ClosedLoopConfig, 'errorRateRise' | 'latencyRatio' | 'latencyRise'>,
): string | undefined {
  const u = utilizationOf(r);
  if (u !== undefined && u > target + EPSILON) return `${r.name} at ${pct(u)}, above the target ${pct(target)}`;
  const e0 = base?.errorRate ?? 0;
  if (r.errorRate !== undefined && r.errorRate > e0 + config.errorRateRise && r.errorRate > e0 * 1.5) {
    return `${r.name} error rate up from ${pct(e0)} to ${pct(r.errorRate)}`;
  }
  const l0 = base?.latencyP99;
  if (
    r.latencyP99 !== undefined &&
    l0 !== undefined &&
    l0 > 0 &&
    r.latencyP99 > l0 * config.latencyRatio &&
    r.latencyP99 - l0 > config.latencyRise
  ) {
    return `${r.name} p99 latency up from ${(l0 * 1000).toFixed(0)} ms to ${(r.latencyP99 * 1000).toFixed(0)} ms`;
  }
  return undefined;
}

/** A figure the baseline had but the current reading lacks counts as missing. */
function missingSignals(r: ReceiverReading, base: ReceiverReading | undefined): string[] {
  const out: string[] = [];
  if (base?.errorRate !== undefined && r.errorRate === undefined) out.push(`${r.name} error rate`);
  if (base?.latencyP99 !== undefined && r.latencyP99 === undefined) out.push(`${r.name} latency`);
  return out;
}

export function createClosedLoopPacer(config: ClosedLoopConfig): Pacer {
  const moveWait = config.propagationMs + config.settleMs;
  const holdWait = Math.max(config.settleMs, 1000);
  // After the last step there is no further step to decide, so nothing to settle for: wait only until the moved
  // traffic has arrived (a hair past propagation, so the post-conditions read the result). The task's health checks
  // keep watching, and a dependent shift reads its receivers (cold caches and all) before its own first step.
  const lastWait = Math.min(moveWait, config.propagationMs + 1000);
  const hold = (reason: string): Decision => ({ kind: 'hold', step: 0, waitMs: holdWait, reason });

  return {
    mode: 'closed-loop',
    next(input: PacerInput): Decision {
      const remaining = 1 - input.progress;
      if (remaining <= EPSILON) return { kind: 'final', step: 0, waitMs: 0, reason: 'nothing left to move' };
      const target = input.targetUtilization;
      const baseline = new Map(input.baseline.map((b) => [b.name, b]));

      const missing = [
        ...missingReadings(input.receivers, target),
        ...input.receivers.flatMap((r) => missingSignals(r, baseline.get(r.name))),
      ];
      if (input.volume === undefined) missing.unshift('the load to move');
      if (missing.length > 0) return hold(`missing readings: ${missing.join(', ')}`);

      const volume = input.volume ?? 0;
      // Under one request per second left to move (its callers are already gone, say): nothing to pace, and holding
      // cannot help a degraded receiver (what loads it is not this move).
      if (volume * remaining < 1) {
        return {
          kind: 'final',
          step: clampStep(input.progress, remaining),
          waitMs: lastWait,
          reason: `${(volume * remaining).toFixed(1)} rps left to move`,
        };
      }
      // Filled one by one (see mapList): a mapped list is of one kind when this code runs optimised, another when not.
      const degraded = objectList<string>();
      for (const r of input.receivers) {
        const d = degradation(r, baseline.get(r.name), target, config);
        if (d !== undefined) degraded.push(d);
      }
      if (degraded.length > 0) {
        if (
          input.lastDecision !== 'backoff' &&
          input.lastDecision !== 'hold' &&
          input.lastStep > 0 &&
          input.progress > 0
        ) {
          const step = clampStep(input.progress, -input.lastStep);
          return { kind: 'backoff', step, waitMs: moveWait, reason: `backing off one step: ${degraded.join('; ')}` };
        }
        return hold(`receiver degraded: ${degraded.join('; ')}`);
      }

      const headroom = Math.max(
        0,
        input.receivers.reduce((sum, r) => sum + (headroomOf(r, target) ?? 0), 0) - (input.inFlight ?? 0),
      );
      const safe = volume <= EPSILON ? 1 : (headroom * config.headroomShare) / volume;
      // Sized from the headroom: a probe first, then fast growth toward what the headroom allows while the receivers
      // are well under the target (they responded as predicted), no growth near it (the headroom left still limits).
      // Figures as doubles always: a mapped list of them is of a third kind when every one is a small integer (0).
      const room = new Float64Array(input.receivers.length);
      let totalRoom = 0;
      for (let i = 0; i < room.length; i++) {
        room[i] = headroomOf(input.receivers[i]!, target) ?? 0;
        totalRoom += room[i]!;
      }
      const deciding =
        config.growthBy === 'receiving' && totalRoom > 0
          ? input.receivers.filter((_, i) => room[i]! >= RECEIVING_SHARE * totalRoom)
          : input.receivers;
      const hottest = Math.max(0, ...deciding.map((r) => utilizationOf(r) ?? 0));
      const growth = hottest <= target - WELL_UNDER ? FAST_GROWTH : SLOW_GROWTH;
      const wanted =
        input.lastStep > 0
          ? growth === SLOW_GROWTH && config.nearTarget === 'headroom'
            ? Math.max(input.lastStep, safe)
            : input.lastStep * growth
          : Math.max(config.firstStep, Math.min(safe, remaining) * FIRST_OF_ALLOWED);
      // After a back-off, start again from half the step that hurt.
      const grown = input.lastDecision === 'backoff' ? input.lastStep / 2 : wanted;
      // Every back-off halves the largest step allowed for the rest of the move, so the loop cannot oscillate.
      const maxStep = Math.max(
        config.maxStep / 2 ** (input.backoffs ?? 0),
        Math.min(config.maxStep, 2 * config.minStep),
      );
      const step = Math.min(grown, maxStep, safe, remaining);
      const why = `headroom ${headroom.toFixed(0)} rps at ${pct(target)} for ${(volume * remaining).toFixed(0)} rps left`;

      // A sliver left over is not worth another propagation wait: take it with this step. Up to TAIL of the move is
      // folded in when the whole rest still fits in TAIL_HEADROOM_SHARE of the measured headroom, so that a
      // headroom-limited shift does not end in a tiny step costing a whole propagation and settle.
      const tailFits = remaining - step <= TAIL && remaining * volume <= headroom * TAIL_HEADROOM_SHARE;
      if (step >= remaining - config.minStep / 2 || (step >= config.minStep && tailFits)) {
        return {
          kind: 'final',
          step: clampStep(input.progress, remaining),
          waitMs: lastWait,
          reason: `last step; ${why}`,
        };
      }
      if (step < config.minStep) return hold(`receivers near the target; ${why}`);
      const kind = step < input.lastStep - EPSILON ? 'shrink' : 'grow';
      return {
        kind,
        step: clampStep(input.progress, step),
        waitMs: moveWait,
        reason: `${input.lastStep > 0 ? '' : 'small first step; '}${why}`,
      };
    },
  };
}
