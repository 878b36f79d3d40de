/** The dashboard talks to the server's API only. The token is read once (URL fragment or prompt) into sessionStorage. */

export type RunState =
  'pending' | 'running' | 'paused' | 'blocked' | 'aborting' | 'succeeded' | 'failed' | 'aborted' | 'halted';
export type TaskState =
  'pending' | 'waiting' | 'running' | 'blocked' | 'stuck' | 'succeeded' | 'failed' | 'skipped' | 'cancelled';

export interface TaskView {
  id: string;
  service: string;
  template: string;
  state: TaskState;
  after: string[];
  stage?: number;
  stages: string[];
  startedAt?: number;
  finishedAt?: number;
  progress?: number;
  reason?: string;
  stuck?: boolean;
}
export interface RunView {
  id: string;
  plan: string;
  state: RunState;
  datacenter: string;
  direction: 'drain' | 'restore';
  createdAt: number;
  startedAt?: number;
  finishedAt?: number;
  tasks: TaskView[];
  reason?: string;
  criticalPath?: string[];
}
export interface PlanInfo {
  name: string;
  fleet: string;
  direction: string;
  datacenter: string;
}
export interface DcReading {
  load?: number;
  capacity?: number;
  utilization?: number;
  traffic?: number;
  errorRate?: number;
  latencyP99?: number;
  share?: { edge?: number; cluster?: number };
}
export interface FleetView {
  fleet: string;
  time: number;
  datacenters: { name: string; clusters: string[] }[];
  services: {
    name: string;
    type: string;
    userFacing: boolean;
    reading?: { datacenters: Record<string, DcReading>; errorRate?: number };
  }[];
}
export interface PreflightService {
  service: string;
  ok: boolean;
  load: number;
  headroom: number;
  utilizationAfter: number;
  reason?: string;
}
export interface PlanPreview {
  plan: string;
  datacenter: string;
  direction: string;
  predictedMs: number;
  criticalPath: string[];
  tasks: { id: string; service: string; after: string[]; expectedMs: number }[];
  preflight: { ok: boolean; targetUtilization: number; services: PreflightService[] };
}
export interface HistoryRun {
  id: string;
  plan: string;
  state: RunState;
  datacenter: string;
  direction: string;
  startedAt?: number;
  finishedAt?: number;
  durationMs?: number;
  tasks: number;
  reason?: string;
  criticalPath: { id: string; durationMs?: number }[];
}
export interface Series {
  times: number[];
  values: number[];
}
export interface EngineEvent {
  type: string;
  seq?: number;
  time: number;
  runId?: string;
  taskId?: string;
  [k: string]: unknown;
}

const KEY = 'maelstrom.token';

export function readToken(): string | null {
  const m = /(?:^#|&)token=([^&]+)/.exec(window.location.hash);
  if (m?.[1]) {
    sessionStorage.setItem(KEY, decodeURIComponent(m[1]));
    // Keep the secret out of the address bar and history.
    history.replaceState(null, '', window.location.pathname + window.location.search);
  }
  return sessionStorage.getItem(KEY);
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
    me: () => call<{ name: string; role: string }>('GET', '/me'),
    definitions: () => call<{ plans: PlanInfo[] }>('GET', '/definitions'),
    preview: (plan: string) => call<PlanPreview>('GET', `/definitions/plans/${encodeURIComponent(plan)}`),
    fleet: () => call<FleetView>('GET', '/fleet'),
    series: (metric: string, datacenter: string, window: number) =>
      call<Series>('GET', `/series?metric=${metric}&datacenter=${encodeURIComponent(datacenter)}&window=${window}`),
    runs: (active?: boolean) =>
      call<{ runs: RunView[] }>('GET', `/runs?limit=20${active === undefined ? '' : `&active=${active}`}`),
    run: (id: string) => call<RunView>('GET', `/runs/${encodeURIComponent(id)}`),
    start: (plan: string) => call<{ id: string }>('POST', '/runs', { plan }),
    action: (id: string, action: string, body: Record<string, string>) =>
      call<RunView>('POST', `/runs/${encodeURIComponent(id)}/${action}`, body),
    halt: (reason: string) => call<{ halted: boolean }>('POST', '/halt', { reason }),
    history: () => call<{ runs: HistoryRun[] }>('GET', '/history?limit=20'),
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
