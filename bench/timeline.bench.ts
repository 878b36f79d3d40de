/**
 * The retrospective timeline's figures (issue 17):
 * - `journaling`: the drain test (drain-test-east: evacuate-east, the hold, restore-east) with the journal on and
 *   off, alternated, on a SQLite file as `maelstrom run --store sqlite:FILE` keeps it: CPU and wall seconds per run
 *   and the ratio of the medians (target: at most 1.10);
 * - `cut`: a day of journal of the reference fleet (every change of that drain test and its restore, the
 *   simulator's calls and its own changes, spread over 24 hours; and the same ten times over) in a SQLite file, and
 *   the cut at instants across the day read and folded as `maelstrom timeline --at` does (target: under 100 ms);
 * - `causality`: 20 drills with the controller's and the simulator's clocks skewed apart (seeded, up to the max
 *   offset between them), the two trading HLCs on every call as `maelstrom sim`'s header does; for every action of
 *   the simulator's journal, is the controller's `stage.start` of the same origin before it, in HLC order and in
 *   wall-clock order (target: no violation in HLC order, at least one in wall-clock order).
 * Wall-clock figures depend on the machine's load: `loadAverage` is printed beside them, and CPU time where it says
 * more. Run alone with `npx tsx bench/timeline.bench.ts [journaling|cut|causality]`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import type { Backend } from '../src/backends/backend.js';
import type { SimBackend } from '../src/backends/sim/backend.js';
import { runDrill } from '../src/drill/runner.js';
import { loadOrFail } from '../src/load/check.js';
import type { Definitions } from '../src/model/definitions.js';
import { compareHlc, createHybridClock, hlcOf, type HybridClock } from '../src/model/hlc.js';
import { seededRandom } from '../src/model/random.js';
import { mergeTimelines, type TimelineEvent } from '../src/model/timeline.js';
import { JOURNAL_COLUMNS, JOURNAL_MIGRATION, journalRow } from '../src/store/journal.js';
import { sqliteMigrations } from '../src/store/migrations/sqlite.js';
import { createSqliteStore, type SqliteStore } from '../src/store/sqlite/sqlite-store.js';
import { simEvents, timelineCut, worldEvents, type TimelineSources } from '../src/timeline/sources.js';

const EXAMPLES = join(fileURLToPath(new URL('.', import.meta.url)), '..', 'examples');
const SCENARIO = 'drain-test-east';
const DAY_MS = 24 * 3600_000;

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const round = (x: number, digits = 3): number => Math.round(x * 10 ** digits) / 10 ** digits;
const load = (): number[] => loadavg().map((l) => round(l, 2));

/** Wall and CPU seconds of `fn`. */
async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; wall: number; cpu: number }> {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const value = await fn();
  const wall = (performance.now() - t0) / 1000;
  const c = process.cpuUsage(cpu0);
  return { value, wall, cpu: (c.user + c.system) / 1e6 };
}

async function fileStore(dir: string, name: string, journal: boolean, clock?: HybridClock): Promise<SqliteStore> {
  const migrations = journal ? sqliteMigrations : sqliteMigrations.filter((m) => m.version !== JOURNAL_MIGRATION);
  const store = createSqliteStore({ path: join(dir, `${name}.db`) }, migrations, clock ? { clock } : {});
  await store.init();
  return store;
}

async function journaling(definitions: Definitions, dir: string, reps: number): Promise<Record<string, unknown>> {
  const runs: Record<'on' | 'off', { wall: number; cpu: number }[]> = { on: [], off: [] };
  // Alternated, so that a change of the machine's load falls on both alike; a first run warms the code up.
  for (let i = -1; i < reps; i++)
    for (const mode of ['on', 'off'] as const) {
      const store = await fileStore(dir, `drill-${mode}-${i}`, mode === 'on');
      const t = await timed(() => runDrill({ definitions, scenario: SCENARIO, store }));
      await store.close();
      if (t.value.runs.some((r) => r.view?.state !== 'succeeded')) throw new Error(`the ${mode} drill did not succeed`);
      if (i >= 0) runs[mode].push({ wall: round(t.wall), cpu: round(t.cpu) });
    }
  const cpuRatio = round(median(runs.on.map((r) => r.cpu)) / median(runs.off.map((r) => r.cpu)));
  const wallRatio = round(median(runs.on.map((r) => r.wall)) / median(runs.off.map((r) => r.wall)));
  return {
    reps,
    on: runs.on,
    off: runs.off,
    cpuRatio,
    wallRatio,
    target: { value: cpuRatio, target: '<= 1.10 (CPU, journal on over off)', met: cpuRatio <= 1.1 },
    loadAverage: load(),
  };
}

/** One drill's journal as a day: its entries in HLC order, re-stamped evenly over 24 hours from `dayStart`. */
function asDay(events: readonly TimelineEvent[], dayStart: number, copies: number): TimelineEvent[] {
  const n = events.length * copies;
  const out: TimelineEvent[] = [];
  for (let i = 0; i < n; i++) {
    const e = events[i % events.length]!;
    const wall = dayStart + Math.floor((i * DAY_MS) / n);
    const copy = Math.floor(i / events.length);
    out.push({
      ...e,
      hlc: hlcOf(wall, i % 1000).toString(),
      wall,
      ...(e.runId !== undefined && copy > 0 ? { runId: `${e.runId}-${copy}` } : {}),
    });
  }
  return out;
}

async function cut(definitions: Definitions, dir: string): Promise<Record<string, unknown>> {
  const store = await fileStore(dir, 'day-source', true);
  const drill = await runDrill({ definitions, scenario: SCENARIO, store });
  const controller = await store.listJournal();
  await store.close();
  const backend = drill.backend;
  const sim = [...simEvents(backend.stampedJournal()), ...worldEvents(backend.worldJournal())];
  const merged = mergeTimelines(controller, sim);
  const dayStart = Date.parse('2026-03-02T00:00:00Z');
  const out: Record<string, unknown> = {
    drill: { controllerEntries: controller.length, simulatorEntries: sim.length },
  };
  for (const copies of [1, 10]) {
    const day = asDay(merged, dayStart, copies);
    const dayStore = await fileStore(dir, `day-${copies}`, true);
    await dayStore.close();
    // The controller's part goes into the store's journal table as the store writes it; the simulator's part is
    // served from memory, as `/journal` serves it.
    const db = new Database(join(dir, `day-${copies}.db`));
    const insert = db.prepare(
      `INSERT INTO journal (${JOURNAL_COLUMNS.join(', ')}) VALUES (${JOURNAL_COLUMNS.map(() => '?').join(', ')})`,
    );
    db.transaction(() => {
      for (const e of day) if (e.source !== 'sim') insert.run(...journalRow(e));
    })();
    db.close();
    const simDay = day.filter((e) => e.source === 'sim');
    const reader = await fileStore(dir, `day-${copies}`, true);
    // The simulator's entries, re-stamped, are timeline events already: merged in with the store's as
    // timelineEvents merges a simulator's journal in (its range filtered, then sorted in).
    const withSim: TimelineSources = {
      store: {
        appendJournal: (entries) => reader.appendJournal(entries),
        pruneJournal: (before) => reader.pruneJournal(before),
        listJournal: async (o) =>
          mergeTimelines(
            await reader.listJournal(o),
            simDay.filter((e) => o?.toHlc === undefined || compareHlc(e.hlc, o.toHlc) <= 0),
          ),
      },
    };
    const times: number[] = [];
    const cpus: number[] = [];
    const random = seededRandom(copies);
    const instants = [DAY_MS - 1, ...Array.from({ length: 24 }, () => Math.floor(random() * DAY_MS))];
    for (const offset of instants) {
      const t = await timed(() => timelineCut(withSim, hlcOf(dayStart + offset, 0xffff)));
      times.push(t.wall * 1000);
      cpus.push(t.cpu * 1000);
    }
    await reader.close();
    const medianMs = round(median(times), 1);
    const maxMs = round(Math.max(...times), 1);
    out[copies === 1 ? 'day' : 'dayTimesTen'] = {
      entries: day.length,
      cuts: instants.length,
      medianMs,
      maxMs,
      medianCpuMs: round(median(cpus), 1),
      target: { value: maxMs, target: '< 100 ms at any instant', met: maxMs < 100 },
      loadAverage: load(),
    };
  }
  return out;
}

/**
 * The controller and the simulator as two processes would be: each with its own clock, and every call carrying the
 * caller's HLC to the simulator and the answer's back (the `maelstrom-hlc` header of `maelstrom sim`).
 */
function link(backend: SimBackend, controller: HybridClock, sim: HybridClock): Backend {
  const calls = new Set<PropertyKey>(['init', 'snapshot', 'weights', 'baselineWeights', 'act']);
  return new Proxy(backend, {
    get(target, key, receiver) {
      const value: unknown = Reflect.get(target, key, receiver);
      if (typeof value !== 'function' || !calls.has(key)) return value;
      return async (...args: unknown[]): Promise<unknown> => {
        sim.update(controller.now());
        try {
          return await (Reflect.apply(value, target, args) as Promise<unknown>);
        } finally {
          controller.update(sim.now());
        }
      };
    },
  });
}

async function causality(definitions: Definitions, runs: number): Promise<Record<string, unknown>> {
  const random = seededRandom(17);
  let hlcViolations = 0;
  let wallViolations = 0;
  let actions = 0;
  const perRun: { controllerMs: number; simMs: number; actions: number; wallViolations: number }[] = [];
  const t = await timed(async () => {
    for (let i = 0; i < runs; i++) {
      // The controller ahead, the simulator behind, up to 450 ms apart (within the 500 ms max offset).
      const controllerMs = Math.round(random() * 250);
      const simMs = -Math.round(random() * 200);
      const controllerClock = createHybridClock({ wall: () => Date.now() + controllerMs });
      const simClock = createHybridClock({ wall: () => Date.now() + simMs });
      const store = createSqliteStore({ path: ':memory:' }, sqliteMigrations, { clock: controllerClock });
      await store.init();
      const drill = await runDrill({
        definitions,
        scenario: SCENARIO,
        store,
        simClock,
        connect: (b) => link(b, controllerClock, simClock),
      });
      const starts = new Map<string, TimelineEvent>();
      for (const e of await store.listJournal())
        if (e.type === 'stage.start') starts.set(`${String(e.runId)} ${String(e.taskId)} ${String(e.stage)}`, e);
      await store.close();
      let wall = 0;
      let n = 0;
      for (const a of simEvents(drill.backend.stampedJournal())) {
        const o = a.origin as { runId: string; taskId: string; stage: number } | undefined;
        if (!o) continue;
        const cause = starts.get(`${o.runId} ${o.taskId} ${o.stage}`);
        if (!cause) throw new Error(`no stage.start for ${o.taskId} stage ${o.stage}`);
        n++;
        if (compareHlc(a.hlc, cause.hlc) <= 0) hlcViolations++;
        if (a.wall < cause.wall) wall++;
      }
      actions += n;
      wallViolations += wall;
      perRun.push({ controllerMs, simMs, actions: n, wallViolations: wall });
    }
  });
  return {
    runs,
    actions,
    hlcViolations,
    wallViolations,
    perRun,
    targets: {
      hlc: { value: hlcViolations, target: '= 0', met: hlcViolations === 0 },
      wall: { value: wallViolations, target: '>= 1', met: wallViolations >= 1 },
    },
    wallSeconds: round(t.wall, 1),
    cpuSeconds: round(t.cpu, 1),
    loadAverage: load(),
  };
}

export async function bench(parts: readonly string[] = []): Promise<Record<string, unknown>> {
  const definitions = await loadOrFail([EXAMPLES]);
  const dir = mkdtempSync(join(tmpdir(), 'maelstrom-timeline-bench-'));
  const want = (p: string): boolean => parts.length === 0 || parts.includes(p);
  const out: Record<string, unknown> = { loadAverageAtStart: load() };
  try {
    if (want('journaling')) out.journaling = await journaling(definitions, dir, 7);
    if (want('cut')) out.cut = await cut(definitions, dir);
    if (want('causality')) out.causality = await causality(definitions, 20);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return out;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  bench(process.argv.slice(2)).then(
    (r) => {
      process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
    },
    (e: unknown) => {
      process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
      process.exitCode = 1;
    },
  );
}
