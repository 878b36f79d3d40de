/**
 * `/api/v1/tests`: the drain-test practice (`GET`), and the tests' kill switch (`POST /tests/halt { reason }`,
 * `POST /tests/resume`). Halting and resuming need the operator role and are audited once: by the schedules, or
 * here (through `mutate`) when refused here.
 */
import type { Context, Hono } from 'hono';
import { HaltBody, ResumeTestsBody, type Actor, type TestsSwitched, type TestsView } from '../model/api.js';
import { MaelstromError } from '../model/errors.js';
import type { HaltResult } from '../schedule/halt.js';
import type { TestsControl } from '../schedule/runner.js';
import type { AuthEnv } from './auth.js';
import { jsonBody, parse } from './schemas.js';

/** The server's way of running a mutating action: role check, then the action (which audits itself). */
export type Mutate = <T>(
  c: Context<AuthEnv>,
  action: string,
  target: string | undefined,
  reason: string | undefined,
  details: unknown,
  run: (actor: Actor) => Promise<T>,
) => Promise<T>;

function switched({ halt, stopping }: HaltResult): TestsSwitched {
  return { ...halt, stopping: stopping.map((t) => t.id) };
}

export function registerTestRoutes(app: Hono<AuthEnv>, tests: TestsControl | undefined, mutate: Mutate): void {
  const control = (): TestsControl => {
    if (!tests) throw new MaelstromError('E_NOT_FOUND', 'this server runs no schedules');
    return tests;
  };
  app.get('/api/v1/tests', async (c) => c.json((await control().view()) satisfies TestsView));
  app.post('/api/v1/tests/halt', async (c) => {
    const body = parse(HaltBody, await jsonBody(c), 'body');
    const t = control();
    const result = await mutate(c, 'tests.halt', undefined, body.reason, undefined, (actor) =>
      t.halt(actor, body.reason),
    );
    return c.json(switched(result));
  });
  app.post('/api/v1/tests/resume', async (c) => {
    const body = parse(ResumeTestsBody, await jsonBody(c), 'body');
    const t = control();
    const result = await mutate(c, 'tests.resume', undefined, body.reason, undefined, (actor) =>
      t.resume(actor, body.reason),
    );
    return c.json(switched(result));
  });
}
