/**
 * The OpenAPI document is generated from the zod schemas, and stays true to the server: every route the server
 * serves under /api/v1 is described (and nothing else), and every schema in it, dereferenced, is exactly what
 * `z.toJSONSchema` makes of the zod schema the server parses with or types its answers by.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createSimBackend } from '../src/backends/sim/backend.js';
import { createController, type EngineController } from '../src/compose/controller.js';
import { loadOrFail } from '../src/load/check.js';
import { namedSchemas } from '../src/model/api.js';
import { CommandAction } from '../src/model/states.js';
import { createServerApp, type ServerApp } from '../src/server/app.js';
import { openApiDocument, routes } from '../src/server/openapi.js';
import { createSqliteStore, type SqliteStore } from '../src/store/sqlite/sqlite-store.js';

let store: SqliteStore;
let controller: EngineController;
let server: ServerApp;

beforeAll(async () => {
  const definitions = await loadOrFail(['examples']);
  const backend = createSimBackend({ fleet: definitions.fleets.get('example')!, name: 'sim' });
  store = createSqliteStore({ path: ':memory:' });
  await store.init();
  controller = await createController({ definitions, backend, store, clock: backend.clock, requestPollMs: false });
  server = createServerApp({ controller, store, definitions, clock: backend.clock });
});

afterAll(async () => {
  server.close();
  await controller.close();
  await store.close();
});

type Json = Record<string, unknown>;
const doc = openApiDocument as {
  paths: Record<string, Record<string, Json>>;
  components: { schemas: Record<string, Json> };
};

/** What zod itself makes of a schema, less the `$schema` line a document's schemas do without. */
function zodJson(schema: z.ZodType, io: 'input' | 'output'): Json {
  const { $schema, ...rest } = z.toJSONSchema(schema, { io }) as Json;
  expect($schema).toBe('https://json-schema.org/draft/2020-12/schema');
  return rest;
}

/** Replaces every `$ref` to a component by the component itself, so that it compares with an inlined schema. */
function deref(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(deref);
  if (node === null || typeof node !== 'object') return node;
  const ref = (node as { $ref?: unknown }).$ref;
  if (typeof ref === 'string') {
    const name = ref.replace('#/components/schemas/', '');
    const target = doc.components.schemas[name];
    if (!target) throw new Error(`dangling $ref ${ref}`);
    return deref(target);
  }
  return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, deref(v)]));
}

describe('the OpenAPI document', () => {
  it('describes every route the server serves under /api/v1, and no other', () => {
    const served = new Set<string>();
    for (const r of server.app.routes) {
      if (r.method === 'ALL' || !r.path.startsWith('/api/v1/')) continue;
      const path = r.path.slice('/api/v1'.length).replace(/:(\w+)/g, '{$1}');
      // One handler serves every operator command; the document names each.
      const paths = path === '/runs/{id}/{action}' ? CommandAction.map((a) => `/runs/{id}/${a}`) : [path];
      for (const p of paths) served.add(`${r.method.toLowerCase()} ${p}`);
    }
    const described = new Set(
      Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((method) => `${method} ${path}`)),
    );
    expect([...served].sort()).toEqual([...described].sort());
    expect(served.size).toBeGreaterThan(20);
  });

  it('has, for every named schema, exactly the JSON Schema of the zod schema', () => {
    expect(Object.keys(doc.components.schemas).sort()).toEqual(Object.keys(namedSchemas).sort());
    for (const [name, schema] of Object.entries(namedSchemas)) {
      expect(deref(doc.components.schemas[name]), name).toEqual(zodJson(schema, 'output'));
    }
    // The run view carries what an operator may do, from states.ts's names.
    const run = deref(doc.components.schemas.RunView) as { properties: Json; required: string[] };
    expect(run.required).toContain('allowedActions');
    expect(run.properties.allowedActions).toEqual({
      type: 'array',
      items: {
        type: 'string',
        enum: ['approve', 'pause', 'resume', 'abort'],
        description: 'An operator action on a whole run',
      },
      description: 'What an operator may do to this run now',
    });
  });

  it('has, for every request body and parameter, exactly the JSON Schema of the zod schema the server parses with', () => {
    for (const route of routes) {
      const op = doc.paths[route.path]![route.method] as {
        requestBody?: { required: boolean; content: { 'application/json': { schema: Json } } };
        parameters?: { name: string; in: string; required?: boolean; schema: Json }[];
      };
      if (route.body) {
        expect(op.requestBody!.content['application/json'].schema, route.path).toEqual(zodJson(route.body, 'input'));
      } else expect(op.requestBody, route.path).toBeUndefined();
      for (const [name, schema] of Object.entries(route.query?.shape ?? {}) as [string, z.ZodType][]) {
        const p = op.parameters!.find((x) => x.name === name && x.in === 'query')!;
        expect(p.schema, `${route.path}?${name}`).toEqual(zodJson(schema, 'input'));
      }
    }
    const skip = doc.paths['/runs/{id}/skip']!.post as { requestBody: { required: boolean; content: Json } };
    expect(skip.requestBody.required).toBe(true);
    const pause = doc.paths['/runs/{id}/pause']!.post as { requestBody: { required: boolean } };
    expect(pause.requestBody.required).toBe(false);
  });

  it('is what the server answers at /api/v1/openapi.json, without a token', async () => {
    const res = await server.app.request('/api/v1/openapi.json');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual(JSON.parse(JSON.stringify(openApiDocument)));
  });
});
