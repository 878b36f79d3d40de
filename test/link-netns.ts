/**
 * A two-site network for the link's tests and benchmarks, made of Linux network namespaces: site A and site B
 * each have a namespace with a TUN device (socat) and a veth pair to the root namespace, where the link's
 * processes and the emulator run. Kernel TCP between 192.0.2.1 (A) and 192.0.2.2 (B) then crosses:
 *
 *   A: TUN ─ socat ─UDP→ [send → emulate → receive] ─UDP→ socat ─ TUN :B      (and the same from B to A)
 *
 * or, for the baseline, the emulator alone. Every name and address is drawn per run (veth addresses from the
 * 198.18.0.0/15 benchmarking range), so parallel runs do not collide; `close()` removes everything, also after a
 * failed test. TCP in both namespaces is pinned to CUBIC, or to Reno where the root namespace does not allow
 * CUBIC in other namespaces (net.ipv4.tcp_allowed_congestion_control): BBR would hide the loss the link is about.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes, randomInt } from 'node:crypto';
import { rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Whether a child is still running (one killed by a signal has a signalCode and no exitCode). */
export const running = (c: ChildProcess): boolean => c.exitCode === null && c.signalCode === null;

export interface Hop {
  readonly host: string;
  readonly port: number;
}

export interface Site {
  readonly ns: string;
  /** The TUN address TCP uses. */
  readonly tunIp: string;
  /** Where socat in this namespace sends what TCP sends (the link's entry for this direction). */
  readonly entry: Hop;
  /** Where socat in this namespace receives what comes from the other site. */
  readonly exit: Hop;
}

export interface Topology {
  readonly id: string;
  /** The congestion control TCP uses in both sites: cubic or reno. */
  readonly congestion: 'cubic' | 'reno';
  readonly a: Site;
  readonly b: Site;
  /** Free addresses in the root namespace for the hops between entry and exit (on the A side's veth). */
  hop(n: number): Hop;
  /** Runs a command in a site's namespace. */
  exec(site: Site, command: string, args: readonly string[], timeoutMs?: number): Promise<string>;
  /** Starts a long-running command in a site's namespace; it is stopped by close(). */
  spawnIn(site: Site, command: string, args: readonly string[]): ChildProcess;
  close(): Promise<void>;
}

/** Whether this machine can build the topology: root, and ip, socat and iperf3 installed. */
export async function canBuildTopology(): Promise<boolean> {
  if (process.getuid?.() !== 0) return false;
  try {
    await Promise.all(['ip', 'socat', 'iperf3'].map((p) => run('sh', ['-c', `command -v ${p}`])));
    return true;
  } catch {
    return false;
  }
}

const ip = (base: number, i: number): string => {
  const n = (198 << 24) + (18 << 16) + base * 8 + i;
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
};

export async function createTopology(options: { readonly mtu?: number } = {}): Promise<Topology> {
  // The veth carries socat's UDP: the TUN packet and 28 bytes of IP and UDP headers.
  const vethMtu = Math.max(1500, (options.mtu ?? 1400) + 100);
  const id = `ml${randomBytes(3).toString('hex')}`;
  const base = randomInt(0, 2 ** 17 / 8); // eight addresses of 198.18.0.0/15
  const children: ChildProcess[] = [];
  const site = (s: 'a' | 'b', off: number, tunIp: string): Site => ({
    ns: `${id}${s}`,
    tunIp,
    entry: { host: ip(base, off + 1), port: 4000 },
    exit: { host: ip(base, off + 2), port: 4001 },
  });
  const a = site('a', 0, '192.0.2.1');
  const b = site('b', 4, '192.0.2.2');
  let hops = 0;
  const allowed = (await run('sysctl', ['-n', 'net.ipv4.tcp_allowed_congestion_control'])).stdout.split(/\s+/);
  const congestion = allowed.includes('cubic') ? 'cubic' : 'reno';
  const topology: Topology = {
    id,
    congestion,
    a,
    b,
    hop: () => ({ host: a.entry.host, port: 4100 + hops++ }),
    exec: async (s, command, args, timeoutMs = 60_000) =>
      (await run('ip', ['netns', 'exec', s.ns, command, ...args], { timeout: timeoutMs, maxBuffer: 1 << 24 })).stdout,
    spawnIn(s, command, args) {
      const child = spawn('ip', ['netns', 'exec', s.ns, command, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
      children.push(child);
      return child;
    },
    async close() {
      for (const c of children) if (running(c)) c.kill('SIGKILL');
      await Promise.all(children.map((c) => (running(c) ? new Promise((r) => c.once('exit', r)) : Promise.resolve())));
      for (const s of [a, b]) {
        // Anything still running in the namespace (a child of a shell) would keep it, and its veth, alive.
        const pids = await run('ip', ['netns', 'pids', s.ns]).then(
          (r) => r.stdout.split(/\s+/).filter(Boolean),
          () => [],
        );
        for (const pid of pids) {
          try {
            process.kill(Number(pid), 'SIGKILL');
          } catch {
            // already gone
          }
        }
        await run('ip', ['link', 'del', `${s.ns}0`]).catch(() => undefined);
        await run('ip', ['netns', 'del', s.ns]).catch(() => undefined);
      }
    },
  };
  try {
    for (const [s, off] of [
      [a, 0],
      [b, 4],
    ] as const) {
      const root = `${s.ns}0`;
      const inner = `${s.ns}1`;
      await run('ip', ['netns', 'add', s.ns]);
      await run('ip', ['link', 'add', root, 'type', 'veth', 'peer', 'name', inner]);
      await run('ip', ['link', 'set', inner, 'netns', s.ns]);
      await run('ip', ['addr', 'add', `${ip(base, off + 1)}/30`, 'dev', root]);
      await run('ip', ['link', 'set', root, 'mtu', String(vethMtu), 'up']);
      await run('ip', ['-n', s.ns, 'addr', 'add', `${ip(base, off + 2)}/30`, 'dev', inner]);
      await run('ip', ['-n', s.ns, 'link', 'set', inner, 'mtu', String(vethMtu), 'up']);
      await run('ip', ['-n', s.ns, 'link', 'set', 'lo', 'up']);
      for (const setting of [
        `net.ipv4.tcp_congestion_control=${congestion}`,
        'net.ipv4.tcp_rmem=4096 131072 33554432',
        'net.ipv4.tcp_wmem=4096 131072 33554432',
      ])
        await run('ip', ['netns', 'exec', s.ns, 'sysctl', '-q', '-w', setting]);
    }
    return topology;
  } catch (e) {
    await topology.close();
    throw e;
  }
}

/** Starts socat with a TUN device in each site, bridging TUN packets to UDP (entry out, exit in). */
export async function startTunnels(t: Topology, mtu = 1400): Promise<void> {
  for (const [s, peer] of [
    [t.a, t.b],
    [t.b, t.a],
  ] as const) {
    const tun = `${s.ns}t`;
    const child = t.spawnIn(s, 'socat', [
      '-b',
      '65536',
      `TUN:${s.tunIp}/24,tun-name=${tun},tun-type=tun,iff-no-pi,iff-up`,
      `UDP-DATAGRAM:${s.entry.host}:${s.entry.port},bind=${s.exit.host}:${s.exit.port},rcvbuf=4194304,sndbuf=4194304`,
    ]);
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    // The device exists once socat has opened it; then its MTU leaves room for the link's headers.
    const deadline = Date.now() + 10_000;
    for (;;) {
      try {
        await t.exec(s, 'ip', ['link', 'set', tun, 'mtu', String(mtu), 'txqueuelen', '10000']);
        break;
      } catch {
        if (!running(child) || Date.now() > deadline)
          throw new Error(`socat did not bring up ${tun} in ${s.ns}: ${stderr}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    void peer;
  }
}

export interface IperfResult {
  readonly bitsPerSecond: number;
  readonly bytes: number;
  readonly retransmits: number;
  readonly seconds: number;
}

/** iperf3 from A to B (`-n bytes` or `-t seconds`), with the topology's congestion control, JSON; the server in B is started and stopped here. */
export async function iperf(
  t: Topology,
  what: { bytes?: number; seconds?: number },
  port = 5201,
): Promise<IperfResult> {
  const server = t.spawnIn(t.b, 'iperf3', ['-s', '-1', '--forceflush', '-B', t.b.tunIp, '-p', String(port)]);
  await new Promise<void>((resolve, reject) => {
    let out = '';
    server.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('listening')) resolve();
    });
    server.once('exit', () => reject(new Error(`iperf3 -s stopped: ${out}`)));
  });
  const amount = what.bytes !== undefined ? ['-n', String(what.bytes)] : ['-t', String(what.seconds ?? 5)];
  const limit = ((what.seconds ?? 60) + 30) * 1000;
  try {
    const out = await t.exec(
      t.a,
      'iperf3',
      ['-c', t.b.tunIp, '-p', String(port), '-C', t.congestion, '-J', ...amount],
      limit,
    );
    const j = JSON.parse(out) as {
      error?: string;
      end?: {
        sum_sent?: { retransmits: number };
        sum_received?: { bits_per_second: number; bytes: number; seconds: number };
      };
    };
    const received = j.end?.sum_received;
    if (j.error !== undefined || !received) throw new Error(`iperf3: ${j.error ?? out.slice(0, 500)}`);
    return {
      bitsPerSecond: received.bits_per_second,
      bytes: received.bytes,
      retransmits: j.end?.sum_sent?.retransmits ?? 0,
      seconds: received.seconds,
    };
  } finally {
    if (running(server)) server.kill('SIGKILL');
  }
}

/**
 * Sends `bytes` random bytes over one TCP connection from A to B (socat at both ends) and returns the SHA-256
 * of what was sent and of what arrived, and the time it took.
 */
export async function transfer(
  t: Topology,
  bytes: number,
  port = 7000,
): Promise<{ sent: string; received: string; seconds: number }> {
  const data = randomBytes(bytes);
  const file = join(tmpdir(), `${t.id}-transfer`);
  await writeFile(file, data);
  try {
    const server = t.spawnIn(t.b, 'sh', [
      '-c',
      `socat -u TCP-LISTEN:${port},bind=${t.b.tunIp},reuseaddr - | sha256sum`,
    ]);
    let out = '';
    server.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    const done = new Promise<void>((r) => server.once('exit', () => r()));
    // socat listens within a moment of starting; the client retries its connection until then.
    const start = performance.now();
    await t.exec(t.a, 'socat', ['-u', `OPEN:${file}`, `TCP:${t.b.tunIp}:${port},retry=50,interval=0.1`], 120_000);
    await done;
    return {
      sent: createHash('sha256').update(data).digest('hex'),
      received: out.trim().split(/\s+/)[0] ?? '',
      seconds: (performance.now() - start) / 1000,
    };
  } finally {
    await rm(file, { force: true });
  }
}
