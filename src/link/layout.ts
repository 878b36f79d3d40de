/**
 * Layered interleaving: where each data packet goes in each layer, and where each repair closes.
 *
 * A layer with interleave I splits the stream into I classes by sequence number (seq mod I); inside a class,
 * each run of r consecutive members is XORed into one repair. A burst of up to I consecutive losses therefore
 * costs each class at most one packet, which that class's repair rebuilds; a layer with I = 1 catches isolated
 * losses at once, I = 100 catches bursts of up to 100 later. Every layer emits one repair per r data packets, so
 * c layers cost c / r.
 *
 * Staggered start: if every class began its runs at the same place, the I repairs of a layer would all close
 * within I packets of each other and then none for (r − 1) × I packets, a burst of repairs that a loss burst
 * can take out together. Each class instead starts its runs at an offset chosen so that, over a cycle of r × I
 * packets, its repairs close about every r packets; the layers are further shifted by r / c against each other,
 * so the link as a whole sends one repair about every r / c data packets.
 */

/** Where the runs of one layer's classes start: `offsets[k]` for class k. */
export interface LayerLayout {
  readonly interleave: number;
  readonly r: number;
  /** Per class: a class member at class position n = floor(seq / I) closes its run when (n + offset) mod r = r − 1. */
  readonly offsets: Int32Array;
}

/**
 * The offsets of one layer. The j-th repair of a cycle should close at about j × r + r − 1 + phase; the class that closes
 * there is the first one at or after that place that has not been given a place yet (exact when r and I are
 * coprime, within a few packets otherwise).
 */
export function layerLayout(r: number, interleave: number, phase: number): LayerLayout {
  const span = r * interleave;
  const offsets = new Int32Array(interleave);
  const placed = new Uint8Array(interleave);
  for (let j = 0; j < interleave; j++) {
    // r − 1: with I = 1 and no phase, runs close at r − 1, 2r − 1, …, so the first run is whole.
    const target = j * r + r - 1 + phase;
    let d = 0;
    while (placed[(target + d) % interleave] === 1) d++;
    const k = (target + d) % interleave;
    placed[k] = 1;
    // The class member at position `closing` (of this r × I cycle) closes a run: (n_end + offset) mod r = r − 1.
    const closing = (target + d) % span;
    const nEnd = Math.floor(closing / interleave);
    offsets[k] = (((r - 1 - nEnd) % r) + r) % r;
  }
  return { interleave, r, offsets };
}

/** The layouts of all c layers, layer l shifted by round(l × r / c). */
export function layouts(r: number, interleaves: readonly number[]): LayerLayout[] {
  const c = interleaves.length;
  return interleaves.map((interleave, l) => layerLayout(r, interleave, Math.round((l * r) / c)));
}

/** Whether the data packet `seq` closes its run in this layer (its repair is due right after it). */
export function closesRun(layout: LayerLayout, seq: number): boolean {
  const k = seq % layout.interleave;
  const n = Math.floor(seq / layout.interleave);
  return (n + layout.offsets[k]!) % layout.r === layout.r - 1;
}
