/**
 * One error type for the whole product. The code is data: it decides the HTTP status and the CLI exit code,
 * and a new code does not compile until both are mapped.
 */
export const ErrorCode = [
  // definitions
  'E_YAML',
  'E_SCHEMA',
  'E_DUPLICATE',
  'E_UNKNOWN_REF',
  'E_CYCLE',
  'E_PARAM',
  'E_EXPR',
  'E_STAGE',
  'E_FLEET',
  'E_DIRECTION',
  'E_NO_RESTORE',
  'E_FILE',
  'E_MODULE',
  'E_POP_SHARES',
  'E_CAPACITY',
  'E_PLACEMENT',
  'E_CRON',
  // definitions, warnings: reported, never fatal
  'W_NO_RESTORE',
  // planning and running
  'E_PREFLIGHT',
  'E_CONFLICT',
  'E_NOT_FOUND',
  'E_INVALID_STATE',
  'E_BAD_REQUEST',
  'E_UNAUTHORIZED',
  'E_FORBIDDEN',
  'E_BACKEND',
  'E_BACKEND_UNAVAILABLE',
  'E_TIMEOUT',
  'E_ABORTED',
  'E_STORE',
  // a message from a process whose clock is too far ahead (hybrid logical clocks)
  'E_CLOCK_SKEW',
  // several controllers on one store
  'E_FENCED',
  'E_NOT_LEADER',
  'E_NO_STANDBY',
  'E_INTERNAL',
] as const;
export type ErrorCode = (typeof ErrorCode)[number];

export interface ErrorMapping {
  readonly http: number;
  readonly exit: number;
}

export const errorMapping: Record<ErrorCode, ErrorMapping> = {
  E_YAML: { http: 400, exit: 1 },
  E_SCHEMA: { http: 400, exit: 1 },
  E_DUPLICATE: { http: 400, exit: 1 },
  E_UNKNOWN_REF: { http: 400, exit: 1 },
  E_CYCLE: { http: 400, exit: 1 },
  E_PARAM: { http: 400, exit: 1 },
  E_EXPR: { http: 400, exit: 1 },
  E_STAGE: { http: 400, exit: 1 },
  E_FLEET: { http: 400, exit: 1 },
  E_DIRECTION: { http: 400, exit: 1 },
  E_NO_RESTORE: { http: 400, exit: 1 },
  E_FILE: { http: 400, exit: 1 },
  E_MODULE: { http: 400, exit: 1 },
  E_POP_SHARES: { http: 400, exit: 1 },
  E_CAPACITY: { http: 400, exit: 1 },
  E_PLACEMENT: { http: 400, exit: 1 },
  E_CRON: { http: 400, exit: 1 },
  W_NO_RESTORE: { http: 400, exit: 1 },
  E_PREFLIGHT: { http: 409, exit: 3 },
  E_CONFLICT: { http: 409, exit: 3 },
  E_NOT_FOUND: { http: 404, exit: 4 },
  E_INVALID_STATE: { http: 409, exit: 3 },
  E_BAD_REQUEST: { http: 400, exit: 2 },
  E_UNAUTHORIZED: { http: 401, exit: 5 },
  E_FORBIDDEN: { http: 403, exit: 5 },
  E_BACKEND: { http: 502, exit: 6 },
  E_BACKEND_UNAVAILABLE: { http: 503, exit: 6 },
  E_TIMEOUT: { http: 504, exit: 6 },
  E_ABORTED: { http: 409, exit: 7 },
  E_STORE: { http: 500, exit: 8 },
  // The message was refused and nothing changed; fixing the clocks (NTP) is the way on, not retrying.
  E_CLOCK_SKEW: { http: 409, exit: 6 },
  // A controller whose lease went to another: what it tried was refused, and it stands by.
  E_FENCED: { http: 409, exit: 9 },
  // A standby's answer to a write: the leader (named in the message and details) takes it.
  E_NOT_LEADER: { http: 421, exit: 9 },
  // A drain of the leader's own datacenter with no healthy standby elsewhere to hand the lease to.
  E_NO_STANDBY: { http: 409, exit: 3 },
  E_INTERNAL: { http: 500, exit: 70 },
};

export interface MaelstromErrorOptions {
  readonly cause?: unknown;
  /** Whether trying the same thing again may succeed (a backend that timed out, a lease lost). */
  readonly retryable?: boolean;
  readonly retryAfterMs?: number;
  /** Structured detail for API answers and reports (figures of a failed pre-flight check, a cycle's path). */
  readonly details?: unknown;
}

export class MaelstromError extends Error {
  readonly code: ErrorCode;
  readonly retryable: boolean;
  readonly retryAfterMs: number | undefined;
  readonly details: unknown;

  constructor(code: ErrorCode, message: string, options: MaelstromErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'MaelstromError';
    this.code = code;
    this.retryable = options.retryable ?? false;
    this.retryAfterMs = options.retryAfterMs;
    this.details = options.details;
  }
}

export function isMaelstromError(e: unknown): e is MaelstromError {
  return e instanceof MaelstromError;
}

/** Converts anything thrown into a MaelstromError at a boundary, keeping the original as the cause. */
export function toMaelstromError(e: unknown): MaelstromError {
  if (e instanceof MaelstromError) return e;
  const message = e instanceof Error ? e.message : String(e);
  return new MaelstromError('E_INTERNAL', message, { cause: e });
}

export function assertNever(x: never, what = 'value'): never {
  throw new MaelstromError('E_INTERNAL', `unexpected ${what}: ${JSON.stringify(x)}`);
}
