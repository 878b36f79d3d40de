/**
 * The OpenAPI 3.1 description of `/api/v1`, served at `/api/v1/openapi.json`, generated from the zod schemas the
 * server parses requests with and the answers are typed by (model/api.ts, schemas.ts). Nothing here restates a
 * shape: a route names its schemas, and `z.toJSONSchema` writes them. `test/openapi.test.ts` checks that every route
 * the server serves is here and that the document's schemas are the zod ones.
 */
import { z } from 'zod';
import {
  AlertmanagerWebhook,
  CommandBodies,
  HaltBody,
  Halted,
  ResumeTestsBody,
  Health,
  StartRunBody,
  StartedRun,
  ValidateBody,
  namedSchemas,
} from '../model/api.js';
import { CommandAction } from '../model/states.js';
import {
  EventsQuery,
  FleetQuery,
  HistoryQuery,
  NotificationsQuery,
  PlanName,
  RunId,
  RunsQuery,
  SeriesQuery,
  TimelineEventsQuery,
  TimelineQuery,
} from './schemas.js';

export type SchemaName = keyof typeof namedSchemas;
type JsonSchema = Record<string, unknown>;

/** One route of `/api/v1`, as the document describes it. */
export interface Route {
  readonly method: 'get' | 'post';
  /** Below `/api/v1`, with `{param}` for a path parameter. */
  readonly path: string;
  readonly summary: string;
  readonly tags?: readonly string[];
  /** The least role it needs; a viewer's token reads everything else (an alerts token reads nothing). */
  readonly role?: 'operator' | 'admin' | 'alerts';
  /** Answered without a token. */
  readonly open?: boolean;
  readonly params?: Readonly<Record<string, z.ZodType>>;
  readonly query?: z.ZodObject;
  readonly headers?: Readonly<Record<string, z.ZodType>>;
  readonly body?: z.ZodType;
  readonly status: number;
  readonly answer: string;
  /** A named schema, an inline one, or another media type. */
  readonly schema?: SchemaName | z.ZodType | { readonly mediaType: string };
  readonly errors: readonly number[];
}

const runId = { id: RunId };

const commandSummaries: Record<CommandAction, string> = {
  pause: 'Pause: no new step or task starts',
  resume: 'Resume a paused run',
  abort: 'Abort: stop, leaving traffic where it is',
  retry: 'Retry a failed, blocked or stuck task',
  skip: 'Skip a task (a reason is required)',
  approve:
    'Approve a proposed run (no task: it starts, if its pre-flight passes), or the approval stage of a task; ' +
    'a reason is required',
  'override-condition': 'Override a blocking condition of a task (a reason is required)',
  'override-dependency': 'Let a task start without one of its weak (or stuck) dependencies (a reason is required)',
};

export const routes: readonly Route[] = [
  {
    method: 'get',
    path: '/openapi.json',
    summary: 'This document',
    open: true,
    status: 200,
    answer: 'OpenAPI document',
    errors: [],
  },
  {
    method: 'get',
    path: '/health',
    summary: 'Liveness',
    open: true,
    status: 200,
    answer: 'Alive',
    schema: Health,
    errors: [],
  },
  {
    method: 'get',
    path: '/me',
    summary: "The caller's name and role",
    status: 200,
    answer: 'The caller',
    schema: 'Actor',
    errors: [401],
  },
  {
    method: 'get',
    path: '/definitions',
    summary: 'Names of the loaded definitions, and the plans with their direction and datacenter',
    tags: ['definitions'],
    status: 200,
    answer: 'The definitions',
    schema: 'DefinitionList',
    errors: [401],
  },
  {
    method: 'post',
    path: '/definitions/validate',
    summary: 'Validate YAML definitions (load and lint); nothing is stored',
    tags: ['definitions'],
    body: ValidateBody,
    status: 200,
    answer: 'What load and lint found',
    schema: 'Validation',
    errors: [400, 401],
  },
  {
    method: 'get',
    path: '/definitions/plans/{name}',
    summary:
      'Plan preview: the same JSON as `maelstrom plan NAME --json` ' +
      '(tasks, waves, HCCs, pre-flight, estimated critical path)',
    tags: ['definitions'],
    params: { name: PlanName },
    status: 200,
    answer: 'The compiled plan',
    schema: 'PlanPreview',
    errors: [400, 401, 404],
  },
  {
    method: 'get',
    path: '/fleet',
    summary: "The fleet with the backend's current readings per service and datacenter (share, utilisation, traffic)",
    query: FleetQuery,
    status: 200,
    answer: 'The fleet view',
    schema: 'FleetView',
    errors: [401, 404],
  },
  {
    method: 'get',
    path: '/series',
    summary:
      'A metric time series from the backend (the simulator keeps them); ' +
      'without a service, additive metrics are summed over the fleet',
    query: SeriesQuery,
    status: 200,
    answer: 'The series',
    schema: 'SeriesView',
    errors: [400, 401, 404],
  },
  {
    method: 'get',
    path: '/runs',
    summary: 'Recent runs',
    tags: ['runs'],
    query: RunsQuery,
    status: 200,
    answer: 'The runs, newest first',
    schema: 'RunList',
    errors: [400, 401],
  },
  {
    method: 'post',
    path: '/runs',
    summary: 'Start a run of a plan (refused with E_PREFLIGHT or E_CONFLICT rather than starting an unsafe run)',
    tags: ['runs'],
    role: 'operator',
    body: StartRunBody,
    status: 201,
    answer: 'The id of the new run',
    schema: StartedRun,
    errors: [400, 401, 403, 404, 409],
  },
  {
    method: 'get',
    path: '/runs/{id}',
    summary: 'A run with its tasks, and what an operator may do to each now',
    tags: ['runs'],
    params: runId,
    status: 200,
    answer: 'The run',
    schema: 'RunView',
    errors: [400, 401, 404],
  },
  ...CommandAction.map((action): Route => ({
    method: 'post',
    path: `/runs/{id}/${action}`,
    summary: commandSummaries[action],
    tags: ['runs'],
    role: 'operator',
    params: runId,
    body: CommandBodies[action],
    status: 200,
    answer: 'The run after the action',
    schema: 'RunView',
    errors: [400, 401, 403, 404, 409],
  })),
  {
    method: 'post',
    path: '/halt',
    summary: 'Global halt: stop every active run at once',
    role: 'operator',
    body: HaltBody,
    status: 200,
    answer: 'Every active run is stopping',
    schema: Halted,
    errors: [400, 401, 403],
  },
  {
    method: 'post',
    path: '/alerts',
    summary:
      "Prometheus Alertmanager's webhook (version 4): each firing alert that a Trigger matches proposes (or starts) " +
      "its plan; a repeat or a resolution is recorded on the trigger's open run. Needs an alerts (or admin) token.",
    tags: ['alerts'],
    role: 'alerts',
    body: AlertmanagerWebhook,
    status: 200,
    answer: 'What became of each alert',
    schema: 'AlertsReceived',
    errors: [400, 401, 403, 404, 500],
  },
  {
    method: 'get',
    path: '/notifications',
    summary: "The notifiers' latest deliveries, newest first: pending, delivered, or failed with the last error",
    tags: ['alerts'],
    query: NotificationsQuery,
    status: 200,
    answer: 'Deliveries, and the notifiers that send',
    schema: 'DeliveryList',
    errors: [400, 401, 403],
  },
  {
    method: 'get',
    path: '/history',
    summary: 'Finished runs with their duration and critical path (task ids with their durations)',
    query: HistoryQuery,
    status: 200,
    answer: 'Finished runs, newest first',
    schema: 'HistoryList',
    errors: [400, 401],
  },
  {
    method: 'get',
    path: '/audit',
    summary: 'The audit log (admin)',
    role: 'admin',
    query: HistoryQuery,
    status: 200,
    answer: 'Audit entries',
    schema: 'AuditList',
    errors: [400, 401, 403],
  },
  {
    method: 'get',
    path: '/tests',
    summary:
      'The drain tests of the schedules: per datacenter the last test and the next due, the running tests, ' +
      'the skips with their reasons, and per drain plan the drain time of its last tests',
    tags: ['tests'],
    status: 200,
    answer: 'The drain-test practice',
    schema: 'TestsView',
    errors: [401, 404],
  },
  {
    method: 'post',
    path: '/tests/halt',
    summary: 'Halt the drain tests: none starts, and every running one is aborted and its datacenter restored',
    tags: ['tests'],
    role: 'operator',
    body: HaltBody,
    status: 200,
    answer: 'The switch, and the running tests being stopped',
    schema: 'TestsSwitched',
    errors: [400, 401, 403, 404],
  },
  {
    method: 'post',
    path: '/tests/resume',
    summary: 'Resume the drain tests after a halt',
    tags: ['tests'],
    role: 'operator',
    body: ResumeTestsBody,
    status: 200,
    answer: 'The switch',
    schema: 'TestsSwitched',
    errors: [400, 401, 403, 404],
  },
  {
    method: 'get',
    path: '/events',
    summary:
      "Server-sent events: the engine's event stream. Each event has `id` = its sequence number; reconnect with " +
      'Last-Event-ID (or ?after=SEQ) to receive everything missed first.',
    query: EventsQuery,
    headers: { 'Last-Event-ID': z.string() },
    status: 200,
    answer: 'text/event-stream of `engine` events (JSON EngineEvent, see src/model/events.ts)',
    schema: { mediaType: 'text/event-stream' },
    errors: [400, 401],
  },
  {
    method: 'get',
    path: '/timeline',
    summary:
      'The retrospective timeline: the consistent cut at `at` (ISO 8601, ms since the epoch or an HLC; default now) ' +
      "of the controller's journal and the simulator's: every run and task state, weights, health, operator actions",
    tags: ['timeline'],
    query: TimelineQuery,
    status: 200,
    answer: 'The cut',
    schema: 'TimelineCut',
    errors: [400, 401],
  },
  {
    method: 'get',
    path: '/timeline/events',
    summary:
      'The merged events of every source between `from` and `to` (both optional, inclusive), in HLC order; ' +
      "with `runId`, that run's only",
    tags: ['timeline'],
    query: TimelineEventsQuery,
    status: 200,
    answer: 'The events',
    schema: 'TimelineEvents',
    errors: [400, 401],
  },
];

/** A schema as JSON Schema for the document: requests as they are sent (`input`), answers as they are written. */
export function jsonSchemaOf(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const { $schema: _drop, ...rest } = z.toJSONSchema(schema, { io }) as JsonSchema;
  return rest;
}

/** The named schemas, referring to each other by `#/components/schemas/<name>`. */
function componentSchemas(): Record<string, JsonSchema> {
  const registry = z.registry<{ id: string }>();
  for (const [id, schema] of Object.entries(namedSchemas)) registry.add(schema, { id });
  const { schemas } = z.toJSONSchema(registry, { uri: (id) => `#/components/schemas/${id}` }) as {
    schemas: Record<string, JsonSchema>;
  };
  return Object.fromEntries(
    Object.entries(schemas).map(([id, s]) => {
      const { $schema: _s, $id: _i, ...rest } = s;
      return [id, rest];
    }),
  );
}

function parameters(route: Route): JsonSchema[] {
  const out: JsonSchema[] = [];
  for (const [name, schema] of Object.entries(route.params ?? {}))
    out.push({ name, in: 'path', required: true, schema: jsonSchemaOf(schema, 'input') });
  for (const [name, schema] of Object.entries(route.query?.shape ?? {}) as [string, z.ZodType][])
    out.push({
      name,
      in: 'query',
      required: !schema.safeParse(undefined).success,
      schema: jsonSchemaOf(schema, 'input'),
    });
  for (const [name, schema] of Object.entries(route.headers ?? {}))
    out.push({ name, in: 'header', schema: jsonSchemaOf(schema, 'input') });
  return out;
}

function answer(route: Route): JsonSchema {
  const s = route.schema;
  if (s === undefined)
    return { description: route.answer, content: { 'application/json': { schema: { type: 'object' } } } };
  if (typeof s === 'object' && 'mediaType' in s) return { description: route.answer, content: { [s.mediaType]: {} } };
  const schema = typeof s === 'string' ? { $ref: `#/components/schemas/${s}` } : jsonSchemaOf(s, 'output');
  return { description: route.answer, content: { 'application/json': { schema } } };
}

function operation(route: Route): JsonSchema {
  const error = { $ref: '#/components/responses/Error' };
  const params = parameters(route);
  return {
    summary: route.summary,
    ...(route.tags ? { tags: route.tags } : {}),
    ...(route.open ? { security: [] } : {}),
    ...(route.role ? { 'x-role': route.role } : {}),
    ...(params.length > 0 ? { parameters: params } : {}),
    ...(route.body
      ? {
          requestBody: {
            // An empty body is the same as `{}`: a body is required when `{}` is not enough.
            required: !route.body.safeParse({}).success,
            content: { 'application/json': { schema: jsonSchemaOf(route.body, 'input') } },
          },
        }
      : {}),
    responses: {
      [route.status]: answer(route),
      ...Object.fromEntries(route.errors.map((status) => [status, error])),
    },
  };
}

function buildDocument(): JsonSchema {
  const paths: Record<string, Record<string, JsonSchema>> = {};
  for (const route of routes) (paths[route.path] ??= {})[route.method] = operation(route);
  return {
    openapi: '3.1.0',
    info: { title: 'Maelstrom controller API', version: '1' },
    servers: [{ url: '/api/v1' }],
    security: [{ bearer: [] }],
    components: {
      securitySchemes: {
        bearer: {
          type: 'http',
          scheme: 'bearer',
          description: 'A token from `maelstrom token create --role viewer|operator|admin|alerts`.',
        },
      },
      responses: {
        Error: {
          description: 'An error with a stable code (`{ error: { code, message } }`), never a stack trace',
          content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
        },
      },
      schemas: componentSchemas(),
    },
    paths,
  };
}

/** The document, built once. */
export const openApiDocument: JsonSchema = buildDocument();
