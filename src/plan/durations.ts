/**
 * Expected durations, for the estimated critical path before any history exists. A template's own
 * `expectedDuration` wins; otherwise the task's expectation is the sum of its stages' defaults below
 * (documented in docs/plans.md — keep the two in step).
 */
import type { Pacing, ParamValue, Service, Stage, StageKind } from '../model/definitions.js';
import { parseDuration } from '../model/duration.js';

/** Propagation delays assumed when planning (the scenario or backend may differ). */
export const PLANNING_PROPAGATION_MS = { edge: 30_000, cluster: 10_000 } as const;

/**
 * Steps a closed-loop (or healthy self-regulating) shift typically takes: a small first step, then about a quarter
 * of the traffic per step.
 */
export const CLOSED_LOOP_STEPS = 5;
/**
 * A closed-loop restore moves into a datacenter whose capacity is all free: a small first step, then the rest (the
 * reference drain test's restore moves 1.6 steps per shift on average).
 */
export const CLOSED_LOOP_RESTORE_STEPS = 2;
/** An oracle pacer knows the true capacities and moves in fewer, larger steps. */
export const ORACLE_STEPS = 2;

/** Fixed defaults per stage kind, in ms, for the kinds whose duration does not come from parameters. */
export const STAGE_DEFAULT_MS: Readonly<Record<StageKind, number>> = {
  'traffic.shift': 0, // computed from pacing, see shiftMs
  'sessions.drain': 0, // computed from the grace period, see below
  'jobs.restart': 300_000,
  'jobs.stop': 60_000,
  'jobs.start': 120_000,
  'replication.repoint': 0, // computed from the service's apply delay
  'replication.replica': 300_000, // a restarted replica catching up
  'stateful.promote': 0, // computed from catch-up and write outage
  'shards.migrate': 600_000,
  'config.set': 30_000,
  'alerts.suppress': 1_000,
  'wait.until': 60_000,
  'wait.for': 0, // its own duration
  approval: 300_000,
  'http.call': 5_000,
  'command.run': 30_000,
};

/** Teardown after the grace period, assumed when the number of sessions is not known at planning time. */
export const SESSION_TEARDOWN_MS = 60_000;
export const DEFAULT_APPLY_DELAY_MS = 120_000;
export const DEFAULT_CATCH_UP_MS = 30_000;
export const DEFAULT_WRITE_OUTAGE_MS = 5_000;

/** `resolve` turns a stage's `with` value into a plain value where it can (parameters substituted). */
export type StageValueResolver = (value: unknown) => ParamValue | undefined;

function durationOf(value: ParamValue | undefined): number | undefined {
  if (typeof value === 'number') return value * 1000;
  if (typeof value === 'string') return parseDuration(value);
  return undefined;
}

/**
 * How long one traffic shift takes with the plan's pacing. With nothing left to move at that layer when it starts
 * (`trafficLeft` false): nothing at all at the edge (the share is already gone, or the service never had one), and
 * one final step at the cluster layer for a pacer that reads the load (closed loop, oracle); the fixed schedule is
 * blind and steps through its fractions all the same.
 */
export function shiftMs(
  pacing: Pacing,
  layer: 'edge' | 'cluster',
  trafficLeft = true,
  direction: 'drain' | 'restore' = 'drain',
): number {
  const propagation = PLANNING_PROPAGATION_MS[layer];
  if (!trafficLeft && layer === 'edge') return 0;
  if (!trafficLeft && pacing.mode !== 'fixed') return propagation;
  const settle = parseDuration(pacing.settle) ?? 60_000;
  switch (pacing.mode) {
    // A healthy self-regulating shift steps as the closed loop does.
    case 'self-regulating':
    case 'closed-loop':
      return (direction === 'restore' ? CLOSED_LOOP_RESTORE_STEPS : CLOSED_LOOP_STEPS) * (propagation + settle);
    case 'oracle':
      return ORACLE_STEPS * (propagation + settle);
    case 'fixed': {
      const step = pacing.step ?? 0.1;
      const interval = parseDuration(pacing.interval ?? '5m') ?? 300_000;
      return Math.ceil(1 / step) * Math.max(interval, propagation);
    }
  }
}

/** Expected duration of one stage, in ms; `trafficLeft` says whether a traffic shift has anything to move. */
export function stageMs(
  stage: Stage,
  pacing: Pacing,
  service: Service | undefined,
  resolve: StageValueResolver,
  trafficLeft = true,
  direction: 'drain' | 'restore' = 'drain',
): number {
  const kind = stage.uses as StageKind;
  const arg = (key: string): ParamValue | undefined => resolve(stage.with?.[key]);
  switch (kind) {
    case 'traffic.shift':
      return shiftMs(pacing, arg('layer') === 'cluster' ? 'cluster' : 'edge', trafficLeft, direction);
    case 'sessions.drain':
      return (durationOf(arg('grace')) ?? 900_000) + SESSION_TEARDOWN_MS;
    case 'replication.repoint': {
      // Bringing the source home to a datacenter that is not its home does nothing.
      const home = arg('home');
      if (home !== undefined && service?.replication?.source !== home) return 0;
      const apply = service?.replication?.applyDelay;
      return (apply === undefined ? undefined : parseDuration(apply)) ?? DEFAULT_APPLY_DELAY_MS;
    }
    case 'stateful.promote': {
      const s = service?.stateful;
      const home = arg('home');
      if (home !== undefined && s?.primary !== home) return 0;
      const catchUp = (s?.catchUp === undefined ? undefined : parseDuration(s.catchUp)) ?? DEFAULT_CATCH_UP_MS;
      const outage =
        (s?.writeOutage === undefined ? undefined : parseDuration(s.writeOutage)) ?? DEFAULT_WRITE_OUTAGE_MS;
      // Shards are promoted in parallel: one catch-up and one write outage bound the stage.
      return catchUp + outage;
    }
    case 'wait.for':
      return durationOf(arg('duration')) ?? 60_000;
    case 'wait.until':
    case 'replication.replica':
    case 'jobs.restart':
    case 'jobs.stop':
    case 'jobs.start':
    case 'shards.migrate':
    case 'config.set':
    case 'alerts.suppress':
    case 'approval':
    case 'http.call':
    case 'command.run':
      return STAGE_DEFAULT_MS[kind];
    default:
      // An unknown stage is lint's to report; it costs nothing in the estimate.
      return 0;
  }
}
