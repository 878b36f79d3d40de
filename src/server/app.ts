/**
 * The controller's HTTP API (`/api/v1`), its live event stream, its Prometheus `/metrics` and the dashboard.
 * Every body and parameter is validated with zod; every error is a MaelstromError answered with its mapped status
 * and `{ error: { code, message } }`, never a stack trace. Mutating calls need the operator or admin role and are
 * appended to the audit log whether they succeed or not, once: by the controller, or here when refused here.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Hono, type Context, type MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { cors } from 'hono/cors';
import type { AlertIntake } from '../alerts/intake.js';
import type { MetricsSource } from '../backends/backend.js';
import { auditEntry, failureOf } from '../engine/audit.js';
import type { Controller } from '../engine/controller.js';
import {
  AlertmanagerWebhook,
  OperatorCommand,
  commandTask,
  type Actor,
  type DefinitionList,
  type ErrorAnswer,
  type FleetView,
  type Halted,
  type Health,
  type HistoryList,
  type HistoryRun,
  type PlanPreview,
  type RunView,
  type StartedRun,
  type TimelineCut,
  type TimelineEvents,
  type Validation,
  type DeliveryList,
} from '../model/api.js';
import { hlcOf } from '../model/hlc.js';
import { cutAt, parseInstant } from '../model/timeline.js';
import { timelineEvents, type TimelineSources } from '../timeline/sources.js';
import { loadAndLint } from '../load/check.js';
import type { Clock } from '../model/clock.js';
import type { CompiledPlan } from '../model/compiled.js';
import type { Definitions } from '../model/definitions.js';
import { MaelstromError, errorMapping, toMaelstromError } from '../model/errors.js';
import { isTerminalRun } from '../model/states.js';
import { planJson } from '../plan/index.js';
import type { AuditLog, TokenStore } from '../store/store.js';
import type { TestsControl } from '../schedule/runner.js';
import { actorOf, bearerAuth, requireRole, type AuthEnv } from './auth.js';
import { streamEvents } from './events.js';
import { ServerMetrics } from './metrics.js';
import { openApiDocument } from './openapi.js';
import {
  ActionBodies,
  ActionName,
  EventsQuery,
  FleetQuery,
  HaltBody,
  HistoryQuery,
  NotificationsQuery,
  PlanName,
  RunId,
  RunsQuery,
  SeriesQuery,
  StartRunBody,
  TimelineEventsQuery,
  TimelineQuery,
  ValidateBody,
  jsonBody,
  parse,
} from './schemas.js';
import { readSeries, type SeriesSource } from './series.js';
import { securityHeaders } from './security.js';
import { registerTestRoutes } from './tests.js';
import { serveWeb } from './static.js';

export interface ServerOptions {
  readonly controller: Controller;
  /** The schedules' drain tests (`/api/v1/tests`); without them those routes answer E_NOT_FOUND. */
  readonly tests?: TestsControl;
  readonly store: TokenStore & AuditLog;
  readonly definitions: Definitions;
  /** The backend's readings, for the fleet view. */
  readonly metrics?: MetricsSource;
  /** Metric time series, when the backend keeps them (the simulator does). */
  readonly series?: SeriesSource;
  /** The backend's clock: the time the fleet view and the series are in. */
  readonly clock: Clock;
  /** Folder of the built dashboard; none: no dashboard. */
  readonly webRoot?: string;
  /** The JSON form of a compiled plan; by default the same as `maelstrom plan --json` prints. */
  readonly planView?: (compiled: CompiledPlan) => PlanPreview;
  /** Origins allowed to call the API from a browser; none by default. */
  readonly corsOrigins?: readonly string[];
  /** The journals of the retrospective timeline (the store's, and the simulator's when there is one). */
  readonly timeline?: TimelineSources;
  /** The answer of `/api/v1/health`: whether this controller leads, its epoch; by default a lone leader's. */
  readonly health?: () => Health;
  /** Where `POST /api/v1/alerts` hands Alertmanager's deliveries; none: the route answers E_NOT_FOUND. */
  readonly alerts?: AlertIntake;
  /** The notifiers' deliveries, for `GET /api/v1/notifications`. */
  readonly notifications?: { list(limit?: number): Promise<DeliveryList> };
}

export interface ServerApp {
  readonly app: Hono<AuthEnv>;
  readonly metrics: ServerMetrics;
  /** Stops observing the controller. */
  close(): void;
}

function errorResponse(c: Context, e: unknown): Response {
  const err = toMaelstromError(e);
  const body: ErrorAnswer = {
    error: {
      code: err.code,
      message: err.message,
      ...(err.retryable ? { retryable: true } : {}),
      ...(err.details !== undefined && err.code !== 'E_INTERNAL' ? { details: err.details } : {}),
    },
  };
  return c.json(body, errorMapping[err.code].http as 400);
}

function historyEntry(r: RunView): HistoryRun {
  const byId = new Map(r.tasks.map((t) => [t.id, t]));
  return {
    id: r.id,
    plan: r.plan,
    state: r.state,
    datacenter: r.datacenter,
    direction: r.direction,
    createdAt: r.createdAt,
    startedAt: r.startedAt,
    finishedAt: r.finishedAt,
    reason: r.reason,
    durationMs: r.startedAt !== undefined && r.finishedAt !== undefined ? r.finishedAt - r.startedAt : undefined,
    tasks: r.tasks.length,
    criticalPath: (r.criticalPath ?? []).map((id) => {
      const t = byId.get(id);
      return {
        id,
        startedAt: t?.startedAt,
        finishedAt: t?.finishedAt,
        durationMs: t?.startedAt !== undefined && t.finishedAt !== undefined ? t.finishedAt - t.startedAt : undefined,
      };
    }),
  };
}

export function createServerApp(options: ServerOptions): ServerApp {
  const { controller, store, definitions } = options;
  const metrics = new ServerMetrics();
  const unsubscribe = controller.subscribe((e) => {
    metrics.observe(e);
  });
  const app = new Hono<AuthEnv>();
  app.use(securityHeaders());
  app.onError((e, c) => errorResponse(c, e));
  app.notFound((c) => errorResponse(c, new MaelstromError('E_NOT_FOUND', `no route ${c.req.method} ${c.req.path}`)));

  if (options.corsOrigins?.length) {
    app.use(
      '/api/*',
      cors({
        origin: [...options.corsOrigins],
        allowHeaders: ['Authorization', 'Content-Type', 'Last-Event-ID'],
        allowMethods: ['GET', 'POST'],
      }),
    );
  }

  app.get('/metrics', async (c) =>
    c.text(await metrics.render(controller), 200, { 'content-type': 'text/plain; version=0.0.4' }),
  );
  app.get('/api/v1/openapi.json', (c) => c.json(openApiDocument));
  app.get('/api/v1/health', (c) =>
    c.json(
      options.health?.() ??
        ({ ok: true, leader: true, controller: 'local', epoch: null, state: 'leading' } satisfies Health),
    ),
  );

  const auth = bearerAuth(store);
  app.use('/api/v1/*', async (c, next) => {
    metrics.countRequest();
    await next();
  });
  app.use('/api/v1/*', auth);
  // Alertmanager's token delivers alerts and does nothing else: every other route needs a person's role.
  const peopleOnly: MiddlewareHandler<AuthEnv> = async (c, next) => {
    if (!(c.req.method === 'POST' && c.req.path === '/api/v1/alerts')) requireRole(actorOf(c), 'viewer');
    await next();
  };
  app.use('/api/v1/*', peopleOnly);
  // Larger than any body the API accepts (definitions to validate are at most 2 MB), so nothing big is buffered.
  // Only requests that may carry a body pass through it: asking a GET for its body builds a whole Request object, which
  // was a fifth of the server's work under status polling.
  const limitBody: MiddlewareHandler<AuthEnv> = bodyLimit({
    maxSize: 3 * 1024 * 1024,
    onError: () => {
      throw new MaelstromError('E_BAD_REQUEST', 'the request body is larger than 3 MB');
    },
  });
  app.use('/api/v1/*', (c, next) =>
    c.req.method === 'GET' || c.req.method === 'HEAD' ? next() : limitBody(c as Context<AuthEnv, string>, next),
  );

  /**
   * Runs a mutating action: checks the role, then hands it to the controller, which records it in the audit log
   * with its outcome. A call refused here never reaches the controller, so it is recorded here; each call once.
   */
  async function mutate<T>(
    c: Context<AuthEnv>,
    action: string,
    target: string | undefined,
    reason: string | undefined,
    details: unknown,
    run: (actor: Actor) => Promise<T>,
  ): Promise<T> {
    const actor = actorOf(c);
    try {
      requireRole(actor, 'operator');
    } catch (e) {
      const request = {
        time: Date.now(),
        actor,
        action,
        ...(target !== undefined ? { target } : {}),
        ...(reason !== undefined ? { reason } : {}),
        ...(details !== undefined ? { request: details } : {}),
      };
      await store.appendAudit(auditEntry(request, failureOf(e)));
      throw e;
    }
    return run(actor);
  }

  app.get('/api/v1/me', (c) => c.json(actorOf(c)));

  app.post('/api/v1/alerts', async (c) => {
    const actor = actorOf(c);
    try {
      requireRole(actor, 'alerts');
    } catch (e) {
      await store.appendAudit(auditEntry({ time: Date.now(), actor, action: 'alerts' }, failureOf(e)));
      throw e;
    }
    const payload = parse(AlertmanagerWebhook, await jsonBody(c), 'Alertmanager payload (webhook version 4)');
    if (!options.alerts) throw new MaelstromError('E_NOT_FOUND', 'this controller takes no alerts');
    return c.json(await options.alerts.receive(payload, actor));
  });

  app.get('/api/v1/notifications', async (c) => {
    const q = parse(NotificationsQuery, c.req.query(), 'query');
    const list = options.notifications
      ? await options.notifications.list(q.limit ?? 50)
      : { deliveries: [], notifiers: [] };
    return c.json(list satisfies DeliveryList);
  });

  app.get('/api/v1/definitions', (c) => {
    const names = (m: ReadonlyMap<string, unknown>): string[] => [...m.keys()].sort();
    const plans = [...definitions.plans.values()]
      .map((p) => ({
        name: p.metadata.name,
        fleet: p.spec.fleet,
        direction: p.spec.direction,
        datacenter: p.spec.datacenter,
      }))
      .sort((a, b) => a.name.localeCompare(b.name));
    return c.json({
      fleets: names(definitions.fleets),
      templates: names(definitions.templates),
      runbooks: names(definitions.runbooks),
      scenarios: names(definitions.scenarios),
      plans,
    } satisfies DefinitionList);
  });

  app.post('/api/v1/definitions/validate', async (c) => {
    const body = parse(ValidateBody, await jsonBody(c), 'body');
    const dir = await mkdtemp(join(tmpdir(), 'maelstrom-validate-'));
    try {
      await writeFile(join(dir, 'definitions.yaml'), body.documents);
      const { diagnostics } = await loadAndLint([dir]);
      const list = diagnostics.map((d) => ({ ...d, file: 'definitions.yaml' }));
      return c.json({ ok: !diagnostics.some((d) => d.severity === 'error'), diagnostics: list } satisfies Validation);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  app.get('/api/v1/definitions/plans/:name', async (c) => {
    const name = parse(PlanName, c.req.param('name'), 'plan name');
    if (!definitions.plans.has(name)) throw new MaelstromError('E_NOT_FOUND', `no plan named "${name}"`);
    const compiled = await controller.preview(name);
    return c.json((options.planView ?? planJson)(compiled));
  });

  app.get('/api/v1/fleet', async (c) => {
    const q = parse(FleetQuery, c.req.query(), 'query');
    const name = q.name ?? [...definitions.plans.values()][0]?.spec.fleet ?? [...definitions.fleets.keys()][0];
    const fleet = name !== undefined ? definitions.fleets.get(name) : undefined;
    if (!fleet) throw new MaelstromError('E_NOT_FOUND', `no fleet named "${name ?? ''}"`);
    const snapshot = options.metrics ? await options.metrics.snapshot() : undefined;
    return c.json({
      fleet: fleet.metadata.name,
      time: snapshot?.time ?? options.clock.now(),
      datacenters: fleet.spec.datacenters.map((d) => ({ name: d.name, clusters: d.clusters })),
      services: fleet.spec.services.map((s) => ({
        name: s.name,
        type: s.type,
        userFacing: s.userFacing ?? false,
        reading: snapshot?.services[s.name],
      })),
    } satisfies FleetView);
  });

  app.get('/api/v1/series', async (c) => {
    const q = parse(SeriesQuery, c.req.query(), 'query');
    if (!options.series) throw new MaelstromError('E_NOT_FOUND', 'this backend keeps no metric time series');
    const fleet = [...definitions.fleets.values()][0];
    return c.json(readSeries(options.series, q, options.clock.now(), fleet?.spec.services.map((s) => s.name) ?? []));
  });

  app.get('/api/v1/runs', async (c) => {
    const q = parse(RunsQuery, c.req.query(), 'query');
    const runs = await controller.listRuns({
      limit: q.limit ?? 50,
      ...(q.active !== undefined ? { active: q.active === 'true' } : {}),
    });
    return c.json({ runs });
  });

  app.post('/api/v1/runs', async (c) => {
    const body = parse(StartRunBody, await jsonBody(c), 'body');
    const request = { plan: body.plan, ...(body.emergency !== undefined ? { emergency: body.emergency } : {}) };
    const view = await mutate(c, 'start', body.plan, body.emergency, request, (actor) =>
      controller.startRun(body.plan, actor, body.emergency !== undefined ? { emergency: body.emergency } : {}),
    );
    return c.json({ id: view.id } satisfies StartedRun, 201);
  });

  app.get('/api/v1/runs/:id', async (c) => {
    const id = parse(RunId, c.req.param('id'), 'run id');
    return c.json(await controller.getRun(id));
  });

  app.post('/api/v1/runs/:id/:action', async (c) => {
    const id = parse(RunId, c.req.param('id'), 'run id');
    const action = parse(ActionName, c.req.param('action'), 'action');
    const body = parse(ActionBodies[action], await jsonBody(c), 'body');
    const command = OperatorCommand.parse({ ...body, action });
    const task = commandTask(command);
    const target = task !== undefined ? `${id}/${task}` : id;
    const view = await mutate(c, action, target, body.reason, command, (actor) =>
      controller.command(id, command, actor),
    );
    return c.json(view);
  });

  app.post('/api/v1/halt', async (c) => {
    const body = parse(HaltBody, await jsonBody(c), 'body');
    await mutate(c, 'halt', undefined, body.reason, undefined, (actor) => controller.halt(actor, body.reason));
    return c.json({ halted: true } satisfies Halted);
  });

  app.get('/api/v1/history', async (c) => {
    const q = parse(HistoryQuery, c.req.query(), 'query');
    const runs = await controller.listRuns({ limit: q.limit ?? 50 });
    return c.json({ runs: runs.filter((r) => isTerminalRun(r.state)).map(historyEntry) } satisfies HistoryList);
  });

  app.get('/api/v1/audit', async (c) => {
    requireRole(actorOf(c), 'admin');
    const q = parse(HistoryQuery, c.req.query(), 'query');
    return c.json({ entries: await store.listAudit({ limit: q.limit ?? 100 }) });
  });

  registerTestRoutes(app, options.tests, mutate);

  app.get('/api/v1/events', (c) => {
    const q = parse(EventsQuery, c.req.query(), 'query');
    const header = c.req.header('last-event-id');
    const fromHeader = header !== undefined && /^\d+$/.test(header) ? Number(header) : undefined;
    const afterSeq = fromHeader ?? q.after;
    return streamEvents(c, controller, {
      ...(q.run !== undefined ? { runId: q.run } : {}),
      ...(afterSeq !== undefined ? { afterSeq } : {}),
    });
  });

  const timeline = (): TimelineSources => {
    if (!options.timeline) throw new MaelstromError('E_NOT_FOUND', 'this server keeps no timeline');
    return options.timeline;
  };

  app.get('/api/v1/timeline', async (c) => {
    const q = parse(TimelineQuery, c.req.query(), 'query');
    const at = q.at !== undefined ? parseInstant(q.at, 'at') : hlcOf(Date.now() + 3_600_000, 0);
    // The model's cut is the API's TimelineCut (readonly arrays aside).
    const cut = cutAt(await timelineEvents(timeline(), { to: at }), at) as unknown as TimelineCut;
    return c.json(cut);
  });

  app.get('/api/v1/timeline/events', async (c) => {
    const q = parse(TimelineEventsQuery, c.req.query(), 'query');
    const from = q.from !== undefined ? parseInstant(q.from, 'from', 'start') : undefined;
    const to = q.to !== undefined ? parseInstant(q.to, 'to') : undefined;
    if (from !== undefined && to !== undefined && from > to)
      throw new MaelstromError('E_BAD_REQUEST', 'from is after to');
    const events = await timelineEvents(timeline(), {
      ...(from !== undefined ? { from } : {}),
      ...(to !== undefined ? { to } : {}),
      ...(q.runId !== undefined ? { runId: q.runId } : {}),
    });
    return c.json({ events } satisfies TimelineEvents);
  });

  if (options.webRoot !== undefined) serveWeb(app, options.webRoot);

  return { app, metrics, close: unsubscribe };
}
