/**
 * Integration tests run against the real HAProxy, Prometheus and Alertmanager. Under CI=true a missing program fails
 * the test; on a developer's machine without them the tests are skipped.
 */
import { PROMETHEUS_BIN, labPrograms } from '../../src/lab/environment.js';
import { executable } from '../../src/lab/processes.js';

/** Debian's package `prometheus-alertmanager` installs Alertmanager under this name. */
export const ALERTMANAGER_BIN = process.env.MAELSTROM_ALERTMANAGER ?? '/usr/bin/prometheus-alertmanager';
export { PROMETHEUS_BIN };

const programs = { ...(await labPrograms()), alertmanager: await executable(ALERTMANAGER_BIN) };
export const haveHaproxy = programs.haproxy || process.env.CI === 'true';
export const haveLab = (programs.haproxy && programs.prometheus) || process.env.CI === 'true';
export const haveAlerting = (programs.prometheus && programs.alertmanager) || process.env.CI === 'true';

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
