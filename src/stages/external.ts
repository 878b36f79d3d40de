/**
 * Stages that reach outside the backend: http.call (a webhook) and command.run (a local program).
 *
 * Neither can read the state of what it calls, so each records its result in its checkpoint: a stage re-run after
 * it completed returns the recorded result without calling again. A crash during the call itself may repeat it, so
 * http.call sends an `Idempotency-Key` (run, task, stage, attempt) that the receiver can use to ignore a repeat.
 *
 * Their timeouts are wall time (systemClock), not the run's clock: a real program or server answers in real time,
 * even while the run lives in the simulator's virtual time.
 */
import { execFile } from 'node:child_process';
import { systemClock } from '../model/clock.js';
import { MaelstromError } from '../model/errors.js';
import type { StageContext, StageFn, StageResult } from './stage.js';
import { readParams } from './params.js';

interface DoneState {
  readonly done: StageResult;
}

function recorded(ctx: StageContext): StageResult | undefined {
  return (ctx.state as Partial<DoneState> | undefined)?.done;
}

async function finish(ctx: StageContext, result: StageResult): Promise<StageResult> {
  await ctx.checkpoint({ done: result } satisfies DoneState);
  return result;
}

/** An AbortSignal that fires on the stage's signal or after `ms` of wall time; `timedOut()` tells which. */
function withTimeout(
  ctx: StageContext,
  ms: number,
): { signal: AbortSignal; timedOut: () => boolean; stop: () => void } {
  const controller = new AbortController();
  const timer = new AbortController();
  let expired = false;
  systemClock.sleep(ms, timer.signal).then(
    () => {
      expired = true;
      controller.abort(new MaelstromError('E_TIMEOUT', 'timed out'));
    },
    () => undefined,
  );
  const relay = (): void => controller.abort(ctx.signal.reason);
  if (ctx.signal.aborted) relay();
  else ctx.signal.addEventListener('abort', relay, { once: true });
  return {
    signal: controller.signal,
    timedOut: () => expired,
    stop: () => {
      timer.abort();
      ctx.signal.removeEventListener('abort', relay);
    },
  };
}

function statusMatches(status: number, expected: readonly string[]): boolean {
  if (expected.length === 0) return status >= 200 && status < 300;
  return expected.some((e) => {
    const m = /^([1-5])xx$/i.exec(e);
    return m ? Math.floor(status / 100) === Number(m[1]) : Number(e) === status;
  });
}

export const httpCall: StageFn = async (ctx): Promise<StageResult> => {
  const done = recorded(ctx);
  if (done) return done;
  const p = readParams('http.call', ctx.with);
  const url = p.string('url');
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new MaelstromError('E_PARAM', `http.call: not a URL: ${url}`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
    throw new MaelstromError('E_PARAM', `http.call: only http and https URLs, got ${parsed.protocol}`);
  const body = p.optionalString('body');
  const method = p.string('method', body === undefined ? 'GET' : 'POST').toUpperCase();
  const expected = p.list('expectStatus');
  const headers: Record<string, string> = {
    'idempotency-key': `${ctx.runId}/${ctx.taskId}/${ctx.stageIndex}/${ctx.attempt}`,
  };
  if (body !== undefined) headers['content-type'] = p.string('contentType', 'application/json');
  for (const h of p.list('headers')) {
    const colon = h.indexOf(':');
    if (colon <= 0)
      throw new MaelstromError('E_PARAM', `http.call: a header is "Name: value", got ${JSON.stringify(h)}`);
    headers[h.slice(0, colon).trim().toLowerCase()] = h.slice(colon + 1).trim();
  }
  const limit = withTimeout(ctx, p.duration('timeout', '30s'));
  try {
    const response = await fetch(parsed, {
      method,
      headers,
      ...(body !== undefined ? { body } : {}),
      signal: limit.signal,
      redirect: 'follow',
    });
    const text = (await response.text()).slice(0, 500);
    const ok = statusMatches(response.status, expected);
    return await finish(ctx, {
      outcome: ok ? 'success' : 'failure',
      detail: `${method} ${parsed.origin}${parsed.pathname} → ${response.status}${ok || text === '' ? '' : `: ${text}`}`,
    });
  } catch (e) {
    if (ctx.signal.aborted) throw ctx.signal.reason as Error;
    if (limit.timedOut())
      return finish(ctx, {
        outcome: 'timeout',
        detail: `${method} ${parsed.origin}${parsed.pathname} did not answer in time`,
      });
    const cause = (e as { cause?: { code?: string; message?: string } }).cause;
    return finish(ctx, {
      outcome: 'failure',
      detail: `${method} ${parsed.origin}${parsed.pathname} failed: ${cause?.code ?? cause?.message ?? (e as Error).message}`,
    });
  } finally {
    limit.stop();
  }
};

interface ExecOutcome {
  readonly code: number | string | null;
  readonly signal: string | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly error?: Error;
}

/** Runs `command` with `args` as an array: no shell ever sees them, so nothing in them is interpreted. */
function run(
  command: string,
  args: readonly string[],
  cwd: string | undefined,
  signal: AbortSignal,
): Promise<ExecOutcome> {
  return new Promise((resolve) => {
    execFile(
      command,
      [...args],
      { shell: false, signal, maxBuffer: 1 << 20, windowsHide: true, ...(cwd ? { cwd } : {}) },
      (error, stdout, stderr) => {
        const err = error as (Error & { code?: number | string; signal?: string }) | null;
        resolve({
          code: err ? (err.code ?? null) : 0,
          signal: err?.signal ?? null,
          stdout: String(stdout),
          stderr: String(stderr),
          ...(err ? { error: err } : {}),
        });
      },
    );
  });
}

function tail(text: string, n = 400): string {
  const t = text.trim();
  return t.length > n ? `…${t.slice(-n)}` : t;
}

export const commandRun: StageFn = async (ctx): Promise<StageResult> => {
  const done = recorded(ctx);
  if (done) return done;
  const p = readParams('command.run', ctx.with);
  const command = p.string('command');
  const args = p.list('args');
  const cwd = p.optionalString('cwd');
  const limit = withTimeout(ctx, p.duration('timeout', '5m'));
  try {
    const out = await run(command, args, cwd, limit.signal);
    if (ctx.signal.aborted) throw ctx.signal.reason as Error;
    if (limit.timedOut())
      return await finish(ctx, { outcome: 'timeout', detail: `${command} did not finish in time and was stopped` });
    if (out.code === 0)
      return await finish(ctx, { outcome: 'success', detail: tail(out.stdout) || `${command} exited 0` });
    if (typeof out.code === 'string')
      return await finish(ctx, {
        outcome: 'failure',
        detail: `cannot run ${command}: ${out.code === 'ENOENT' ? 'not found' : out.code}`,
      });
    const why = out.code === null ? `was killed by ${out.signal ?? 'a signal'}` : `exited ${out.code}`;
    return await finish(ctx, {
      outcome: 'failure',
      detail: `${command} ${why}${out.stderr.trim() ? `: ${tail(out.stderr)}` : ''}`,
    });
  } finally {
    limit.stop();
  }
};
