/**
 * The receiving half of the codec. Data packets are delivered the moment they arrive; repairs are checked
 * against what has arrived and, only when exactly one of their members is missing, XORed with the others to
 * rebuild it. A rebuilt packet is delivered at once and may complete other repairs, which rebuild in turn
 * (recursive recovery, done with a work list rather than recursion). A repair missing two or more members waits
 * for them; packets and waiting repairs live in a ring of `capacity` packets (about r × I_max), and what falls out
 * of it is forgotten: a member never received nor rebuilt then counts as unrecoverable.
 *
 * The receiver needs no settings of the sender: repairs carry their recipe. A repair wider than the ring grows it
 * (up to 2 × MAX_SPAN packets), so the sender's interleaves can change without a restart here.
 *
 * Counting: a packet that arrives after its rebuilt copy was delivered is `late` and suppressed, as is any second
 * copy (`duplicates`); one older than the ring is `stale` and dropped (the ring is much longer than any reorder).
 */
import { MAX_SPAN } from './settings.js';
import { parsePacket, type Recipe } from './wire.js';
import { xorBytes } from './xor.js';

export interface DecoderCounters {
  dataPackets: number;
  repairPackets: number;
  /** Packets rebuilt from repairs. */
  recovered: number;
  /** Data packets that left the ring never received nor rebuilt. */
  unrecoverable: number;
  /** Originals that arrived after their rebuilt copy had been delivered. */
  late: number;
  duplicates: number;
  /** Data packets or repairs about packets older than the ring. */
  stale: number;
  /** Packets that are not the link's (bad magic, kind or recipe) or a rebuild that does not add up. */
  invalid: number;
  /** Repairs that arrived with nothing to rebuild. */
  unneeded: number;
  /** Times a new sender session reset the receiver. */
  sessions: number;
}

export interface Delivery {
  readonly payload: Uint8Array;
  /** Extended (unwrapped) sequence number. */
  readonly seq: number;
  readonly recovered: boolean;
  /** For a rebuilt packet: milliseconds since the link first knew it was due (a later packet had arrived). */
  readonly delayMs: number;
}

export interface DecoderOptions {
  /** Packets the ring holds; rounded up to a power of two. */
  readonly capacity: number;
  readonly onDeliver: (d: Delivery) => void;
}

export interface Decoder {
  /** Takes one packet off the wire at time `now` (milliseconds). */
  receive(packet: Uint8Array, now: number): void;
  readonly counters: Readonly<DecoderCounters>;
  /** Packets held in the ring (received or rebuilt), and their bytes. */
  bufferPackets(): number;
  bufferBytes(): number;
  /** Repairs waiting for a second missing member. */
  pendingRepairs(): number;
  /** The ring's size in packets. */
  capacity(): number;
  /** Grows the ring to at least `packets` (never shrinks it: that would forget packets still needed). */
  ensureCapacity(packets: number): void;
}

const MISSING = 0;
const RECEIVED = 1;
const REBUILT = 2;

interface Pending {
  readonly recipe: Recipe;
  /** Extended sequence number of the first member. */
  readonly first: number;
  readonly payload: Uint8Array;
  missing: number;
  /** Sum of the missing members' sequence numbers: once one is left, it is that one. */
  missingSum: number;
  dead: boolean;
}

/** A slot that no sequence number owns. */
const EMPTY = Number.MIN_SAFE_INTEGER;

const pow2 = (n: number): number => 2 ** Math.ceil(Math.log2(Math.max(2, n)));

export function createDecoder(options: DecoderOptions): Decoder {
  const { onDeliver } = options;
  let size = pow2(options.capacity);
  let mask = size - 1;
  let slotSeq = new Float64Array(size).fill(EMPTY);
  let slotState = new Uint8Array(size);
  let slotPacket: (Uint8Array | undefined)[] = new Array<Uint8Array | undefined>(size);
  let slotOpened = new Float64Array(size);
  const waiters = new Map<number, Pending[]>();
  let pending = 0;
  let held = 0;
  let heldBytes = 0;
  let session: number | undefined;
  let started = false;
  let head = 0; // the highest sequence number the ring has room for
  let start = 0; // the first sequence number seen in this session: losses before it are not counted
  const counters: DecoderCounters = {
    dataPackets: 0,
    repairPackets: 0,
    recovered: 0,
    unrecoverable: 0,
    late: 0,
    duplicates: 0,
    stale: 0,
    invalid: 0,
    unneeded: 0,
    sessions: 0,
  };

  const reset = (): void => {
    slotSeq.fill(EMPTY);
    slotState.fill(MISSING);
    slotPacket = new Array<Uint8Array | undefined>(size);
    waiters.clear();
    pending = 0;
    held = 0;
    heldBytes = 0;
    started = false;
  };

  const low = (): number => head - size + 1;

  /**
   * The first packet of a session: the ring is laid out to end just before it, so that packets sent before it
   * (reordered behind it, or rebuilt from a repair) still find a slot.
   */
  const begin = (s: number, now: number): void => {
    started = true;
    start = s;
    head = s - 1;
    for (let t = s - size; t < s; t++) {
      const slot = t & mask;
      slotSeq[slot] = t;
      slotState[slot] = MISSING;
      slotPacket[slot] = undefined;
      slotOpened[slot] = now;
    }
  };

  /** Unwraps a 32-bit sequence number to the extended one nearest the head. */
  const unwrap = (wire: number): number => {
    if (!started) return wire;
    const delta = (wire - (head >>> 0)) | 0;
    return head + delta;
  };

  const forget = (s: number): void => {
    const list = waiters.get(s);
    if (list) {
      waiters.delete(s);
      for (const p of list)
        if (!p.dead) {
          p.dead = true;
          pending--;
        }
    }
  };

  /** Moves the head forward to `to`, forgetting what falls out of the ring. */
  const advance = (to: number, now: number): void => {
    if (to <= head) return;
    const from = Math.max(head + 1, to - size + 1);
    // Sequence numbers jumped over entirely never had a slot: lost, and known lost at once.
    if (from > head + 1) counters.unrecoverable += from - Math.max(head + 1, start);
    for (let s = from; s <= to; s++) {
      const slot = s & mask;
      const old = slotSeq[slot]!;
      if (old !== EMPTY) {
        if (slotState[slot] === MISSING) {
          if (old >= start) counters.unrecoverable++;
        } else {
          held--;
          heldBytes -= slotPacket[slot]!.length;
        }
        forget(old);
      }
      slotSeq[slot] = s;
      slotState[slot] = MISSING;
      slotPacket[slot] = undefined;
      slotOpened[slot] = now;
    }
    head = to;
  };

  /** Grows the ring to hold at least `span` packets, keeping what it holds. */
  const grow = (span: number): void => {
    const next = pow2(span);
    const seqs = slotSeq;
    const states = slotState;
    const packets = slotPacket;
    const opened = slotOpened;
    size = next;
    mask = size - 1;
    slotSeq = new Float64Array(size).fill(EMPTY);
    slotState = new Uint8Array(size);
    slotPacket = new Array<Uint8Array | undefined>(size);
    slotOpened = new Float64Array(size);
    for (let i = 0; i < seqs.length; i++) {
      const s = seqs[i]!;
      if (s === EMPTY) continue;
      const slot = s & mask;
      slotSeq[slot] = s;
      slotState[slot] = states[i]!;
      slotPacket[slot] = packets[i];
      slotOpened[slot] = opened[i]!;
    }
  };

  const has = (s: number): boolean => slotSeq[s & mask] === s && slotState[s & mask] !== MISSING;

  /** Stores a packet that is now known, delivers it, and rebuilds whatever that completes. */
  const store = (s: number, payload: Uint8Array, state: number, now: number): void => {
    const work: { s: number; payload: Uint8Array; state: number }[] = [{ s, payload, state }];
    while (work.length > 0) {
      const item = work.pop()!;
      const slot = item.s & mask;
      if (slotSeq[slot] !== item.s || slotState[slot] !== MISSING) continue;
      slotState[slot] = item.state;
      slotPacket[slot] = item.payload;
      held++;
      heldBytes += item.payload.length;
      const recovered = item.state === REBUILT;
      if (recovered) counters.recovered++;
      onDeliver({ payload: item.payload, seq: item.s, recovered, delayMs: recovered ? now - slotOpened[slot]! : 0 });
      const list = waiters.get(item.s);
      if (!list) continue;
      waiters.delete(item.s);
      for (const p of list) {
        if (p.dead) continue;
        p.missing--;
        p.missingSum -= item.s;
        if (p.missing === 0) {
          p.dead = true;
          pending--;
        } else if (p.missing === 1) {
          p.dead = true;
          pending--;
          const target = p.missingSum;
          const rebuilt = rebuild(p.first, p.recipe, p.payload, target);
          if (rebuilt) work.push({ s: target, payload: rebuilt, state: REBUILT });
          else counters.invalid++;
          // The target's own waiter entry still names this repair; it is dead and skipped there.
        }
      }
    }
  };

  /** The missing member `target` of a repair whose other members are all held; undefined if it does not add up. */
  const rebuild = (first: number, recipe: Recipe, payload: Uint8Array, target: number): Uint8Array | undefined => {
    const out = new Uint8Array(payload); // a copy (Buffer.prototype.slice would not copy)
    let length = recipe.lengthXor;
    for (let i = 0; i < recipe.count; i++) {
      const m = first + i * recipe.stride;
      if (m === target) continue;
      // A member that has left the ring since the repair came cannot be read back: nothing to rebuild from.
      if (!has(m)) return undefined;
      const p = slotPacket[m & mask]!;
      if (p.length > out.length) return undefined;
      xorBytes(out, p, p.length);
      length ^= p.length;
    }
    return length <= out.length ? out.subarray(0, length) : undefined;
  };

  /** A packet of another session than the one being received: the sender restarted, so start over. */
  const adopt = (s: number): void => {
    if (session === s) return;
    if (session !== undefined) reset();
    session = s;
    counters.sessions++;
  };

  const onData = (seqWire: number, payload: Uint8Array, now: number): void => {
    counters.dataPackets++;
    const s = unwrap(seqWire);
    if (!started) begin(s, now);
    if (s < low()) {
      counters.stale++;
      return;
    }
    advance(s, now);
    const slot = s & mask;
    if (slotState[slot] !== MISSING) {
      if (slotState[slot] === REBUILT) counters.late++;
      else counters.duplicates++;
      return;
    }
    store(s, payload, RECEIVED, now);
  };

  const onRepair = (recipe: Recipe, payload: Uint8Array, now: number): void => {
    counters.repairPackets++;
    const first = unwrap(recipe.first);
    const span = (recipe.count - 1) * recipe.stride + 1;
    if (span > size) {
      if (span > 2 * MAX_SPAN) {
        counters.invalid++;
        return;
      }
      grow(span);
    }
    const last = first + (recipe.count - 1) * recipe.stride;
    // A repair before any data: its members are the first this receiver knows of.
    if (!started) begin(first, now);
    advance(last, now);
    if (first < low()) {
      counters.stale++;
      return;
    }
    let missing = 0;
    let missingSum = 0;
    for (let i = 0; i < recipe.count; i++) {
      const m = first + i * recipe.stride;
      if (!has(m)) {
        missing++;
        missingSum += m;
      }
    }
    if (missing === 0) {
      counters.unneeded++;
      return;
    }
    if (missing === 1) {
      const rebuilt = rebuild(first, recipe, payload, missingSum);
      if (rebuilt) store(missingSum, rebuilt, REBUILT, now);
      else counters.invalid++;
      return;
    }
    const p: Pending = { recipe, first, payload, missing, missingSum, dead: false };
    pending++;
    for (let i = 0; i < recipe.count; i++) {
      const m = first + i * recipe.stride;
      if (has(m)) continue;
      const list = waiters.get(m);
      if (list) list.push(p);
      else waiters.set(m, [p]);
    }
  };

  return {
    receive(packet, now) {
      const parsed = parsePacket(packet);
      switch (parsed.kind) {
        case 'invalid':
          counters.invalid++;
          return;
        case 'data':
          adopt(parsed.session);
          onData(parsed.seq, parsed.payload, now);
          return;
        case 'repair':
          adopt(parsed.session);
          onRepair(parsed.recipe, parsed.payload, now);
          return;
      }
    },
    counters,
    bufferPackets: () => held,
    bufferBytes: () => heldBytes,
    pendingRepairs: () => pending,
    capacity: () => size,
    ensureCapacity(packets) {
      if (packets > size) grow(packets);
    },
  };
}
