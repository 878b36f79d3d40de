/**
 * Golden replay: the drain test of the reference definitions (examples/, scenario drain-test-east, each plan's own
 * pacing, three what-ifs), recorded once and re-run on every change. The engine's events, the simulator's journal
 * of the actions it received and the report must match the recording exactly: same values, same order, bit for
 * bit. Engine, stages, pacers, simulator and report are deterministic on virtual time, so any difference is a
 * change of behaviour, and this test makes it visible before it is merged.
 *
 * Re-recording (`UPDATE_GOLDEN=1 npx vitest run test/golden`, then commit the files under
 * test/golden/drain-test-east/) is legitimate when, and only when, the change is meant to alter what a drain does
 * or reports (a pacer steps differently, a stage sends another action, the report gains a field, the reference
 * definitions change) and the diff of the recording has been read and reviewed with the change, in the same
 * commit. It is not legitimate to make a refactoring, a speed-up or a dependency upgrade pass: those must leave
 * the recording as it is. Nor is it a fix for a difference from one run to the next (wall-clock time, random ids,
 * map order): fix that at its source, so that the drill stays deterministic.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { JournalEntry } from '../../src/backends/sim/backend.js';
import { runDrainTest } from '../../src/drill/drain-test.js';
import { loadOrFail } from '../../src/load/check.js';
import type { EngineEvent } from '../../src/model/events.js';
import { firstDifference, firstLineDifference } from './diff.js';

const SCENARIO = 'drain-test-east';
const DIR = new URL(`./${SCENARIO}/`, import.meta.url);
const UPDATE = process.env.UPDATE_GOLDEN === '1';

/** One JSON document per line, so that a recording's diff shows whole events. */
const jsonLines = (items: readonly unknown[]): string => items.map((x) => `${JSON.stringify(x)}\n`).join('');

const files = {
  events: 'events.jsonl',
  journal: 'journal.jsonl',
  // Not report*.json, which .gitignore keeps out of the repository (reports a user writes in the tree).
  report: 'drain-report.json',
} as const;

let now: Record<keyof typeof files, string>;

beforeAll(async () => {
  const definitions = await loadOrFail([new URL('../../examples', import.meta.url).pathname]);
  const events: EngineEvent[] = [];
  let journal: readonly JournalEntry[] = [];
  const [report] = await runDrainTest({
    definitions,
    scenario: SCENARIO,
    pacers: [],
    whatIfs: 3,
    onEvent: (_pacer, e) => events.push(e),
    onDrill: (_pacer, result) => {
      journal = result.backend.journal();
    },
  });
  now = {
    events: jsonLines(events),
    journal: jsonLines(journal),
    report: `${JSON.stringify(report, null, 2)}\n`,
  };
  if (UPDATE) {
    mkdirSync(DIR, { recursive: true });
    for (const [key, name] of Object.entries(files)) writeFileSync(new URL(name, DIR), now[key as keyof typeof files]);
  }
}, 60_000);

/** Fails with the difference itself as the message, unquoted, so that the first differing event reads plainly. */
const expectNoDifference = (difference: string | undefined): void => {
  if (difference !== undefined) expect.fail(difference);
};

const recorded = (key: keyof typeof files): string => {
  const url = new URL(files[key], DIR);
  if (!existsSync(url))
    throw new Error(`no recording ${url.pathname}: record it with UPDATE_GOLDEN=1 npx vitest run test/golden`);
  return readFileSync(url, 'utf8');
};

describe(`golden replay of the ${SCENARIO} drain test`, () => {
  it('emits the recorded engine events, event for event', () => {
    expectNoDifference(firstLineDifference('event', recorded('events'), now.events));
  });

  it('sends the simulator the recorded actions, at the recorded times, with the recorded origins and outcomes', () => {
    expectNoDifference(firstLineDifference('action', recorded('journal'), now.journal));
  });

  it('builds the recorded report, value for value', () => {
    expectNoDifference(firstDifference(JSON.parse(recorded('report')), JSON.parse(now.report)));
    // Key order and formatting too: the report file a user keeps is byte for byte the same.
    expect(now.report === recorded('report')).toBe(true);
  });
});
