/**
 * Demand over the day, and its seeded noise. Noise is a pure function of (seed, service, tick), never of a running
 * generator's state, so that demand at a given instant does not depend on how the world was stepped or acted upon.
 */
import type { LoadCurve } from '../model/definitions.js';

const DAY_MS = 86_400_000;

export interface Curve {
  /** Demand as a fraction of the peak at time t (ms since the epoch), without noise. */
  readonly factor: (t: number) => number;
  readonly noise: number;
}

export function compileCurve(load: LoadCurve): Curve {
  if (load.curve === 'flat') return { factor: () => 1, noise: load.noise };
  const [h, m] = load.peak.split(':').map(Number) as [number, number];
  const peakMs = (h * 60 + m) * 60_000;
  const trough = load.trough;
  return {
    noise: load.noise,
    // A cosine with its maximum at the peak time of day and its minimum twelve hours away.
    factor: (t) => {
      const phase = ((((t - peakMs) % DAY_MS) + DAY_MS) % DAY_MS) / DAY_MS;
      return trough + ((1 - trough) * (1 + Math.cos(2 * Math.PI * phase))) / 2;
    },
  };
}

/** A 32-bit avalanche hash (the finaliser of MurmurHash3), for noise keyed by integers. */
function mix(x: number): number {
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  return (x ^ (x >>> 16)) >>> 0;
}

/** A uniform number in (0, 1) determined by three integers. */
export function uniform(seed: number, a: number, b: number): number {
  const h = mix(mix(mix(seed | 0) ^ Math.imul(a | 0, 0x9e3779b1)) ^ Math.imul(b | 0, 0x7f4a7c15));
  return (h + 0.5) / 4_294_967_296;
}

/** A standard normal number determined by three integers (Box–Muller on two keyed uniforms). */
export function gaussian(seed: number, a: number, b: number): number {
  const u = uniform(seed, a * 2, b);
  const v = uniform(seed, a * 2 + 1, b);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}
