/**
 * The CPU time of the lab: this process and every process it started (HAProxy, the services, Prometheus,
 * PostgreSQL, the controllers), read from Linux's /proc. On a machine others share, the rate the lab reaches says
 * how much CPU it got; the CPU it spent per request says what it needs, which the others' load changes much less.
 * Elsewhere (no /proc) there is no reading.
 */
import { readdirSync, readFileSync } from 'node:fs';

/** Clock ticks a second of /proc's times (USER_HZ, 100 on Linux). */
const TICKS = 100;

interface Proc {
  readonly ppid: number;
  readonly ticks: number;
}

function processes(): Map<number, Proc> {
  const out = new Map<number, Proc>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // state ppid … utime(12) stime(13) cutime(14) cstime(15), counted from the field after the name.
      out.set(Number(name), { ppid: Number(f[1]), ticks: Number(f[11]) + Number(f[12]) });
    } catch {
      // Gone meanwhile.
    }
  }
  return out;
}

/** CPU seconds spent so far by this process and its descendants now alive; undefined without /proc. */
export function labCpuSeconds(root: number = process.pid): number | undefined {
  let procs: Map<number, Proc>;
  try {
    procs = processes();
  } catch {
    return undefined;
  }
  if (!procs.has(root)) return undefined;
  const children = new Map<number, number[]>();
  for (const [pid, p] of procs) children.set(p.ppid, [...(children.get(p.ppid) ?? []), pid]);
  let ticks = 0;
  const stack = [root];
  while (stack.length > 0) {
    const pid = stack.pop()!;
    ticks += procs.get(pid)?.ticks ?? 0;
    stack.push(...(children.get(pid) ?? []));
  }
  return ticks / TICKS;
}

/** CPU seconds spent so far by one process (its own threads; not its children); undefined without /proc or it. */
export function processCpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / TICKS;
  } catch {
    return undefined;
  }
}

/** What a process of the lab is, by the child of the lab it descends from. */
export type LabPart =
  'lab' | 'generator' | 'haproxy' | 'services' | 'prometheus' | 'postgres' | 'controllers' | 'other';

function partOf(pid: number): LabPart {
  let comm: string;
  let cmd: string;
  try {
    comm = readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
    cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return 'other';
  }
  if (comm === 'wrk') return 'generator';
  if (comm === 'haproxy') return 'haproxy';
  if (comm === 'prometheus') return 'prometheus';
  if (comm === 'postgres') return 'postgres';
  if (cmd.includes('service.mjs')) return 'services';
  if (cmd.includes('lab-controller')) return 'controllers';
  return 'other';
}

/**
 * The lab's CPU time process by process, sampled as it runs: a process that ends between two samples (the leader
 * killed mid-drain) keeps what it had spent at the last one, instead of its whole life vanishing from the sum.
 */
export class LabCpuTracker {
  private readonly seen = new Map<number, { ticks: number; part: LabPart }>();

  constructor(private readonly root: number = process.pid) {}

  /** Reads every process of the lab now; false without /proc. */
  sample(): boolean {
    let procs: Map<number, Proc>;
    try {
      procs = processes();
    } catch {
      return false;
    }
    if (!procs.has(this.root)) return false;
    const children = new Map<number, number[]>();
    for (const [pid, p] of procs) children.set(p.ppid, [...(children.get(p.ppid) ?? []), pid]);
    const stack: { pid: number; part: LabPart }[] = [{ pid: this.root, part: 'lab' }];
    while (stack.length > 0) {
      const { pid, part } = stack.pop()!;
      const known = this.seen.get(pid);
      // A process keeps the part it was first seen with (its command line may change, as PostgreSQL's do).
      const mine = known?.part ?? part;
      this.seen.set(pid, { ticks: procs.get(pid)?.ticks ?? known?.ticks ?? 0, part: mine });
      for (const c of children.get(pid) ?? [])
        stack.push({ pid: c, part: pid === this.root ? (this.seen.get(c)?.part ?? partOf(c)) : mine });
    }
    return true;
  }

  /** Samples, and answers CPU seconds so far by process id (undefined without /proc). */
  mark(): ReadonlyMap<number, { readonly ticks: number; readonly part: LabPart }> | undefined {
    return this.sample() ? new Map(this.seen) : undefined;
  }
}

/** CPU seconds spent between two marks, in all and by part (a process born meanwhile counts from 0). */
export function cpuBetween(
  from: ReadonlyMap<number, { readonly ticks: number; readonly part: LabPart }>,
  to: ReadonlyMap<number, { readonly ticks: number; readonly part: LabPart }>,
): { readonly total: number; readonly byPart: Readonly<Record<LabPart, number>> } {
  const byPart: Record<LabPart, number> = {
    lab: 0,
    generator: 0,
    haproxy: 0,
    services: 0,
    prometheus: 0,
    postgres: 0,
    controllers: 0,
    other: 0,
  };
  let total = 0;
  for (const [pid, p] of to) {
    const ticks = Math.max(0, p.ticks - (from.get(pid)?.ticks ?? 0));
    byPart[p.part] += ticks / TICKS;
    total += ticks / TICKS;
  }
  const round = (x: number): number => Math.round(x * 100) / 100;
  return {
    total: round(total),
    byPart: Object.fromEntries(Object.entries(byPart).map(([k, v]) => [k, round(v)])) as Record<LabPart, number>,
  };
}
