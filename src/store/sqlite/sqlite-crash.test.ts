/**
 * A process that commits and is killed with SIGKILL right after a commit returned loses nothing: every commit it
 * reported is in the file when another process opens it.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createSqliteStore } from './sqlite-store.js';

const dir = mkdtempSync(join(tmpdir(), 'maelstrom-crash-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const root = resolve(import.meta.dirname, '../../..');

const writer = `
import { createSqliteStore } from ${JSON.stringify(join(root, 'src/store/sqlite/sqlite-store.ts'))};
const store = createSqliteStore({ path: process.argv[2] });
await store.init();
if (!(await store.getRun('r1'))) {
  await store.createRun({ id: 'r1', plan: 'p', datacenter: 'east', direction: 'drain', state: 'running', compiled: {}, createdAt: 0 },
    [{ runId: 'r1', id: 'a', state: 'running', stage: 0, attempt: 1 }]);
}
for (let i = 1; ; i++) {
  const [e] = await store.commit({ runId: 'r1', tasks: [{ id: 'a', patch: { stage: i } }],
    events: [{ type: 'task.state', runId: 'r1', taskId: 'a', state: 'running', stage: i, time: i }] });
  process.stdout.write(i + ' ' + e.seq + '\\n');
}
`;

describe('sqlite store crash safety', () => {
  it('keeps every commit a SIGKILLed writer reported', async () => {
    const script = join(dir, 'writer.mts');
    writeFileSync(script, writer);
    const path = join(dir, 'crash.db');
    for (let round = 0; round < 3; round++) {
      const child = spawn(process.execPath, ['--import', 'tsx', script, path], {
        cwd: root,
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let reported = 0;
      let buffer = '';
      const target = 20 + round * 17;
      await new Promise<void>((done) => {
        child.stdout.on('data', (chunk: Buffer) => {
          buffer += chunk.toString();
          const lines = buffer.split('\n');
          buffer = lines.pop() ?? '';
          for (const line of lines) {
            reported = Number(line.split(' ')[0]);
            if (reported >= target && child.exitCode === null) child.kill('SIGKILL');
          }
        });
        child.on('exit', () => done());
      });
      expect(reported).toBeGreaterThanOrEqual(target);
      const store = createSqliteStore({ path });
      await store.init();
      const task = (await store.getTasks('r1'))[0]!;
      // The writer may have committed one more than it managed to print before the kill, never fewer.
      expect(task.stage).toBeGreaterThanOrEqual(reported);
      const events = await store.listEvents({ runId: 'r1' });
      const stages = events.map((e) => (e.type === 'task.state' ? e.stage : -1));
      expect(stages.slice(-1)[0]).toBe(task.stage);
      await store.close();
    }
  });
});
