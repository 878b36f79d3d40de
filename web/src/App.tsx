/** The dashboard: fleet and traffic on the right, the plan (pre-flight) or the live run on the left, history below. */
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import {
  api,
  clock,
  duration,
  followEvents,
  forgetToken,
  pct,
  readToken,
  saveToken,
  type Api,
  type EngineEvent,
  type FleetView,
  type HistoryRun,
  type PlanInfo,
  type PlanPreview,
  type RunView,
  type Series,
} from './api';
import { DC_COLOURS, TrafficChart } from './Chart';
import { Confirm, type Pending } from './Confirm';
import { Dag } from './Dag';
import { Fleet } from './Fleet';
import { EventLog, History, Preflight } from './Panels';

const TERMINAL = new Set(['succeeded', 'failed', 'aborted', 'halted']);

function useInterval(fn: () => void, ms: number, deps: unknown[]) {
  useEffect(() => {
    fn();
    const t = setInterval(fn, ms);
    return () => clearInterval(t);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, deps);
}

function Login({ onToken }: { onToken: (t: string) => void }) {
  const [t, setT] = useState('');
  return (
    <div className="login">
      <h1>Maelstrom</h1>
      <p>
        Paste an API token (<code>maelstrom token create --role operator</code>). It is kept for this browser tab only.
      </p>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (t.trim()) onToken(t.trim());
        }}
      >
        <input
          type="password"
          value={t}
          onChange={(e) => setT(e.target.value)}
          placeholder="mst_…"
          autoFocus
          data-testid="token"
        />
        <button className="primary" type="submit">
          Open
        </button>
      </form>
    </div>
  );
}

export function App() {
  const [token, setToken] = useState<string | null>(() => readToken());
  if (!token)
    return (
      <Login
        onToken={(t) => {
          saveToken(t);
          setToken(t);
        }}
      />
    );
  return (
    <Dashboard
      token={token}
      onLogout={() => {
        forgetToken();
        setToken(null);
      }}
    />
  );
}

function Dashboard({ token, onLogout }: { token: string; onLogout: () => void }) {
  const client: Api = useMemo(() => api(token), [token]);
  const [me, setMe] = useState<{ name: string; role: string }>();
  const [error, setError] = useState<string>();
  const [plans, setPlans] = useState<PlanInfo[]>([]);
  const [plan, setPlan] = useState<string>('');
  const [preview, setPreview] = useState<PlanPreview>();
  const [fleet, setFleet] = useState<FleetView>();
  const [series, setSeries] = useState<Record<string, Series | undefined>>({});
  const [run, setRun] = useState<RunView>();
  const [history, setHistory] = useState<HistoryRun[]>([]);
  const [events, setEvents] = useState<EngineEvent[]>([]);
  const [live, setLive] = useState(false);
  const [pending, setPending] = useState<Pending>();
  const [selected, setSelected] = useState<string>();
  const runId = useRef<string>(undefined);

  const fail = useCallback(
    (e: unknown) => {
      const err = e as { status?: number; message?: string };
      if (err.status === 401) {
        onLogout();
        return;
      }
      setError(err.message ?? String(e));
    },
    [onLogout],
  );

  useEffect(() => {
    client.me().then(setMe).catch(fail);
    client
      .definitions()
      .then((d) => {
        setPlans(d.plans);
        setPlan((p) => p || d.plans[0]?.name || '');
      })
      .catch(fail);
  }, [client, fail]);

  useEffect(() => {
    if (!plan) return;
    setPreview(undefined);
    client.preview(plan).then(setPreview).catch(fail);
  }, [client, plan, fail]);

  const refreshRun = useCallback(async () => {
    try {
      const { runs } = await client.runs();
      const active = runs.find((r) => !TERMINAL.has(r.state));
      const current = active ?? (runId.current ? runs.find((r) => r.id === runId.current) : undefined);
      runId.current = current?.id;
      setRun(current);
    } catch (e) {
      fail(e);
    }
  }, [client, fail]);
  // After a drain has succeeded, the way back is the next thing an operator needs: offer the restore of that datacenter.
  const lastRun = history[0];
  const nextRestore =
    lastRun?.state === 'succeeded' && lastRun.direction === 'drain'
      ? plans.find((p) => p.direction === 'restore' && p.datacenter === lastRun.datacenter)
      : undefined;
  const refreshHistory = useCallback(() => {
    client
      .history()
      .then((h) => setHistory(h.runs))
      .catch(fail);
  }, [client, fail]);

  useInterval(
    () => {
      void refreshRun();
    },
    3000,
    [refreshRun],
  );
  useInterval(
    () => {
      refreshHistory();
    },
    15000,
    [refreshHistory],
  );
  useInterval(
    () => {
      client
        .fleet()
        .then((f) => {
          setFleet(f);
          setError(undefined);
        })
        .catch(fail);
    },
    1500,
    [client],
  );
  useInterval(
    () => {
      if (!fleet) return;
      const names = fleet.datacenters.map((d) => d.name);
      void Promise.all(names.map((n) => client.series('traffic', n, 3600).catch(() => undefined))).then((list) =>
        setSeries(Object.fromEntries(names.map((n, i) => [n, list[i]]))),
      );
    },
    3000,
    [client, fleet?.datacenters.length],
  );

  // Live events: refresh the run at most every 250 ms while they arrive.
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const stop = followEvents(
      token,
      (e) => {
        setEvents((list) => (list.length > 400 ? [...list.slice(-300), e] : [...list, e]));
        if (e.type === 'run.state' && TERMINAL.has(String(e.state))) refreshHistory();
        if (e.type === 'operator' && e.action === 'start' && e.runId) runId.current = e.runId;
        timer ??= setTimeout(() => {
          timer = undefined;
          void refreshRun();
        }, 250);
      },
      setLive,
    );
    return () => {
      stop();
      if (timer) clearTimeout(timer);
    };
  }, [token, refreshRun, refreshHistory]);

  const canOperate = me?.role === 'operator' || me?.role === 'admin';
  const active = run !== undefined && !TERMINAL.has(run.state);
  const dcs = fleet?.datacenters.map((d) => d.name) ?? [];
  const critical = useMemo(
    () => new Set(run?.criticalPath ?? (active ? [] : (preview?.criticalPath ?? []))),
    [run, active, preview],
  );

  const act = (
    title: string,
    detail: string,
    needsReason: boolean,
    fn: (reason: string) => Promise<unknown>,
    danger = false,
  ) => {
    setPending({
      title,
      detail,
      needsReason,
      danger,
      run: async (reason) => {
        await fn(reason);
        await refreshRun();
      },
    });
  };
  const withReason = (reason: string): Record<string, string> => (reason ? { reason } : {});

  const health = useMemo(() => {
    const latest = new Map<string, EngineEvent>();
    for (const e of events)
      if (e.type === 'health' && (!run || e.runId === run.id)) latest.set(`${String(e.taskId)} ${String(e.check)}`, e);
    return [...latest.values()];
  }, [events, run]);
  const blocked = useMemo(() => {
    const m = new Map<string, string>();
    for (const e of events) if (e.type === 'condition.blocked' && e.taskId) m.set(e.taskId, String(e.condition));
    return m;
  }, [events]);
  const task = run?.tasks.find((t) => t.id === selected);
  const done = run?.tasks.filter((t) => t.state === 'succeeded' || t.state === 'skipped').length ?? 0;

  return (
    <div className="app">
      <header>
        <strong className="brand">MAELSTROM</strong>
        <span className={`live ${live ? 'on' : 'off'}`} title="event stream">
          {live ? '● live' : '○ reconnecting'}
        </span>
        {fleet && (
          <span className="muted">
            fleet {fleet.fleet} · backend time {clock(fleet.time)}
          </span>
        )}
        {run && (
          <span>
            run <span className="mono">{run.id}</span> {run.plan}{' '}
            <span className={`badge b-${run.state}`} data-testid="run-state">
              {run.state}
            </span>{' '}
            {done}/{run.tasks.length} tasks
          </span>
        )}
        <span className="spacer" />
        {me && (
          <span className="muted">
            {me.name} · {me.role}
          </span>
        )}
        {canOperate && (
          <button
            className="danger"
            data-testid="halt"
            onClick={() =>
              act(
                'Halt every active run',
                'Stops every active run at once, leaving traffic where it is.',
                true,
                (r) => client.halt(r),
                true,
              )
            }
          >
            Halt all
          </button>
        )}
        <button onClick={onLogout}>Sign out</button>
      </header>
      {error && (
        <div className="banner" onClick={() => setError(undefined)}>
          {error}
        </div>
      )}
      <main>
        <section className="left">
          {!active && (
            <div className="panel">
              <h2>Plan</h2>
              <div className="row">
                <select value={plan} onChange={(e) => setPlan(e.target.value)} data-testid="plan">
                  {plans.map((p) => (
                    <option key={p.name} value={p.name}>
                      {p.name} — {p.direction} {p.datacenter}
                    </option>
                  ))}
                </select>
                {canOperate && (
                  <button
                    className="primary"
                    data-testid="start"
                    disabled={!preview}
                    onClick={() =>
                      act(
                        `Start ${plan}`,
                        preview
                          ? `${preview.direction} ${preview.datacenter}: ${preview.tasks.length} tasks, predicted ${duration(preview.predictedMs)}. Pre-flight ${preview.preflight.ok ? 'passes' : 'fails'}.`
                          : '',
                        false,
                        async () => {
                          const r = await client.start(plan);
                          runId.current = r.id;
                        },
                      )
                    }
                  >
                    Start…
                  </button>
                )}
              </div>
              {nextRestore && nextRestore.name !== plan && (
                <p className="hint" data-testid="next">
                  {nextRestore.datacenter} is drained (run {history[0]?.id}).{' '}
                  <button onClick={() => setPlan(nextRestore.name)}>Prepare {nextRestore.name}</button>
                </p>
              )}
              {preview && <Preflight preview={preview} />}
              {preview && (
                <>
                  <h3>Planned tasks</h3>
                  <Dag tasks={preview.tasks} critical={critical} />
                </>
              )}
            </div>
          )}
          {run && (
            <div className="panel" data-testid="run">
              <h2>
                Run {run.plan} <span className={`badge b-${run.state}`}>{run.state}</span>
                <span className="muted small">
                  {' '}
                  started {clock(run.startedAt)}
                  {run.finishedAt ? ` · took ${duration(run.finishedAt - (run.startedAt ?? run.createdAt))}` : ''}
                </span>
              </h2>
              {run.reason && <p className="muted">{run.reason}</p>}
              {canOperate && active && (
                <div className="row">
                  {run.state === 'paused' ? (
                    <button
                      className="primary"
                      data-testid="resume"
                      onClick={() =>
                        act('Resume the run', 'Tasks and shifts carry on from where they stopped.', false, (r) =>
                          client.action(run.id, 'resume', withReason(r)),
                        )
                      }
                    >
                      Resume
                    </button>
                  ) : (
                    <button
                      data-testid="pause"
                      onClick={() =>
                        act('Pause the run', 'No new step or task starts; traffic stays where it is.', false, (r) =>
                          client.action(run.id, 'pause', withReason(r)),
                        )
                      }
                    >
                      Pause
                    </button>
                  )}
                  <button
                    className="danger"
                    data-testid="abort"
                    onClick={() =>
                      act(
                        'Abort the run',
                        'Stops the run for good, leaving traffic where it is. Restore with the restore plan.',
                        true,
                        (r) => client.action(run.id, 'abort', withReason(r)),
                        true,
                      )
                    }
                  >
                    Abort…
                  </button>
                  {task && <span className="muted">task {task.id}:</span>}
                  {task && (task.state === 'failed' || task.stuck || task.state === 'stuck') && (
                    <button
                      data-testid="retry"
                      onClick={() =>
                        act(`Retry ${task.id}`, 'Runs the task again from its current stage.', false, (r) =>
                          client.action(run.id, 'retry', { task: task.id, ...withReason(r) }),
                        )
                      }
                    >
                      Retry
                    </button>
                  )}
                  {task && task.state === 'waiting' && (
                    <button
                      data-testid="approve"
                      onClick={() =>
                        act(`Approve ${task.id}`, 'Lets the task go on.', false, (r) =>
                          client.action(run.id, 'approve', { task: task.id, ...withReason(r) }),
                        )
                      }
                    >
                      Approve
                    </button>
                  )}
                  {task && !['succeeded', 'skipped', 'cancelled'].includes(task.state) && (
                    <button
                      data-testid="skip"
                      onClick={() =>
                        act(
                          `Skip ${task.id}`,
                          'Marks the task done without doing it; its dependents may start.',
                          true,
                          (r) => client.action(run.id, 'skip', { task: task.id, reason: r }),
                          true,
                        )
                      }
                    >
                      Skip…
                    </button>
                  )}
                  {task && blocked.has(task.id) && task.state === 'blocked' && (
                    <button
                      data-testid="override"
                      onClick={() =>
                        act(
                          `Override ${blocked.get(task.id) ?? ''}`,
                          `Lets ${task.id} proceed although its condition does not hold.`,
                          true,
                          (r) =>
                            client.action(run.id, 'override-condition', {
                              task: task.id,
                              condition: blocked.get(task.id) ?? '',
                              reason: r,
                            }),
                          true,
                        )
                      }
                    >
                      Override…
                    </button>
                  )}
                </div>
              )}
              <Dag
                tasks={run.tasks}
                critical={critical}
                selected={selected}
                onSelect={setSelected}
                held={run.state === 'paused'}
              />
              {task && (
                <p className="small">
                  {task.id} · {task.template} · {task.state}
                  {task.progress !== undefined ? ` · shift ${pct(task.progress)}` : ''} · stages{' '}
                  {task.stages.join(' → ')}
                  {task.reason ? ` · ${task.reason}` : ''}
                </p>
              )}
            </div>
          )}
          <div className="panel">
            <h2>History</h2>
            <History runs={history} />
          </div>
        </section>
        <section className="right">
          <div className="panel">
            <h2>
              Traffic per datacenter{' '}
              <span className="legend">
                {dcs.map((d, i) => (
                  <span key={d} style={{ color: DC_COLOURS[i % DC_COLOURS.length] }}>
                    ■ {d}{' '}
                  </span>
                ))}
              </span>
            </h2>
            <TrafficChart series={series} names={dcs} />
          </div>
          <div className="panel">
            <h2>Health</h2>
            {health.length === 0 ? (
              <p className="muted small">No health checks reported{run ? ' yet' : ' (no run)'}.</p>
            ) : (
              <ul className="health">
                {health.slice(-12).map((h) => (
                  <li
                    key={`${String(h.taskId)}${String(h.check)}`}
                    className={h.ok === false ? 'bad' : h.ok === null ? 'warn' : 'ok'}
                  >
                    {h.ok === false ? '✖' : h.ok === null ? '?' : '✔'} {String(h.taskId)} · {String(h.check)}
                    {h.detail ? ` — ${String(h.detail)}` : ''}
                  </li>
                ))}
              </ul>
            )}
          </div>
          <div className="panel">
            <h2>Fleet</h2>
            {fleet ? (
              <Fleet fleet={fleet} draining={run && active ? run.datacenter : undefined} />
            ) : (
              <p className="muted">Loading…</p>
            )}
          </div>
          <div className="panel">
            <h2>Events</h2>
            <EventLog events={events} />
          </div>
        </section>
      </main>
      {pending && <Confirm pending={pending} onClose={() => setPending(undefined)} />}
    </div>
  );
}
