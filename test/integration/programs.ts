/**
 * Integration tests run against the real HAProxy and Prometheus. Under CI=true a missing program fails the test;
 * on a developer's machine without them the tests are skipped.
 */
import { labPrograms } from '../../src/lab/environment.js';

const programs = await labPrograms();
export const haveHaproxy = programs.haproxy || process.env.CI === 'true';
export const haveLab = (programs.haproxy && programs.prometheus) || process.env.CI === 'true';

/** Polls `check` until it holds, failing with `what` at the deadline. */
export async function eventually(
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
