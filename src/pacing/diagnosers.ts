/**
 * Diagnosers: from the symptoms to the most likely cause. A cause is what the resolvers act on, so the same symptom
 * (a receiver over the target) leads to different resolutions when the receiver lost capacity, when caches are
 * cold, or when the step was simply too large.
 *
 * Order of precedence: readings that lag (nothing else can be judged on them); a receiver over the target (hot):
 * lost capacity, cold caches, or the step too large; nothing hot: one receiver slow with lost capacity, or requests
 * failing without load (the links). Latency or errors up on their own only stop the shift from growing (the
 * manager holds); they are no cause to act on.
 */
import type { DiagnosisKind, SymptomKind } from '../model/regulation.js';
import { ceilingOf, hottestAt } from './detectors.js';
import { HEALTH, type Diagnosis, type HealthInput, type HealthMemory, type Symptom } from './health.js';
import { capacityOf, pct } from './headroom.js';
import type { PacerInput } from './pacer.js';

/** A receiver this much busier than its load alone says carries cold (dearer) requests. */
const COLD_EXCESS = 1.15;

/** Symptoms of a receiver carrying more than it should (over the target, or risen more than a step predicted). */
export const HOT: ReadonlySet<SymptomKind> = new Set(['overloaded', 'over-target', 'rising-faster']);
const SLOW: ReadonlySet<SymptomKind> = new Set(['skewed', 'latency-up']);
const LOST: ReadonlySet<SymptomKind> = new Set(['capacity-down']);
const LINKS: ReadonlySet<SymptomKind> = new Set(['errors-without-load']);
/** Symptoms of a receiver sick in itself (failing requests, slow): it gets none of the next step. */
export const SICK: ReadonlySet<SymptomKind> = new Set(['errors-up', 'errors-without-load', 'latency-up', 'skewed']);
/** Symptoms that stop a shift from growing without calling for a resolution. */
export const CAUTION: ReadonlySet<SymptomKind> = new Set([
  'errors-up',
  'latency-up',
  'errors-without-load',
  'over-target',
  'overloaded',
  'rising-faster',
]);

function diagnosis(
  kind: DiagnosisKind,
  receivers: readonly string[],
  symptoms: readonly Symptom[],
  text: string,
  hot: boolean,
): Diagnosis {
  return { kind, receivers, symptoms, text, hot };
}

/**
 * Whether this shift's own last step is recent and moved enough to be to blame for a receiver over the target:
 * receivers pushed over by another shift's step (the edge before the cluster layer, a caller) are that one's to
 * resolve.
 */
function ownStep(h: HealthInput, mem: HealthMemory): boolean {
  const last = mem.lastMove;
  if (!last || last.step <= 0 || h.now - last.at > h.propagationMs + 2 * h.settleMs) return false;
  return Object.values(last.gain).reduce((a, b) => a + b, 0) >= 1;
}

/** The cause of the symptoms, or undefined when nothing calls for a resolution. */
export function diagnose(
  symptoms: readonly Symptom[],
  input: PacerInput,
  h: HealthInput,
  mem: HealthMemory,
): Diagnosis | undefined {
  const all = input.receivers.map((r) => r.name);
  const lag = symptoms.filter((s) => s.kind === 'stale' || s.kind === 'no-response');
  if (lag.length > 0)
    return diagnosis(
      'metric-lag',
      all,
      lag,
      `the readings lag behind the world (${lag.map((s) => s.text).join('; ')})`,
      false,
    );

  const at = (kinds: ReadonlySet<SymptomKind>): string[] => [
    ...new Set(symptoms.filter((s) => kinds.has(s.kind) && s.at !== undefined).map((s) => s.at!)),
  ];
  const of = (names: readonly string[]): Symptom[] =>
    symptoms.filter((s) => s.at !== undefined && names.includes(s.at) && s.kind !== 'source-failing');
  const hot = at(HOT);
  const lost = new Set(at(LOST));

  if (hot.length > 0) {
    const lostHot = hot.filter((r) => lost.has(r));
    if (lostHot.length > 0) {
      const words = lostHot.map((r) => {
        const b = input.baseline.find((x) => x.name === r);
        const now = input.receivers.find((x) => x.name === r);
        const c0 = b ? capacityOf(b) : undefined;
        const c = now ? capacityOf(now) : undefined;
        return c0 && c !== undefined ? `${r} lost ${pct(1 - c / c0)} of its capacity` : `${r} lost capacity`;
      });
      return diagnosis('receivers-lost-capacity', hot, of(hot), words.join('; '), true);
    }
    const cold = hot.filter((name) => {
      const r = input.receivers.find((x) => x.name === name);
      const c = r ? capacityOf(r) : undefined;
      return r?.load !== undefined && r.utilization !== undefined && c !== undefined && r.load > 0
        ? (r.utilization * c) / r.load > COLD_EXCESS
        : false;
    });
    if (cold.length > 0)
      return diagnosis(
        'cold-caches',
        hot,
        of(hot),
        `${cold.join(', ')} busier than ${cold.length > 1 ? 'their' : 'its'} load says: moved requests land on cold caches`,
        true,
      );
    // A step lands a little over the target now and then (noise, rising demand): only clearly more, or a rise the
    // step did not predict, is the step's fault; and only at the receivers it went to (one it gave none of it, say
    // a receiver that session reconnects fill, is not).
    const stepped = hot.filter((name) => (mem.lastMove?.gain[name] ?? 0) > 0);
    const clearly = stepped.some((name) => {
      const r = input.receivers.find((x) => x.name === name);
      const u = r ? hottestAt(r, h, symptoms) : undefined;
      return u !== undefined && u > ceilingOf(input, false) + 3 * HEALTH.overBy;
    });
    const unpredicted = symptoms.some(
      (s) => s.kind === 'rising-faster' && s.at !== undefined && stepped.includes(s.at),
    );
    if (ownStep(h, mem) && (clearly || unpredicted))
      return diagnosis(
        'step-too-large',
        stepped,
        of(stepped),
        `the last step put more on ${stepped.join(', ')} than ${stepped.length > 1 ? 'they' : 'it'} could take`,
        true,
      );
    // Pushed over by demand or another shift's traffic: only well past the target a cause to act on (less, that
    // shift resolves it, or it is the readings' noise), and this one only holds.
    const full = hot.filter((name) => {
      const r = input.receivers.find((x) => x.name === name);
      const u = r ? hottestAt(r, h, symptoms) : undefined;
      return u !== undefined && u > ceilingOf(input, false) + HEALTH.fullBy;
    });
    if (full.length > 0)
      return diagnosis(
        'receivers-full',
        full,
        of(full),
        `${full.join(', ')} cannot take what ${full.length > 1 ? 'they carry' : 'it carries'} (demand rose, or other traffic arrived)`,
        true,
      );
    return undefined;
  }

  const slowLost = at(SLOW).filter((r) => lost.has(r));
  if (slowLost.length === 1 && input.receivers.length > 1)
    return diagnosis(
      'slow-receiver',
      slowLost,
      of(slowLost),
      `${slowLost[0]} slow and short of capacity against the other receivers`,
      false,
    );
  const links = at(LINKS);
  if (links.length > 0)
    return diagnosis(
      'backbone-saturated',
      links,
      of(links),
      `requests fail at ${links.join(', ')} without load: the links into ${links.length > 1 ? 'them' : 'it'} are saturated`,
      false,
    );
  return undefined;
}
