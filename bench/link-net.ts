/**
 * The link's network figures on this machine: kernel TCP (iperf3, CUBIC or Reno) between two network namespaces,
 * through the emulated long-haul path alone and through the path with the link on both ends, and the CPU and
 * memory of every process while it runs. Each link process and each emulator is a process of its own
 * (bench/link-node.ts), as they would be deployed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  createTopology,
  iperf,
  running,
  startTunnels,
  type Hop,
  type IperfResult,
  type Topology,
} from '../test/link-netns.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const round = (x: number, digits = 1): number => Math.round(x * 10 ** digits) / 10 ** digits;
const TICKS = 100; // USER_HZ

interface Proc {
  readonly name: string;
  readonly child: ChildProcess;
}

const at = (h: Hop): string => `${h.host}:${h.port}`;

async function startNode(name: string, role: string, options: Record<string, unknown>): Promise<Proc> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/link-node.ts', role, JSON.stringify(options)], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout.once('data', () => resolve());
    child.once('exit', (code) => reject(new Error(`${name} stopped (${code}) before it was ready`)));
  });
  return { name, child };
}

/** CPU seconds (user + system) and resident memory of a process, from /proc. */
function stat(pid: number): { cpuSeconds: number; rssMB: number } {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    const cpu = (Number(fields[11]) + Number(fields[12])) / TICKS;
    const rss = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return { cpuSeconds: cpu, rssMB: round(Number(rss?.[1] ?? 0) / 1024) };
  } catch {
    return { cpuSeconds: 0, rssMB: 0 };
  }
}

/** The socat and iperf3 processes in the topology's namespaces (matched by namespace, not by name alone). */
function namespacePids(t: Topology): { name: string; pid: number }[] {
  const inodes = new Map<string, string>();
  for (const [site, label] of [
    [t.a, 'A'],
    [t.b, 'B'],
  ] as const)
    inodes.set(`net:[${statSync(`/run/netns/${site.ns}`).ino}]`, label);
  const out: { name: string; pid: number }[] = [];
  for (const dir of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const site = inodes.get(readlinkSync(`/proc/${dir}/ns/net`));
      if (!site) continue;
      const cmd = readFileSync(`/proc/${dir}/cmdline`, 'utf8').split('\0');
      if (cmd[0] === 'socat' || cmd[0] === 'iperf3') out.push({ name: `${cmd[0]} ${site}`, pid: Number(dir) });
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** UDP receive-buffer drops (RcvbufErrors) in the root namespace and each site: where a slow reader lost packets. */
async function udpDrops(t: Topology): Promise<Record<string, number>> {
  const parse = (text: string): number => {
    const lines = text.split('\n').filter((l) => l.startsWith('Udp:'));
    const names = lines[0]!.split(/\s+/);
    return Number(lines[1]!.split(/\s+/)[names.indexOf('RcvbufErrors')]);
  };
  return {
    root: parse(readFileSync('/proc/net/snmp', 'utf8')),
    A: parse(await t.exec(t.a, 'cat', ['/proc/net/snmp'])),
    B: parse(await t.exec(t.b, 'cat', ['/proc/net/snmp'])),
  };
}

export interface PathSettings {
  readonly delay: string;
  readonly bandwidth?: string;
  readonly loss: string;
}

export interface PathResult {
  readonly mode: 'emulator only' | 'link';
  readonly iperf: IperfResult;
  readonly megabitsPerSecond: number;
  readonly cpu: Record<string, { cpuPercent: number; rssMB: number }>;
  readonly linkCounters?: Record<string, number>;
  /** UDP receive-buffer drops during the run (root: the link's and the emulator's sockets, on a shared machine). */
  readonly udpReceiveDrops: Record<string, number>;
}

/** One iperf3 run from A to B over the emulated path, with the link on both ends or without it. */
export async function runPath(
  t: Topology,
  mode: 'emulator only' | 'link',
  path: PathSettings,
  seconds: number,
  fec = { rate: '8,3', interleave: '1,10,100' },
): Promise<PathResult> {
  const procs: Proc[] = [];
  const emulate = { delay: path.delay, loss: path.loss, ...(path.bandwidth ? { bandwidth: path.bandwidth } : {}) };
  try {
    for (const [from, to, dir, seed] of [
      [t.a, t.b, 'A→B', 1],
      [t.b, t.a, 'B→A', 2],
    ] as const) {
      if (mode === 'emulator only') {
        procs.push(
          await startNode(`emulate ${dir}`, 'emulate', { listen: at(from.entry), to: at(to.exit), ...emulate, seed }),
        );
        continue;
      }
      const emuIn = t.hop(0);
      const recvIn = t.hop(0);
      procs.push(await startNode(`receive ${dir}`, 'receive', { listen: at(recvIn), to: at(to.exit), ...fec }));
      procs.push(await startNode(`emulate ${dir}`, 'emulate', { listen: at(emuIn), to: at(recvIn), ...emulate, seed }));
      procs.push(await startNode(`send ${dir}`, 'send', { listen: at(from.entry), to: at(emuIn), ...fec }));
    }
    const all = (): { name: string; pid: number }[] => [
      ...procs.map((p) => ({ name: p.name, pid: p.child.pid! })),
      ...namespacePids(t),
    ];
    const before = new Map(all().map((p) => [p.name, stat(p.pid)]));
    const dropsBefore = await udpDrops(t);
    const started = performance.now();
    // Sample the namespace processes (iperf3 comes and goes) half-way through.
    let mid: { name: string; pid: number }[] = [];
    const sampler = setTimeout(() => (mid = all()), (seconds * 1000) / 2);
    const result = await iperf(t, { seconds });
    clearTimeout(sampler);
    const elapsed = (performance.now() - started) / 1000;
    const dropsAfter = await udpDrops(t);
    const udpReceiveDrops = Object.fromEntries(
      Object.entries(dropsAfter).map(([k, v]) => [k, v - (dropsBefore[k] ?? 0)]),
    );
    const cpu: PathResult['cpu'] = {};
    for (const p of [...all(), ...mid]) {
      if (cpu[p.name]) continue;
      const now = stat(p.pid);
      const was = before.get(p.name)?.cpuSeconds ?? 0;
      cpu[p.name] = { cpuPercent: round((100 * (now.cpuSeconds - was)) / elapsed), rssMB: now.rssMB };
    }
    let linkCounters: Record<string, number> | undefined;
    if (mode === 'link') {
      const receiver = procs.find((p) => p.name === 'receive A→B')!;
      const metrics = await new Promise<string>((resolve) => {
        receiver.child.stdout!.once('data', (d: Buffer) =>
          resolve((JSON.parse(d.toString()) as { metrics: string }).metrics),
        );
        receiver.child.kill('SIGUSR2');
      });
      linkCounters = {};
      for (const line of metrics.split('\n')) {
        const m = /^maelstrom_link_(\w+?)(?:_total)?\{([^}]*)\} (\d+(?:\.\d+)?)$/.exec(line);
        if (!m || line.includes('_bucket') || line.includes('socket')) continue;
        const kind = /kind="(\w+)"/.exec(m[2]!)?.[1];
        linkCounters[kind ? `${m[1]}_${kind}` : m[1]!] = Number(m[3]);
      }
    }
    return {
      mode,
      iperf: result,
      megabitsPerSecond: round(result.bitsPerSecond / 1e6),
      cpu,
      udpReceiveDrops,
      ...(linkCounters ? { linkCounters } : {}),
    };
  } finally {
    for (const p of procs) p.child.kill('SIGTERM');
    await Promise.all(
      procs.map((p) => (running(p.child) ? new Promise((r) => p.child.once('exit', r)) : Promise.resolve())),
    );
  }
}

/** Builds the namespaces and TUN devices, runs `body`, and removes everything after. */
export async function withTopology<T>(mtu: number, body: (t: Topology) => Promise<T>): Promise<T> {
  const t = await createTopology({ mtu });
  try {
    await startTunnels(t, mtu);
    return await body(t);
  } finally {
    await t.close();
  }
}

/**
 * Split mode: iperf3 on loopback into `link tcp --accept`, across two emulators of a path with `delay` one way
 * and 0.1 % loss, out of `link tcp --connect` into the iperf3 server. Returns megabits per second.
 */
export async function runSplit(delay: string, seconds: number, bandwidth: string): Promise<Record<string, unknown>> {
  const port = (): number => 20_000 + Math.floor(Math.random() * 20_000);
  const [aIn, bIn, ab, ba, accept, server] = [port(), port(), port(), port(), port(), port()];
  const l = (p: number): string => `127.0.0.1:${p}`;
  const procs: Proc[] = [];
  const iperfServer = spawn('iperf3', ['-s', '-1', '--forceflush', '-B', '127.0.0.1', '-p', String(server)], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  try {
    await new Promise<void>((resolve) => {
      iperfServer.stdout.on('data', (d: Buffer) => d.toString().includes('listening') && resolve());
    });
    const path = { delay, loss: '0.1%', bandwidth: '1gbit' };
    procs.push(await startNode('emulate A→B', 'emulate', { listen: l(ab), to: l(bIn), ...path, seed: 1 }));
    procs.push(await startNode('emulate B→A', 'emulate', { listen: l(ba), to: l(aIn), ...path, seed: 2 }));
    procs.push(await startNode('tcp B', 'tcp', { listen: l(bIn), to: l(ba), connect: l(server), bandwidth }));
    procs.push(await startNode('tcp A', 'tcp', { listen: l(aIn), to: l(ab), accept: l(accept), bandwidth }));
    const out = await new Promise<string>((resolve, reject) => {
      const c = spawn('iperf3', ['-c', '127.0.0.1', '-p', String(accept), '-t', String(seconds), '-J'], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let text = '';
      c.stdout.on('data', (d: Buffer) => (text += d.toString()));
      c.once('exit', () => resolve(text));
      c.once('error', reject);
    });
    const j = JSON.parse(out) as { error?: string; end?: { sum_received?: { bits_per_second: number } } };
    if (!j.end?.sum_received) throw new Error(`iperf3: ${j.error ?? out.slice(0, 300)}`);
    return { oneWayDelay: delay, megabitsPerSecond: round(j.end.sum_received.bits_per_second / 1e6) };
  } finally {
    for (const p of procs) p.child.kill('SIGTERM');
    if (running(iperfServer)) iperfServer.kill('SIGKILL');
    await Promise.all(
      procs.map((p) => (running(p.child) ? new Promise((r) => p.child.once('exit', r)) : Promise.resolve())),
    );
  }
}
