/**
 * The dashboard talks to the server's API only. The token is read once (URL fragment or prompt) into sessionStorage.
 *
 * The API's shapes are the server's own zod schemas (src/model/api.ts), imported as types only, so that they cannot
 * drift from what the server sends and zod stays out of the bundle.
 */
import type {
  Actor,
  DefinitionList,
  DeliveryList,
  FleetView,
  HistoryList,
  OperatorCommand,
  PlanPreview,
  RunList,
  RunView,
  SeriesView,
  StartedRun,
  Halted,
  TestsSwitched,
  TestsView,
  TimelineCut,
  TimelineEvents,
} from '../../src/model/api';
import type { EngineEvent } from '../../src/model/events';

export type {
  Actor,
  AlertView,
  Delivery,
  DeliveryList,
  OperatorCommand,
  ReasonRequired,
  FleetView,
  HistoryRun,
  PlanInfo,
  PlanPreview,
  RunView,
  SeriesView,
  TaskView,
  TestView,
  TestsView,
  TimelineCut,
  TimelineEvents,
} from '../../src/model/api';
export type { EngineEvent } from '../../src/model/events';
export type { CommandAction, RunAction, RunState, TaskAction, TaskState } from '../../src/model/states';
/** A run's pre-flight check, as a proposed run shows it. */
export type PreflightView = NonNullable<RunView['preflight']>;

const KEY = 'maelstrom.token';

export function readToken(): string | null {
  const params = new URLSearchParams(window.location.hash.replace(/^#/, ''));
  const token = params.get('token');
  if (token) {
    sessionStorage.setItem(KEY, token);
    // Keep the secret out of the address bar and history; the rest of the fragment (a deep link) stays.
    params.delete('token');
    const rest = params.toString();
    history.replaceState(null, '', window.location.pathname + window.location.search + (rest ? `#${rest}` : ''));
  }
  return sessionStorage.getItem(KEY);
}

/** What a deep link (`/#run=ID&task=T`, as notifications send it) asks to open. */
export interface DeepLink {
  readonly run: string;
  readonly task?: string;
}

export function readDeepLink(): DeepLink | undefined {
  const params = new URLSearchParams(window.location.hash.replace(/^#/, ''));
  const run = params.get('run');
  if (!run) return undefined;
  const task = params.get('task');
  return task ? { run, task } : { run };
}

/** Forgets the deep link once it has been followed, so a reload does not open its dialog again. */
export function clearDeepLink(): void {
  if (readDeepLink()) history.replaceState(null, '', window.location.pathname + window.location.search);
}
export function saveToken(t: string): void {
  sessionStorage.setItem(KEY, t);
}
export function forgetToken(): void {
  sessionStorage.removeItem(KEY);
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export function api(token: string) {
  async function call<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
    const res = await fetch(`/api/v1${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const json = (await res.json().catch(() => ({}))) as { error?: { code: string; message: string } };
    if (!res.ok)
      throw new ApiError(res.status, json.error?.code ?? 'E_HTTP', json.error?.message ?? `HTTP ${res.status}`);
    return json as T;
  }
  return {
    me: () => call<Actor>('GET', '/me'),
    definitions: () => call<DefinitionList>('GET', '/definitions'),
    preview: (plan: string) => call<PlanPreview>('GET', `/definitions/plans/${encodeURIComponent(plan)}`),
    fleet: () => call<FleetView>('GET', '/fleet'),
    series: (metric: string, datacenter: string, window: number) =>
      call<SeriesView>('GET', `/series?metric=${metric}&datacenter=${encodeURIComponent(datacenter)}&window=${window}`),
    runs: (active?: boolean) =>
      call<RunList>('GET', `/runs?limit=20${active === undefined ? '' : `&active=${active}`}`),
    run: (id: string) => call<RunView>('GET', `/runs/${encodeURIComponent(id)}`),
    start: (plan: string) => call<StartedRun>('POST', '/runs', { plan }),
    command: (id: string, { action, ...body }: OperatorCommand) =>
      call<RunView>('POST', `/runs/${encodeURIComponent(id)}/${action}`, body),
    halt: (reason: string) => call<Halted>('POST', '/halt', { reason }),
    history: () => call<HistoryList>('GET', '/history?limit=20'),
    tests: () => call<TestsView>('GET', '/tests'),
    haltTests: (reason: string) => call<TestsSwitched>('POST', '/tests/halt', { reason }),
    resumeTests: (reason: string) => call<TestsSwitched>('POST', '/tests/resume', reason ? { reason } : {}),
    notifications: () => call<DeliveryList>('GET', '/notifications?limit=12'),
    /** The run's changes in HLC order: the steps of the time slider. */
    timelineEvents: (runId: string) =>
      call<TimelineEvents>('GET', `/timeline/events?runId=${encodeURIComponent(runId)}`),
    /** The consistent cut at an HLC: every run and task as it was, the weights, the health verdicts. */
    timelineCut: (hlc: string) => call<TimelineCut>('GET', `/timeline?at=${encodeURIComponent(hlc)}`),
  };
}
export type Api = ReturnType<typeof api>;

/**
 * Follows /api/v1/events with fetch (so the token goes in a header, not the URL), reconnecting with Last-Event-ID
 * after a drop so that nothing is missed.
 */
export function followEvents(
  token: string,
  onEvent: (e: EngineEvent) => void,
  onStatus: (live: boolean) => void,
): () => void {
  const ctl = new AbortController();
  let last: number | undefined;
  const loop = async (): Promise<void> => {
    while (!ctl.signal.aborted) {
      try {
        const res = await fetch('/api/v1/events', {
          headers: {
            authorization: `Bearer ${token}`,
            ...(last !== undefined ? { 'last-event-id': String(last) } : {}),
          },
          signal: ctl.signal,
        });
        if (!res.ok || !res.body) throw new Error(`events: HTTP ${res.status}`);
        onStatus(true);
        const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
        let buf = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buf += value;
          let i: number;
          while ((i = buf.indexOf('\n\n')) >= 0) {
            const block = buf.slice(0, i);
            buf = buf.slice(i + 2);
            let data = '';
            let kind = 'message';
            for (const line of block.split('\n')) {
              if (line.startsWith('data:')) data += line.slice(5).trimStart();
              else if (line.startsWith('event:')) kind = line.slice(6).trim();
              else if (line.startsWith('id:')) last = Number(line.slice(3).trim());
            }
            // The server's own events: the stream's JSON is the journal's EngineEvent (src/model/events.ts).
            if (kind === 'engine' && data) onEvent(JSON.parse(data) as EngineEvent);
          }
        }
      } catch {
        if (ctl.signal.aborted) return;
      }
      onStatus(false);
      await new Promise((r) => setTimeout(r, 1000));
    }
  };
  void loop();
  return () => {
    ctl.abort();
  };
}

export function pct(x: number | undefined, digits = 0): string {
  return x === undefined || !Number.isFinite(x) ? '—' : `${(x * 100).toFixed(digits)}%`;
}
export function rps(x: number | undefined): string {
  if (x === undefined || !Number.isFinite(x)) return '—';
  return x >= 10_000 ? `${(x / 1000).toFixed(0)}k` : x >= 1000 ? `${(x / 1000).toFixed(1)}k` : x.toFixed(0);
}
export function duration(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return '—';
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h ${String(m % 60).padStart(2, '0')}m`;
}
export function clock(t: number | undefined): string {
  return t === undefined ? '—' : new Date(t).toISOString().slice(11, 19);
}
