/** The OpenAPI 3.1 description of `/api/v1`, served at `/api/v1/openapi.json`. */
const error = { $ref: '#/components/responses/Error' };
const reason = { type: 'string', maxLength: 2000 };
const task = { type: 'string' };
const json = (schema: unknown): unknown => ({ content: { 'application/json': { schema } } });
const ok = (description: string, schema: unknown = { type: 'object' }): unknown => ({
  description,
  ...(json(schema) as object),
});
const runView = { $ref: '#/components/schemas/RunView' };
const idParam = { name: 'id', in: 'path', required: true, schema: { type: 'string', pattern: '^[A-Za-z0-9._-]+$' } };

function action(name: string, required: string[], props: Record<string, unknown>, summary: string): [string, unknown] {
  return [
    `/runs/{id}/${name}`,
    {
      post: {
        summary,
        tags: ['runs'],
        'x-role': 'operator',
        parameters: [idParam],
        requestBody: {
          required: required.length > 0,
          ...(json({ type: 'object', additionalProperties: false, required, properties: props }) as object),
        },
        responses: {
          200: ok('The run after the action', runView),
          400: error,
          401: error,
          403: error,
          404: error,
          409: error,
        },
      },
    },
  ];
}

export const openApiDocument = {
  openapi: '3.1.0',
  info: { title: 'Maelstrom controller API', version: '1' },
  servers: [{ url: '/api/v1' }],
  security: [{ bearer: [] }],
  components: {
    securitySchemes: {
      bearer: {
        type: 'http',
        scheme: 'bearer',
        description: 'A token from `maelstrom token create --role viewer|operator|admin`.',
      },
    },
    responses: {
      Error: ok('An error with a stable code', {
        type: 'object',
        required: ['error'],
        properties: {
          error: {
            type: 'object',
            required: ['code', 'message'],
            properties: {
              code: { type: 'string', example: 'E_BAD_REQUEST' },
              message: { type: 'string' },
              details: {},
              retryable: { type: 'boolean' },
            },
          },
        },
      }),
    },
    schemas: {
      TaskView: {
        type: 'object',
        required: ['id', 'service', 'template', 'state', 'after', 'stages'],
        properties: {
          id: { type: 'string' },
          service: { type: 'string' },
          template: { type: 'string' },
          state: {
            enum: ['pending', 'waiting', 'running', 'blocked', 'stuck', 'succeeded', 'failed', 'skipped', 'cancelled'],
          },
          after: { type: 'array', items: { type: 'string' } },
          stage: { type: 'integer' },
          stages: { type: 'array', items: { type: 'string' } },
          startedAt: { type: 'number' },
          finishedAt: { type: 'number' },
          progress: { type: 'number', minimum: 0, maximum: 1 },
          reason: { type: 'string' },
          stuck: { type: 'boolean' },
        },
      },
      RunView: {
        type: 'object',
        required: ['id', 'plan', 'state', 'tasks'],
        properties: {
          id: { type: 'string' },
          plan: { type: 'string' },
          state: {
            enum: ['pending', 'running', 'paused', 'blocked', 'aborting', 'succeeded', 'failed', 'aborted', 'halted'],
          },
          datacenter: { type: 'string' },
          direction: { enum: ['drain', 'restore'] },
          createdAt: { type: 'number' },
          startedAt: { type: 'number' },
          finishedAt: { type: 'number' },
          reason: { type: 'string' },
          criticalPath: { type: 'array', items: { type: 'string' } },
          tasks: { type: 'array', items: { $ref: '#/components/schemas/TaskView' } },
        },
      },
    },
  },
  paths: {
    '/openapi.json': { get: { summary: 'This document', security: [], responses: { 200: ok('OpenAPI document') } } },
    '/me': { get: { summary: "The caller's name and role", responses: { 200: ok('Actor'), 401: error } } },
    '/definitions': {
      get: {
        summary: 'Names of the loaded definitions, and the plans with their direction and datacenter',
        tags: ['definitions'],
        responses: { 200: ok('Definitions'), 401: error },
      },
    },
    '/definitions/validate': {
      post: {
        summary: 'Validate YAML definitions (load and lint); nothing is stored',
        tags: ['definitions'],
        requestBody: {
          required: true,
          ...(json({
            type: 'object',
            required: ['documents'],
            additionalProperties: false,
            properties: { documents: { type: 'string', description: 'YAML text, one or more documents' } },
          }) as object),
        },
        responses: { 200: ok('{ ok, diagnostics }'), 400: error, 401: error },
      },
    },
    '/definitions/plans/{name}': {
      get: {
        summary:
          'Plan preview: the same JSON as `maelstrom plan NAME --json` (tasks, waves, HCCs, pre-flight, predicted critical path)',
        tags: ['definitions'],
        parameters: [{ name: 'name', in: 'path', required: true, schema: { type: 'string' } }],
        responses: { 200: ok('Compiled plan'), 400: error, 401: error, 404: error },
      },
    },
    '/fleet': {
      get: {
        summary:
          "The fleet with the backend's current readings per service and datacenter (share, utilisation, traffic)",
        parameters: [{ name: 'name', in: 'query', schema: { type: 'string' } }],
        responses: { 200: ok('Fleet view'), 401: error, 404: error },
      },
    },
    '/series': {
      get: {
        summary:
          'A metric time series from the backend (the simulator keeps them); without a service, additive metrics are summed over the fleet',
        parameters: ['metric', 'service', 'datacenter', 'window', 'resolution'].map((n) => ({
          name: n,
          in: 'query',
          required: n === 'metric',
          schema: { type: ['window', 'resolution'].includes(n) ? 'integer' : 'string' },
        })),
        responses: { 200: ok('{ metric, resolutionMs, times, values }'), 400: error, 401: error, 404: error },
      },
    },
    '/runs': {
      get: {
        summary: 'Recent runs',
        tags: ['runs'],
        parameters: [
          { name: 'limit', in: 'query', schema: { type: 'integer' } },
          { name: 'active', in: 'query', schema: { enum: ['true', 'false'] } },
        ],
        responses: { 200: ok('{ runs: RunView[] }'), 401: error },
      },
      post: {
        summary: 'Start a run of a plan (refused with E_PREFLIGHT or E_CONFLICT rather than starting an unsafe run)',
        tags: ['runs'],
        'x-role': 'operator',
        requestBody: {
          required: true,
          ...(json({
            type: 'object',
            required: ['plan'],
            additionalProperties: false,
            properties: { plan: { type: 'string' } },
          }) as object),
        },
        responses: {
          201: ok('{ id }', { type: 'object', required: ['id'], properties: { id: { type: 'string' } } }),
          400: error,
          401: error,
          403: error,
          404: error,
          409: error,
        },
      },
    },
    '/runs/{id}': {
      get: {
        summary: 'A run with its tasks',
        tags: ['runs'],
        parameters: [idParam],
        responses: { 200: ok('Run', runView), 400: error, 401: error, 404: error },
      },
    },
    ...Object.fromEntries([
      action('pause', [], { reason }, 'Pause: no new step or task starts'),
      action('resume', [], { reason }, 'Resume a paused run'),
      action('abort', [], { reason }, 'Abort: stop, leaving traffic where it is'),
      action('retry', ['task'], { task, reason }, 'Retry a failed or stuck task'),
      action('approve', ['task'], { task, reason }, 'Approve a task waiting for approval'),
      action('skip', ['task', 'reason'], { task, reason }, 'Skip a task (a reason is required)'),
      action(
        'override-condition',
        ['task', 'condition', 'reason'],
        { task, condition: { type: 'string' }, reason },
        'Override a blocking condition of a task',
      ),
      action(
        'override-dependency',
        ['task', 'dependency', 'reason'],
        { task, dependency: { type: 'string' }, reason },
        'Let a task start without one of its dependencies',
      ),
    ]),
    '/halt': {
      post: {
        summary: 'Global halt: stop every active run at once',
        'x-role': 'operator',
        requestBody: {
          required: true,
          ...(json({
            type: 'object',
            required: ['reason'],
            additionalProperties: false,
            properties: { reason },
          }) as object),
        },
        responses: { 200: ok('{ halted: true }'), 400: error, 401: error, 403: error },
      },
    },
    '/history': {
      get: {
        summary: 'Finished runs with their duration and critical path (task ids with their durations)',
        parameters: [{ name: 'limit', in: 'query', schema: { type: 'integer' } }],
        responses: { 200: ok('{ runs }'), 401: error },
      },
    },
    '/audit': {
      get: {
        summary: 'The audit log (admin)',
        'x-role': 'admin',
        responses: { 200: ok('{ entries }'), 401: error, 403: error },
      },
    },
    '/events': {
      get: {
        summary:
          "Server-sent events: the engine's event stream. Each event has `id` = its sequence number; reconnect with Last-Event-ID (or ?after=SEQ) to receive everything missed first.",
        parameters: [
          { name: 'run', in: 'query', schema: { type: 'string' } },
          { name: 'after', in: 'query', schema: { type: 'integer' } },
          { name: 'Last-Event-ID', in: 'header', schema: { type: 'string' } },
        ],
        responses: {
          200: {
            description: 'text/event-stream of `engine` events (JSON EngineEvent)',
            content: { 'text/event-stream': {} },
          },
          400: error,
          401: error,
        },
      },
    },
  },
} as const;
