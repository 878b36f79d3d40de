/** Every request body and parameter the API accepts, as zod schemas; anything else is answered 400. */
import { z } from 'zod';
import type { Context } from 'hono';
import { CommandActionSchema } from '../model/api.js';
import { MaelstromError } from '../model/errors.js';
import type { CommandAction } from '../model/states.js';

// The bodies are the API's shapes, written once in model/api.ts; the parameters below are the server's own.
export { CommandBodies as ActionBodies, HaltBody, StartRunBody, ValidateBody } from '../model/api.js';
export const ActionName = CommandActionSchema;
export type ActionName = CommandAction;

const Name = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._:-]*$/, 'letters, digits, ".", "_", ":" and "-" only');

export const RunId = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[A-Za-z0-9._-]+$/, 'letters, digits, ".", "_" and "-" only');
export const PlanName = Name;

export const RunsQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(1000).optional(),
  active: z.enum(['true', 'false']).optional(),
});
export const FleetQuery = z.object({ name: z.string().min(1).max(200).optional() });
export const HistoryQuery = z.strictObject({ limit: z.coerce.number().int().min(1).max(1000).optional() });
export const NotificationsQuery = z.strictObject({ limit: z.coerce.number().int().min(1).max(500).optional() });
export const EventsQuery = z.strictObject({
  run: RunId.optional(),
  after: z.coerce.number().int().min(0).optional(),
});
/** An instant of the timeline: ISO 8601, ms since the epoch, or an HLC (parsed by model/timeline.ts). */
const Instant = z.string().min(1).max(40);
export const TimelineQuery = z.strictObject({ at: Instant.optional() });
export const TimelineEventsQuery = z.strictObject({
  from: Instant.optional(),
  to: Instant.optional(),
  /** One run's events only (the dashboard's time slider over the selected run). */
  runId: z.string().min(1).max(200).optional(),
});
export const SeriesQuery = z.strictObject({
  metric: z
    .string()
    .min(1)
    .max(64)
    .regex(/^[A-Za-z]+$/),
  service: Name.optional(),
  datacenter: Name.optional(),
  /** Window to return, ending now, in seconds of backend time. */
  window: z.coerce
    .number()
    .int()
    .min(10)
    .max(7 * 86400)
    .optional(),
  resolution: z.coerce.number().int().min(1).max(86400).optional(),
});

function describe(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.length ? i.path.join('.') : 'body'}: ${i.message}`).join('; ');
}

/** Parses `value` or throws E_BAD_REQUEST naming the first problems; `what` says where it came from. */
export function parse<T extends z.ZodType>(schema: T, value: unknown, what: string): z.infer<T> {
  const r = schema.safeParse(value);
  if (!r.success) throw new MaelstromError('E_BAD_REQUEST', `invalid ${what}: ${describe(r.error)}`);
  return r.data;
}

export async function jsonBody(c: Context): Promise<unknown> {
  const type = c.req.header('content-type') ?? '';
  const text = await c.req.text();
  if (text.trim() === '') return {};
  if (!/^application\/json\b/i.test(type))
    throw new MaelstromError('E_BAD_REQUEST', 'the request body must be JSON (Content-Type: application/json)');
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new MaelstromError('E_BAD_REQUEST', 'the request body is not valid JSON');
  }
}
