/** Every request body and parameter the API accepts, as zod schemas; anything else is answered 400. */
import { z } from 'zod';
import type { Context } from 'hono';
import { MaelstromError } from '../model/errors.js';

const Name = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._:-]*$/, 'letters, digits, ".", "_", ":" and "-" only');
const Reason = z.string().trim().min(1, 'a reason is required').max(2000);
const OptReason = z.string().trim().max(2000).optional();

export const RunId = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[A-Za-z0-9._-]+$/, 'letters, digits, ".", "_" and "-" only');
export const StartRunBody = z.strictObject({ plan: Name });
export const HaltBody = z.strictObject({ reason: Reason });
export const ValidateBody = z.strictObject({
  /** YAML text of one or more definition documents. */
  documents: z.string().min(1).max(2_000_000),
});

export const ActionBodies = {
  pause: z.strictObject({ reason: OptReason }),
  resume: z.strictObject({ reason: OptReason }),
  abort: z.strictObject({ reason: OptReason }),
  retry: z.strictObject({ task: Name, reason: OptReason }),
  approve: z.strictObject({ task: Name, reason: OptReason }),
  skip: z.strictObject({ task: Name, reason: Reason }),
  'override-condition': z.strictObject({ task: Name, condition: z.string().min(1).max(2000), reason: Reason }),
  'override-dependency': z.strictObject({ task: Name, dependency: Name, reason: Reason }),
} as const;
export type ActionName = keyof typeof ActionBodies;
export const ActionName = z.enum(Object.keys(ActionBodies) as [ActionName, ...ActionName[]]);

export const RunsQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(1000).optional(),
  active: z.enum(['true', 'false']).optional(),
});
export const HistoryQuery = z.strictObject({ limit: z.coerce.number().int().min(1).max(1000).optional() });
export const EventsQuery = z.strictObject({
  run: RunId.optional(),
  after: z.coerce.number().int().min(0).optional(),
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
