/**
 * The lab's load from `wrk` (Debian's wrk 4.1, a C load generator with a Lua hook per request), in a process of its
 * own: paced to the rate asked, with the answers counted as they come. wrk alone is closed-loop (each connection
 * sends again as soon as it is answered); the script below paces it, giving every request the next slot of one
 * schedule at the rate asked (a thread's `delay()` before each request waits for its slot), so the rate stays the
 * rate asked whatever the latency, as long as the connections suffice. A generator that fell behind (a stalled
 * machine) catches up at most one second's worth: what it missed beyond that is not sent.
 *
 * Counting: `response()` counts each answer and each non-2xx one, and prints the counts at most every 100 ms on
 * stdout (the lab's live view); at the end `done()` prints the totals with wrk's own error counts: connections
 * refused, read and write errors (a connection lost with a request on it), and timeouts. Live, only the answers
 * are known: an error without an answer shows in the totals only.
 */
import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MaelstromError } from '../model/errors.js';
import type { LoadGenerator, LoadResult } from './generator.js';

export const WRK_BIN = process.env.MAELSTROM_WRK ?? '/usr/bin/wrk';

/** Whether wrk can be run (at MAELSTROM_WRK or /usr/bin/wrk). */
export function haveWrk(): boolean {
  try {
    accessSync(WRK_BIN, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The Lua script: arguments are the rate for all threads and the number of threads. */
export const WRK_SCRIPT = String.raw`
local ffi = require("ffi")
ffi.cdef[[
typedef struct { long tv_sec; long tv_nsec; } maelstrom_timespec;
int clock_gettime(int clock, maelstrom_timespec *tp);
]]
local MONOTONIC = ffi.os == "OSX" and 6 or 1
local ts = ffi.new("maelstrom_timespec")
local function now_ms()
  ffi.C.clock_gettime(MONOTONIC, ts)
  return tonumber(ts.tv_sec) * 1000 + tonumber(ts.tv_nsec) / 1e6
end

local threads = {}
function setup(thread)
  table.insert(threads, thread)
  thread:set("id", #threads)
end

-- Per thread (each has its own Lua state): its share of the rate, its schedule, its counts.
local interval, slot, reported = 1, nil, 0
answered, failed = 0, 0
function init(args)
  interval = 1000 * tonumber(args[2]) / tonumber(args[1])
end

function delay()
  local t = now_ms()
  if slot == nil or slot < t - 1000 then slot = t end
  slot = slot + interval
  return math.max(0, slot - t)
end

function response(status, headers, body)
  answered = answered + 1
  if status < 200 or status >= 300 then failed = failed + 1 end
  local t = now_ms()
  if t - reported >= 100 then
    reported = t
    io.write(string.format("n %d %d %d\n", id, answered, failed))
    io.flush()
  end
end

function done(summary, latency, requests)
  local a, f = 0, 0
  for _, thread in ipairs(threads) do
    a = a + thread:get("answered")
    f = f + thread:get("failed")
  end
  local e = summary.errors
  io.write(string.format("done %d %d %d %d %d %d %d %d\n", summary.duration, summary.requests, a, f,
    e.connect, e.read, e.write, e.timeout))
  io.flush()
end
`;

interface Totals {
  readonly microseconds: number;
  readonly requests: number;
  readonly answered: number;
  readonly failed: number;
  readonly connect: number;
  readonly read: number;
  readonly write: number;
  readonly timeout: number;
}

/** Reads a `done …` line of the script. */
export function parseWrkDone(line: string): Totals | undefined {
  const m = /^done (\d+) (\d+) (\d+) (\d+) (\d+) (\d+) (\d+) (\d+)$/.exec(line.trim());
  if (!m) return undefined;
  const [microseconds, requests, answered, failed, connect, read, write, timeout] = m.slice(1).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  return { microseconds, requests, answered, failed, connect, read, write, timeout };
}

/** What the load tells of a finished wrk: failures are non-2xx answers, socket errors and timeouts. */
export function wrkResult(t: Totals): LoadResult {
  const errors = t.connect + t.read + t.write;
  const seconds = t.microseconds / 1e6;
  return {
    generator: 'wrk',
    requests: t.answered,
    failedRequests: t.failed + errors + t.timeout,
    non2xx: t.failed,
    errors,
    timeouts: t.timeout,
    seconds: Math.round(seconds * 10) / 10,
    averageRps: seconds > 0 ? Math.round(t.answered / seconds) : 0,
  };
}

export function startWrk(
  url: string,
  rps: number,
  options: { readonly connections: number; readonly maxSeconds?: number },
): LoadGenerator {
  const dir = mkdtempSync(join(tmpdir(), 'maelstrom-wrk-'));
  const script = join(dir, 'pace.lua');
  writeFileSync(script, WRK_SCRIPT);
  const threads = 1;
  const args = [
    '-t',
    String(threads),
    '-c',
    String(Math.max(threads, options.connections)),
    '-d',
    `${options.maxSeconds ?? 3600}s`,
    '--timeout',
    '5s',
    '-s',
    script,
    url,
    '--',
    String(rps),
    String(threads),
  ];
  const child = spawn(WRK_BIN, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const live = new Map<number, { answered: number; failed: number }>();
  let answered = 0;
  let failed = 0;
  let atMs = Date.now();
  let totals: Totals | undefined;
  let output = '';
  let pending = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    output = (output + chunk).slice(-4000);
    const lines = (pending + chunk).split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) {
      const n = /^n (\d+) (\d+) (\d+)$/.exec(line);
      if (n) {
        live.set(Number(n[1]), { answered: Number(n[2]), failed: Number(n[3]) });
        answered = [...live.values()].reduce((s, x) => s + x.answered, 0);
        failed = [...live.values()].reduce((s, x) => s + x.failed, 0);
        atMs = Date.now();
      } else totals = parseWrkDone(line) ?? totals;
    }
  });
  child.stderr.on('data', (c: Buffer) => {
    output = (output + c.toString('utf8')).slice(-4000);
  });
  let stopping = false;
  const exited = new Promise<number | null>((resolve) => {
    child.on('exit', (code) => resolve(code));
    child.on('error', (e) => {
      output += `${e.message}\n`;
      resolve(-1);
    });
  });
  void exited.then(() => rmSync(dir, { recursive: true, force: true }));
  return {
    generator: 'wrk',
    pid: child.pid ?? 0,
    failedSoFar: () => failed,
    requestsSoFar: () => answered,
    mark: () => ({ atMs, responses: answered }),
    async stop() {
      if (!stopping && child.exitCode === null && child.signalCode === null) {
        stopping = true;
        // wrk ends on SIGINT as at the end of its duration: it prints its summary and runs done().
        child.kill('SIGINT');
      }
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
      if (totals === undefined)
        throw new MaelstromError(
          'E_BACKEND_UNAVAILABLE',
          `wrk (${WRK_BIN}) ended without its totals${stopping ? '' : ' before it was stopped'}:\n${output.trim()}`,
        );
      return wrkResult(totals);
    },
  };
}
