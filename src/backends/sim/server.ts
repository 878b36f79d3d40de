/**
 * The simulator as its own process: the backend interface over HTTP on loopback, the journal of every action it
 * received, time series and counters for reports, and a Prometheus `/metrics` endpoint. Its clock runs at
 * `speed` × wall time; the world steps to that time on every request and on a short timer.
 */
import { Hono, type Context } from 'hono';
import { serve, type ServerType } from '@hono/node-server';
import { z } from 'zod';
import { wallSleep, type Clock } from '../../model/clock.js';
import { errorMapping, MaelstromError, toMaelstromError } from '../../model/errors.js';
import { HLC_HEADER } from '../../model/hlc.js';
import type { Layer } from '../../model/readings.js';
import { SERIES_METRICS, type SeriesMetric } from '../../sim/types.js';
import type { Action } from '../backend.js';
import type { SimBackend } from './backend.js';
import { prometheusText } from './metrics.js';

/** A clock at `speed` × wall time from `startMs`; sleeps take 1/speed of their length in wall time. */
export function scaledClock(startMs: number, speed: number, wall: () => number = Date.now): Clock {
  const w0 = wall();
  return {
    now: () => startMs + Math.floor((wall() - w0) * speed),
    sleep: (ms, signal) => wallSleep(ms / speed, signal),
  };
}

const Origin = z.strictObject({ runId: z.string(), taskId: z.string(), stage: z.number(), attempt: z.number() });
const ActBody = z.strictObject({
  action: z.looseObject({ kind: z.string() }),
  origin: Origin.optional(),
  epoch: z.number().int().nonnegative().optional(),
});
const SnapshotBody = z.strictObject({ queries: z.array(z.string()).optional() });
const LayerParam = z.enum(['edge', 'cluster']);

function errorResponse(c: Context, e: unknown): Response {
  const err = toMaelstromError(e);
  const status = errorMapping[err.code].http as 400;
  return c.json(
    {
      error: {
        code: err.code,
        message: err.message,
        retryable: err.retryable,
        ...(err.retryAfterMs !== undefined ? { retryAfterMs: err.retryAfterMs } : {}),
      },
    },
    status,
  );
}

async function body<T>(c: Context, schema: z.ZodType<T>): Promise<T> {
  let raw: unknown;
  try {
    raw = await c.req.json();
  } catch {
    throw new MaelstromError('E_BAD_REQUEST', 'the request body is not JSON');
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new MaelstromError('E_BAD_REQUEST', `${issue?.path.join('.') || 'body'}: ${issue?.message ?? 'invalid'}`);
  }
  return parsed.data;
}

export interface SimServerOptions {
  readonly speed: number;
  /** Told of a caller's timestamp refused as too far ahead; by default a line on stderr. */
  readonly onSkew?: (error: MaelstromError) => void;
  /** Name of the scenario served, shown by /info. */
  readonly scenario?: string;
}

export function createSimApp(backend: SimBackend, options: SimServerOptions): Hono {
  const app = new Hono();
  const sim = backend.simulation;
  const wrap =
    (handler: (c: Context) => Promise<Response>) =>
    async (c: Context): Promise<Response> => {
      try {
        return await handler(c);
      } catch (e) {
        return errorResponse(c, e);
      }
    };
  const onSkew =
    options.onSkew ??
    ((e: MaelstromError) => {
      process.stderr.write(`maelstrom sim: refused a request: ${e.message}\n`);
    });
  // Every request is a receive and every answer a send of the simulator's hybrid logical clock: a caller's clock
  // too far ahead is refused (and nothing of the request is done), not absorbed.
  app.use(async (c, next) => {
    const remote = c.req.header(HLC_HEADER);
    if (remote !== undefined) {
      try {
        backend.hybridClock.update(remote);
      } catch (e) {
        const err = toMaelstromError(e);
        if (err.code === 'E_CLOCK_SKEW') onSkew(err);
        const res = errorResponse(c, err);
        res.headers.set(HLC_HEADER, backend.hybridClock.now().toString());
        return res;
      }
    }
    await next();
    c.header(HLC_HEADER, backend.hybridClock.now().toString());
    return undefined;
  });
  const layerOf = (c: Context): Layer => {
    const p = LayerParam.safeParse(c.req.param('layer'));
    if (!p.success) throw new MaelstromError('E_BAD_REQUEST', 'layer must be edge or cluster');
    return p.data;
  };
  app.get(
    '/clock',
    wrap(async (c) => c.json({ now: backend.clock.now(), speed: options.speed })),
  );
  app.get(
    '/info',
    wrap(async (c) =>
      c.json({
        name: backend.name,
        scenario: options.scenario ?? null,
        supports: [...backend.supports],
        propagation: { edge: sim.propagationMs('edge'), cluster: sim.propagationMs('cluster') },
        clock: { now: backend.clock.now(), speed: options.speed },
        start: sim.startMs,
        end: sim.endMs ?? null,
      }),
    ),
  );
  app.get(
    '/snapshot',
    wrap(async (c) => c.json(await backend.snapshot({ queries: c.req.queries('query') ?? [] }))),
  );
  app.post(
    '/snapshot',
    wrap(async (c) => {
      const b = await body(c, SnapshotBody);
      return c.json(await backend.snapshot(b.queries ? { queries: b.queries } : {}));
    }),
  );
  app.get(
    '/weights/:layer/:service',
    wrap(async (c) => c.json(await backend.weights(layerOf(c), c.req.param('service')!))),
  );
  app.get(
    '/baseline/:layer/:service',
    wrap(async (c) => c.json(await backend.baselineWeights(layerOf(c), c.req.param('service')!))),
  );
  app.post(
    '/act',
    wrap(async (c) => {
      const b = await body(c, ActBody);
      const result = await backend.act(b.action as unknown as Action, {
        signal: c.req.raw.signal,
        ...(b.origin ? { origin: b.origin } : {}),
        ...(b.epoch !== undefined ? { epoch: b.epoch } : {}),
      });
      return c.json(result);
    }),
  );
  app.get(
    '/oracle/:service',
    wrap(async (c) => c.json(await backend.oracle.truth(c.req.param('service')!))),
  );
  app.get(
    '/journal',
    wrap(async (c) => c.json(backend.stampedJournal())),
  );
  app.get(
    '/journal/world',
    wrap(async (c) => c.json(backend.worldJournal())),
  );
  app.get(
    '/counters',
    wrap(async (c) => c.json(backend.counters())),
  );
  app.get(
    '/series/:metric',
    wrap(async (c) => {
      const metric = c.req.param('metric') as SeriesMetric;
      if (!SERIES_METRICS.includes(metric)) throw new MaelstromError('E_NOT_FOUND', `no metric "${metric}"`);
      const q = c.req.query();
      const num = (v: string | undefined): number | undefined => {
        if (v === undefined) return undefined;
        const n = Number(v);
        if (!Number.isFinite(n)) throw new MaelstromError('E_BAD_REQUEST', `not a number: ${v}`);
        return n;
      };
      const resolutionMs = num(q.resolutionMs);
      const from = num(q.from);
      const to = num(q.to);
      return c.json(
        backend.series(metric, {
          ...(q.service ? { service: q.service } : {}),
          ...(q.datacenter ? { datacenter: q.datacenter } : {}),
          ...(resolutionMs !== undefined ? { resolutionMs } : {}),
          ...(from !== undefined ? { from } : {}),
          ...(to !== undefined ? { to } : {}),
        }),
      );
    }),
  );
  app.get(
    '/metrics',
    wrap(async (c) => {
      const snap = await backend.snapshot();
      return c.text(prometheusText(snap, backend.counters()), 200, {
        'content-type': 'text/plain; version=0.0.4; charset=utf-8',
      });
    }),
  );
  app.notFound((c) =>
    c.json(
      { error: { code: 'E_NOT_FOUND', message: `no route ${c.req.method} ${c.req.path}`, retryable: false } },
      404,
    ),
  );
  return app;
}

export interface RunningSimServer {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/** Serves the backend on 127.0.0.1 (port 0: any free port), stepping the world on a short timer. */
export async function startSimServer(
  backend: SimBackend,
  options: SimServerOptions & { readonly port?: number },
): Promise<RunningSimServer> {
  const app = createSimApp(backend, options);
  await backend.init();
  const server = await new Promise<{ server: ServerType; port: number }>((resolve, reject) => {
    const s = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: options.port ?? 0 }, (info) =>
      resolve({ server: s, port: info.port }),
    );
    s.once('error', (e: NodeJS.ErrnoException) => {
      reject(
        e.code === 'EADDRINUSE'
          ? new MaelstromError('E_BAD_REQUEST', `port ${options.port ?? 0} on 127.0.0.1 is already in use`, {
              cause: e,
            })
          : new MaelstromError('E_INTERNAL', `cannot listen on 127.0.0.1:${options.port ?? 0}: ${e.message}`, {
              cause: e,
            }),
      );
    });
  });
  // Keep the world (and its series) moving even when nobody asks.
  const timer = setInterval(() => {
    backend.simulation.advanceTo(backend.clock.now());
  }, 200);
  timer.unref();
  return {
    url: `http://127.0.0.1:${server.port}`,
    port: server.port,
    close: async () => {
      clearInterval(timer);
      await new Promise<void>((resolve) => {
        const srv = server.server as ServerType & { closeAllConnections?: () => void };
        srv.close(() => resolve());
        srv.closeAllConnections?.();
      });
      await backend.close();
    },
  };
}
