/**
 * Symptom detectors: each looks at the readings (against the readings before the shift and what the last step
 * predicted) and says what it sees, where, and how badly. They do not decide anything; diagnosers.ts does.
 */
import { CLOSED_LOOP_DEFAULTS } from './closed-loop.js';
import { HEALTH, type HealthInput, type HealthMemory, type Symptom } from './health.js';
import { capacityOf, headroomOf, missingReadings, pct, utilizationOf } from './headroom.js';
import type { PacerInput, ReceiverReading } from './pacer.js';

/**
 * A receiver's utilisation as the manager weighs it: measured, or for traffic that arrives as sessions end (a
 * sticky service's new sessions follow the edge weights, its load only as established ones end) where it is
 * heading: its share of the edge's new arrivals times the service's whole load.
 */
export function loadedUtil(r: ReceiverReading, h: HealthInput): number | undefined {
  const u = utilizationOf(r);
  if (h.arrival !== 'gradual' || r.edgeShare === undefined || h.totalLoad === undefined) return u;
  const c = capacityOf(r);
  if (c === undefined || c <= 0) return u;
  return Math.max(u ?? 0, (r.edgeShare * h.totalLoad) / c);
}

/**
 * Requests per second a receiver can still take before `target`, as the manager weighs it: from where its load is
 * heading (loadedUtil) when that is higher than the headroom the readings alone give.
 */
export function roomOf(r: ReceiverReading, h: HealthInput, target: number): number {
  const room = headroomOf(r, target) ?? 0;
  const u = loadedUtil(r, h);
  const c = capacityOf(r);
  if (u === undefined || c === undefined) return room;
  return Math.min(room, Math.max(0, (target - u) * c));
}

/**
 * The share of a receiver's requests failing beyond what failed before the shift (0 while no more than the closed
 * loop's allowed rise): requests it gets but cannot serve, whatever its utilisation says (one slow cluster of it
 * overflows while the datacenter's average looks fine).
 */
export function failingShare(r: ReceiverReading, b: ReceiverReading | undefined): number {
  const e0 = b?.errorRate ?? 0;
  if (r.errorRate === undefined || r.errorRate <= e0 + CLOSED_LOOP_DEFAULTS.errorRateRise) return 0;
  return r.errorRate - e0;
}

/**
 * The room a caller's step has at a receiver: its own, or less where a callee has less there (over the fanout: a
 * request moved there calls the callee there). A receiver whose callees bound it reads as busier (its load raised
 * to what leaves only that room), so that anything sized by its headroom sees the bound.
 */
export function withCallees(r: ReceiverReading, h: HealthInput, target: number): ReceiverReading {
  const c = capacityOf(r);
  const own = headroomOf(r, target);
  if (c === undefined || c <= 0 || own === undefined) return r;
  let room = own;
  for (const k of h.callees ?? []) {
    const at = k.receivers.find((x) => x.name === r.name);
    const kRoom = at ? headroomOf(at, target) : undefined;
    if (kRoom !== undefined && k.fanout > 0) room = Math.min(room, kRoom / k.fanout);
  }
  if (room >= own) return r;
  const load = c * target - room;
  return { ...r, load, utilization: load / c };
}

/** The utilisation the receivers are held to: the target, or with a failing source the emergency ceiling. */
export function ceilingOf(input: PacerInput, failing: boolean): number {
  return failing ? Math.max(input.targetUtilization, HEALTH.emergencyCeiling) : input.targetUtilization;
}

const ms = (x: number): string => `${Math.round(x * 1000)} ms`;

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Whether the datacenter being drained is itself failing: errors well above its own, capacity or readings gone. */
export function sourceFailing(h: HealthInput): Symptom | undefined {
  const s = h.source;
  if (h.direction !== 'drain' || !s) return undefined;
  const base = h.sourceBaseline;
  const e0 = base?.errorRate ?? 0;
  if (s.errorRate !== undefined && s.errorRate > Math.max(HEALTH.sourceErrorRate, e0 + 0.02))
    return {
      kind: 'source-failing',
      at: s.name,
      severity: s.errorRate,
      text: `${s.name} itself failing: ${pct(s.errorRate)} of its requests fail`,
    };
  const c0 = base ? capacityOf(base) : undefined;
  const c = capacityOf(s);
  if (c0 !== undefined && c0 > 0 && (c ?? 0) < c0 * (1 - 3 * HEALTH.capacityLoss))
    return {
      kind: 'source-failing',
      at: s.name,
      severity: 1 - (c ?? 0) / c0,
      text: `${s.name} itself failing: ${pct((c ?? 0) / c0)} of its capacity left`,
    };
  return undefined;
}

/** Readings a decision needs that are missing: never healthy. */
function missingOf(input: PacerInput): Symptom | undefined {
  const baseline = new Map(input.baseline.map((b) => [b.name, b]));
  const missing = missingReadings(input.receivers, input.targetUtilization);
  for (const r of input.receivers) {
    const b = baseline.get(r.name);
    if (b?.errorRate !== undefined && r.errorRate === undefined) missing.push(`${r.name} error rate`);
    if (b?.latencyP99 !== undefined && r.latencyP99 === undefined) missing.push(`${r.name} latency`);
  }
  if (input.volume === undefined) missing.unshift('the load to move');
  return missing.length > 0
    ? { kind: 'missing', severity: 1, text: `readings missing: ${missing.join(', ')}` }
    : undefined;
}

/** Symptoms of load: over the target (or where it is heading), overloaded, risen more than the last step said. */
function loadOf(r: ReceiverReading, input: PacerInput, h: HealthInput, mem: HealthMemory, ceiling: number): Symptom[] {
  const out: Symptom[] = [];
  const u = loadedUtil(r, h);
  const now = utilizationOf(r);
  const heading =
    u !== undefined && now !== undefined && u > now + 0.005 ? ` (heading there as sessions move; now ${pct(now)})` : '';
  const what = ceiling > input.targetUtilization ? 'emergency ceiling' : 'target';
  if (u !== undefined && u > 1)
    out.push({
      kind: 'overloaded',
      at: r.name,
      severity: u - ceiling + 1,
      text: `${r.name} overloaded at ${pct(u)}${heading}`,
    });
  else if (u !== undefined && u > ceiling + HEALTH.overBy)
    out.push({
      kind: 'over-target',
      at: r.name,
      severity: u - ceiling,
      text: `${r.name} at ${pct(u)}, above the ${what} ${pct(ceiling)}${heading}`,
    });
  // Risen clearly more than the step predicted (a step that moved next to nothing predicts nothing).
  const last = mem.lastMove;
  // Judged from arrival until a couple of settle windows on; later rises are the world's, not the step's.
  const arrived =
    last !== undefined && h.now >= last.at + h.propagationMs && h.now <= last.at + h.propagationMs + 2 * h.settleMs;
  const predicted = arrived ? last.predicted[r.name] : undefined;
  const before = last?.before[r.name];
  if (
    u !== undefined &&
    predicted !== undefined &&
    before !== undefined &&
    predicted - before >= 0.01 &&
    u - before > 1.5 * (predicted - before) &&
    u > predicted + HEALTH.risingBy
  )
    out.push({
      kind: 'rising-faster',
      at: r.name,
      severity: u - predicted,
      text: `${r.name} at ${pct(u)}, the step predicted ${pct(predicted)}`,
    });
  return out;
}

/**
 * How a server's p99 grows with its utilisation, relative to an idle one: flat while lightly loaded, steep near
 * 100 % (queueing: 1 + 2ρ⁴ / (1 − ρ), its pole held off at 95 %). Only ratios of it are used: the p99 a receiver's
 * load alone predicts, from its reading at another utilisation.
 */
export function loadLatencyFactor(utilization: number): number {
  const rho = Math.max(0, utilization);
  return 1 + (2 * rho ** 4) / (1 - Math.min(rho, 0.95));
}

/**
 * The p99 a receiver's load predicts: its reading before the shift, carried along the latency curve from the
 * utilisation it had then to the one it has now (never under the reading then). At the evening peak a busy but
 * healthy receiver's p99 rises this way; a slow one's (a slow cluster: latency × k at the same load) rises past it.
 */
export function expectedLatency(r: ReceiverReading, b: ReceiverReading | undefined): number | undefined {
  const l0 = b?.latencyP99;
  if (l0 === undefined) return undefined;
  const u0 = b ? utilizationOf(b) : undefined;
  const u = utilizationOf(r);
  if (u0 === undefined || u === undefined || u <= u0) return l0;
  return (l0 * loadLatencyFactor(u)) / loadLatencyFactor(u0);
}

/**
 * A receiver's p99 latency clearly up (by ratio and by absolute rise) against what its load predicts: its reading
 * before the shift at the utilisation it has now, so that load-driven latency at a busy receiver is not read as a
 * degraded one.
 */
export function latencyUp(r: ReceiverReading, b: ReceiverReading | undefined): Symptom | undefined {
  const l0 = b?.latencyP99;
  const expected = expectedLatency(r, b);
  if (
    r.latencyP99 === undefined ||
    l0 === undefined ||
    expected === undefined ||
    l0 <= 0 ||
    r.latencyP99 <= expected * CLOSED_LOOP_DEFAULTS.latencyRatio ||
    r.latencyP99 - expected <= CLOSED_LOOP_DEFAULTS.latencyRise
  )
    return undefined;
  const load = expected > l0 * 1.05 ? ` (${ms(expected)} expected at its load)` : '';
  return {
    kind: 'latency-up',
    at: r.name,
    severity: r.latencyP99 / expected,
    text: `${r.name} p99 latency up from ${ms(l0)} to ${ms(r.latencyP99)}${load}`,
  };
}

/** Symptoms of health against the readings before the shift and the other receivers: capacity, errors, latency. */
function healthOf(r: ReceiverReading, input: PacerInput, b: ReceiverReading | undefined): Symptom[] {
  const out: Symptom[] = [];
  const u = utilizationOf(r);
  const c0 = b ? capacityOf(b) : undefined;
  const c = capacityOf(r);
  if (c0 !== undefined && c !== undefined && c0 > 0 && c < c0 * (1 - HEALTH.capacityLoss))
    out.push({
      kind: 'capacity-down',
      at: r.name,
      severity: 1 - c / c0,
      text: `${r.name} lost ${pct(1 - c / c0)} of its capacity (${Math.round(c)} of ${Math.round(c0)} rps)`,
    });
  const e0 = b?.errorRate ?? 0;
  if (r.errorRate !== undefined && r.errorRate > e0 + CLOSED_LOOP_DEFAULTS.errorRateRise && r.errorRate > e0 * 1.5) {
    const underLoad = u === undefined || u <= input.targetUtilization;
    out.push({
      kind: underLoad ? 'errors-without-load' : 'errors-up',
      at: r.name,
      severity: r.errorRate,
      text:
        `${r.name} error rate up from ${pct(e0)} to ${pct(r.errorRate)}` +
        (underLoad && u !== undefined ? ` at only ${pct(u)} utilisation` : ''),
    });
  }
  const latency = latencyUp(r, b);
  if (latency) out.push(latency);
  const others = input.receivers
    .filter((o) => o.name !== r.name && o.latencyP99 !== undefined)
    .map((o) => o.latencyP99!);
  const m = others.length ? median(others) : undefined;
  if (
    r.latencyP99 !== undefined &&
    m !== undefined &&
    m > 0 &&
    r.latencyP99 > m * HEALTH.skewRatio &&
    r.latencyP99 - m > 0.05
  )
    out.push({
      kind: 'skewed',
      at: r.name,
      severity: r.latencyP99 / m,
      text: `${r.name} p99 ${ms(r.latencyP99)}, ${(r.latencyP99 / m).toFixed(1)}× the other receivers'`,
    });
  return out;
}

/**
 * A callee over the target at one of the receivers: the callers' traffic there (this shift's among them) calls it.
 * Its excess is in its own requests per second; `fanout` converts.
 */
function calleesOf(h: HealthInput, ceiling: number): Symptom[] {
  const out: Symptom[] = [];
  for (const c of h.callees ?? [])
    for (const r of c.receivers) {
      const u = utilizationOf(r);
      const cap = capacityOf(r);
      // Failing requests there (one slow cluster of it overflowing): it serves no more than it serves now.
      const e = failingShare(r, c.baseline?.find((b) => b.name === r.name) ?? { name: r.name, errorRate: 0 });
      if (e > 0 && r.load !== undefined && u !== undefined && u <= ceiling + HEALTH.overBy) {
        out.push({
          kind: 'errors-up',
          at: r.name,
          severity: e,
          text: `${c.service} (called by ${h.service}) fails ${pct(e)} of its requests in ${r.name}`,
          callee: {
            service: c.service,
            fanout: c.fanout,
            utilization: u,
            excess: Math.max(0, r.load * (1 - (ceiling - HEALTH.margin) * (1 - e))),
          },
        });
        continue;
      }
      if (u === undefined || cap === undefined || u <= ceiling + HEALTH.overBy) continue;
      out.push({
        kind: u > 1 ? 'overloaded' : 'over-target',
        at: r.name,
        severity: u - ceiling,
        text: `${c.service} (called by ${h.service}) at ${pct(u)} in ${r.name}`,
        callee: {
          service: c.service,
          fanout: c.fanout,
          utilization: u,
          excess: Math.max(0, (u - (ceiling - HEALTH.margin)) * cap),
        },
      });
    }
  return out;
}

/**
 * The utilisation that counts at a receiver: this service's (loadedUtil), or a callee's there when higher (its
 * callers' traffic, this shift's among them, put it there).
 */
export function hottestAt(r: ReceiverReading, h: HealthInput, symptoms: readonly Symptom[]): number | undefined {
  const own = loadedUtil(r, h);
  const callees = symptoms.filter((s) => s.at === r.name && s.callee).map((s) => s.callee!.utilization);
  return callees.length ? Math.max(own ?? 0, ...callees) : own;
}

/** Every symptom of the receivers and readings now, most severe first. */
export function detect(input: PacerInput, h: HealthInput, mem: HealthMemory, failing: boolean): Symptom[] {
  const out: Symptom[] = [];
  const ceiling = ceilingOf(input, failing);
  const baseline = new Map(input.baseline.map((b) => [b.name, b]));
  const missing = missingOf(input);
  if (missing) out.push(missing);

  const age = Math.max(0, ...[...input.receivers, ...(h.source ? [h.source] : [])].map((r) => r.ageMs ?? 0));
  if (age > HEALTH.staleMs)
    out.push({ kind: 'stale', severity: age / 60_000, text: `readings ${Math.round(age / 1000)} s old` });

  for (const r of input.receivers) {
    out.push(...loadOf(r, input, h, mem, ceiling));
    out.push(...healthOf(r, input, baseline.get(r.name)));
  }

  // A step whose traffic never left: the readings have not caught up with the world (or the weights did not apply).
  const last = mem.lastMove;
  if (
    last !== undefined &&
    last.rps > 0 &&
    h.now < last.at + h.propagationMs + 3 * h.settleMs &&
    last.sourceLoad !== undefined &&
    h.arrival === 'immediate' &&
    h.direction === 'drain' &&
    h.source?.load !== undefined &&
    h.now >= last.at + h.propagationMs + h.settleMs / 2 &&
    last.sourceLoad >= 0.5 * last.rps &&
    last.sourceLoad - h.source.load < 0.25 * last.rps
  )
    out.push({
      kind: 'no-response',
      severity: 0.5,
      text: `${h.source.name} still reads ${Math.round(h.source.load)} rps, ${Math.round(last.rps)} rps after the step was to move`,
    });

  out.push(...calleesOf(h, ceiling));

  const failingSource = sourceFailing(h);
  if (failingSource) out.push(failingSource);
  return out.sort((a, b) => b.severity - a.severity);
}
