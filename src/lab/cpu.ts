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
