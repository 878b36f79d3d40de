/**
 * How a self-regulating stage (a traffic shift, a session teardown) tells what its health manager did: each judged
 * resolution as a `regulation` event (phase `judged`) and a resolver record in the store (so later runs prefer what
 * worked), each resolution carried out as a `regulation` event (phase `acted`), and a page as a critical alert.
 */
import type { Layer } from '../model/readings.js';
import type { DiagnosisKind, ResolverKind } from '../model/regulation.js';
import type { Judgement } from '../pacing/health.js';
import type { StageContext, WatchContext } from './stage.js';

/** Where the manager acts: the service and datacenter of the stage, and a shift's layer (none for a teardown). */
export interface RegulationPlace {
  readonly service: string;
  readonly datacenter: string;
  readonly layer?: Layer;
}

/** A resolution carried out, as announced: what was seen, the cause, what it does and expects, when it is judged. */
export interface ActedResolution {
  readonly id: number;
  readonly symptoms: readonly string[];
  readonly diagnosis: DiagnosisKind;
  readonly resolver: ResolverKind;
  readonly detail: string;
  readonly judgeAt: number;
}

type Ctx = StageContext | WatchContext;

function base(ctx: Ctx, place: RegulationPlace) {
  return {
    type: 'regulation' as const,
    time: ctx.clock.now(),
    runId: ctx.runId,
    taskId: ctx.taskId,
    service: place.service,
    datacenter: place.datacenter,
    ...(place.layer ? { layer: place.layer } : {}),
  };
}

/** Each judged resolution: an event, and a record in the store. */
export async function recordJudged(ctx: Ctx, place: RegulationPlace, judged: readonly Judgement[]): Promise<void> {
  for (const j of judged) {
    const event = base(ctx, place);
    await ctx.emit({
      ...event,
      action: j.id,
      phase: 'judged',
      symptoms: [],
      diagnosis: j.diagnosis,
      resolver: j.resolver,
      detail: j.text,
      outcome: j.outcome,
    });
    await ctx.resolutions?.record({
      time: event.time,
      runId: ctx.runId,
      taskId: ctx.taskId,
      service: place.service,
      datacenter: place.datacenter,
      diagnosis: j.diagnosis,
      resolver: j.resolver,
      outcome: j.outcome,
      detail: j.text,
    });
  }
}

/** A resolution once carried out. */
export async function announceActed(ctx: Ctx, place: RegulationPlace, acted: ActedResolution): Promise<void> {
  await ctx.emit({
    ...base(ctx, place),
    action: acted.id,
    phase: 'acted',
    symptoms: acted.symptoms,
    diagnosis: acted.diagnosis,
    resolver: acted.resolver,
    detail: acted.detail,
    judgeAt: acted.judgeAt,
  });
}

/** A person paged: a critical alert. */
export async function page(ctx: Ctx, message: string): Promise<void> {
  await ctx.emit({
    type: 'alert',
    time: ctx.clock.now(),
    runId: ctx.runId,
    taskId: ctx.taskId,
    severity: 'critical',
    message,
  });
}
