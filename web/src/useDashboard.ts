/**
 * Everything the dashboard shows, fetched and kept current: the caller, the plans and the chosen plan's preview,
 * the fleet and its traffic series, the active (or last) run, the history, and the live event stream. Panels draw
 * what this returns and call its actions; none of them fetches anything itself.
 */
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { hasRole } from '../../src/model/roles';
import { isActingRun, isProposedRun, isTerminalRun } from '../../src/model/states';
import {
  api,
  clearDeepLink,
  followEvents,
  readDeepLink,
  type Actor,
  type DeepLink,
  type DeliveryList,
  type EngineEvent,
  type FleetView,
  type HistoryRun,
  type OperatorCommand,
  type PlanInfo,
  type PlanPreview,
  type RunView,
  type SeriesView,
  type TestsView,
  type TaskView,
  type TimelineCut,
  type TimelineEvents,
} from './api';

/** One change of the retrospective timeline: a step of the time slider. */
export type TimelineStep = TimelineEvents['events'][number];

/** The shown run as it was at a past step of its timeline (the time slider moved off "now"). */
export interface PastView {
  /** The step shown, 0-based, of `count`. */
  readonly index: number;
  readonly count: number;
  readonly step: TimelineStep;
  /** The consistent cut at the step's HLC, once it arrived. */
  readonly cut?: TimelineCut;
  /** The latest engine (or simulated) time up to the step: where the traffic chart's cursor stands. */
  readonly time?: number;
}

/** The latest health result of each (task, check) of the shown run. */
export type HealthEvent = Extract<EngineEvent, { type: 'health' }>;

export interface DashboardData {
  readonly me?: Actor;
  /** The caller may act (operator or admin). */
  readonly canOperate: boolean;
  readonly error?: string;
  readonly plans: readonly PlanInfo[];
  readonly plan: string;
  /** The chosen plan compiled, once it arrived. */
  readonly preview?: PlanPreview;
  readonly fleet?: FleetView;
  readonly series: Readonly<Record<string, SeriesView | undefined>>;
  /** The run a deep link opened, else the active run, else the last one this page started or watched. */
  readonly run?: RunView;
  /** Runs that alerts proposed, waiting for an operator's approval. */
  readonly proposals: readonly RunView[];
  /** A deep link (`/#run=ID&task=T`) not yet followed: the run and task it names, once they are loaded. */
  readonly linked?: { readonly run: RunView; readonly task?: TaskView };
  /** Marks the deep link followed (its dialog was shown), so it is not opened again. */
  readonly followedLink: () => void;
  /** The notifiers' latest deliveries. */
  readonly deliveries?: DeliveryList;
  /** The shown run has not finished. */
  readonly active: boolean;
  readonly history: readonly HistoryRun[];
  /** After a drain succeeded: the plan that restores its datacenter. */
  readonly nextRestore?: PlanInfo;
  readonly events: readonly EngineEvent[];
  /** The event stream is connected. */
  readonly live: boolean;
  readonly health: readonly HealthEvent[];
  /** Task id → the condition it last waited on. */
  readonly blockedOn: ReadonlyMap<string, string>;
  readonly choosePlan: (name: string) => void;
  readonly clearError: () => void;
  readonly start: (plan: string) => Promise<void>;
  readonly command: (runId: string, command: OperatorCommand) => Promise<void>;
  readonly halt: (reason: string) => Promise<void>;
  /** The schedules' drain tests, when the server runs schedules. */
  readonly tests?: TestsView;
  readonly haltTests: (reason: string) => Promise<void>;
  readonly resumeTests: (reason: string) => Promise<void>;
  /** The shown run's timeline: how many steps the time slider has (none when the server keeps no timeline). */
  readonly steps: number;
  /** Set while the time slider is off "now": the run as it was. */
  readonly past?: PastView;
  /** Moves the time slider to a step, or back to now (`undefined`). */
  readonly travel: (index: number | undefined) => void;
}

/** The latest `time` (the engine's clock, the simulated one against the simulator) of the steps up to `index`. */
function timeAt(steps: readonly TimelineStep[], index: number): number | undefined {
  let latest: number | undefined;
  for (let i = 0; i <= index && i < steps.length; i++) {
    const t = steps[i]?.time;
    if (typeof t === 'number' && Number.isFinite(t) && (latest === undefined || t > latest)) latest = t;
  }
  return latest;
}

/** Calls `fn` now and every `ms`, always the latest `fn`; starts over when `restart` changes. */
function useInterval(fn: () => void, ms: number, restart: unknown = undefined): void {
  const latest = useRef(fn);
  useEffect(() => {
    latest.current = fn;
  });
  useEffect(() => {
    latest.current();
    const t = setInterval(() => latest.current(), ms);
    return () => clearInterval(t);
  }, [ms, restart]);
}

export function useDashboard(token: string, onLogout: () => void): DashboardData {
  const client = useMemo(() => api(token), [token]);
  const [me, setMe] = useState<Actor>();
  const [error, setError] = useState<string>();
  const [plans, setPlans] = useState<PlanInfo[]>([]);
  const [chosen, setChosen] = useState<string>();
  const [previewed, setPreviewed] = useState<{ plan: string; preview: PlanPreview }>();
  const [fleet, setFleet] = useState<FleetView>();
  const [series, setSeries] = useState<Record<string, SeriesView | undefined>>({});
  const [run, setRun] = useState<RunView>();
  const [history, setHistory] = useState<HistoryRun[]>([]);
  const [events, setEvents] = useState<EngineEvent[]>([]);
  const [live, setLive] = useState(false);
  const [tests, setTests] = useState<TestsView>();
  const [proposals, setProposals] = useState<RunView[]>([]);
  const [deliveries, setDeliveries] = useState<DeliveryList>();
  const [link, setLink] = useState<DeepLink | undefined>(() => readDeepLink());
  const [timeline, setTimeline] = useState<{ runId: string; steps: TimelineStep[] }>();
  const [travelled, setTravelled] = useState<{ runId: string; index: number }>();
  const [cuts, setCuts] = useState<ReadonlyMap<string, TimelineCut>>(new Map());
  const linkRef = useRef(link);
  const runId = useRef<string>(link?.run);
  const plan = chosen ?? plans[0]?.name ?? '';

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
      .then((d) => setPlans(d.plans))
      .catch(fail);
  }, [client, fail]);

  useEffect(() => {
    if (!plan) return;
    client
      .preview(plan)
      .then((preview) => setPreviewed({ plan, preview }))
      .catch(fail);
  }, [client, plan, fail]);

  const refreshRun = useCallback(async () => {
    try {
      const { runs } = await client.runs();
      setProposals(runs.filter((r) => isProposedRun(r.state)));
      // A deep link shows its run; else the run acting now; else the one this page last showed.
      const linkedId = linkRef.current?.run;
      let linked = linkedId !== undefined ? runs.find((r) => r.id === linkedId) : undefined;
      if (linkedId !== undefined && !linked) linked = await client.run(linkedId).catch(() => undefined);
      const active = runs.find((r) => isActingRun(r.state));
      const shown =
        linked && !isProposedRun(linked.state)
          ? linked
          : (active ??
            (runId.current ? runs.find((r) => r.id === runId.current && !isProposedRun(r.state)) : undefined));
      runId.current = shown?.id;
      setRun(shown);
      if (linked && isProposedRun(linked.state))
        setProposals((list) => (list.some((r) => r.id === linked.id) ? list : [linked, ...list]));
    } catch (e) {
      fail(e);
    }
  }, [client, fail]);

  // A deep link followed while the page is open (a second message's link) arrives as a change of the fragment.
  useEffect(() => {
    const onHash = (): void => {
      const next = readDeepLink();
      if (!next) return;
      linkRef.current = next;
      setLink(next);
      void refreshRun();
    };
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, [refreshRun]);

  const refreshHistory = useCallback(() => {
    client
      .history()
      .then((h) => setHistory(h.runs))
      .catch(fail);
  }, [client, fail]);

  const refreshTests = useCallback(() => {
    client
      .tests()
      .then(setTests)
      // A server without schedules answers 404: the panel is simply not shown.
      .catch(() => setTests(undefined));
  }, [client]);

  useInterval(() => void refreshRun(), 3000);
  useInterval(refreshTests, 5000);
  useInterval(() => {
    client
      .notifications()
      .then(setDeliveries)
      .catch(() => undefined);
  }, 5000);
  useInterval(refreshHistory, 15000);
  useInterval(() => {
    client
      .fleet()
      .then((f) => {
        setFleet(f);
        setError(undefined);
      })
      .catch(fail);
  }, 1500);
  const dcNames = fleet?.datacenters.map((d) => d.name).join(',') ?? '';
  useInterval(
    () => {
      if (!dcNames) return;
      const names = dcNames.split(',');
      void Promise.all(names.map((n) => client.series('traffic', n, 3600).catch(() => undefined))).then((list) =>
        setSeries(Object.fromEntries(names.map((n, i) => [n, list[i]]))),
      );
    },
    3000,
    dcNames,
  );

  // The shown run's timeline, kept current while the slider is at now; in the past it holds still under the slider.
  const shownId = run?.id;
  const shownActive = run !== undefined && !isTerminalRun(run.state);
  const inPast = travelled !== undefined && travelled.runId === shownId;
  const refreshTimeline = useCallback(() => {
    if (!shownId || inPast) return;
    client
      .timelineEvents(shownId)
      .then((t) => setTimeline({ runId: shownId, steps: t.events }))
      // A server that keeps no timeline answers 404: the slider is simply not shown.
      .catch(() => setTimeline(undefined));
  }, [client, shownId, inPast]);
  useInterval(refreshTimeline, shownActive ? 3000 : 30000, `${shownId ?? ''}${String(shownActive)}`);
  const steps = timeline && timeline.runId === shownId ? timeline.steps : [];
  const step = inPast ? steps[travelled.index] : undefined;
  const stepHlc = step?.hlc;
  useEffect(() => {
    if (stepHlc === undefined || cuts.has(stepHlc)) return;
    client
      .timelineCut(stepHlc)
      .then((cut) => setCuts((m) => new Map(m).set(stepHlc, cut)))
      .catch(fail);
  }, [client, stepHlc, cuts, fail]);
  const past: PastView | undefined =
    inPast && step
      ? {
          index: travelled.index,
          count: steps.length,
          step,
          ...(cuts.has(step.hlc) ? { cut: cuts.get(step.hlc)! } : {}),
          ...(timeAt(steps, travelled.index) !== undefined ? { time: timeAt(steps, travelled.index)! } : {}),
        }
      : undefined;

  // Live events: refresh the run at most every 250 ms while they arrive.
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const stop = followEvents(
      token,
      (e) => {
        setEvents((list) => (list.length > 400 ? [...list.slice(-300), e] : [...list, e]));
        if (e.type === 'run.state' && isTerminalRun(e.state)) refreshHistory();
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

  const health = useMemo(() => {
    const latest = new Map<string, HealthEvent>();
    for (const e of events)
      if (e.type === 'health' && (!run || e.runId === run.id)) latest.set(`${e.taskId} ${e.check}`, e);
    return [...latest.values()];
  }, [events, run]);
  const blockedOn = useMemo(() => {
    const m = new Map<string, string>();
    for (const e of events) if (e.type === 'condition.blocked') m.set(e.taskId, e.condition);
    return m;
  }, [events]);

  const linked = useMemo(() => {
    if (!link) return undefined;
    const target = [...proposals, ...(run ? [run] : [])].find((r) => r.id === link.run);
    if (!target) return undefined;
    const task = link.task !== undefined ? target.tasks.find((t) => t.id === link.task) : undefined;
    return task ? { run: target, task } : { run: target };
  }, [link, proposals, run]);

  // After a drain has succeeded, the way back is the next thing an operator needs: offer the restore of that datacenter.
  const last = history[0];
  const nextRestore =
    last?.state === 'succeeded' && last.direction === 'drain'
      ? plans.find((p) => p.direction === 'restore' && p.datacenter === last.datacenter)
      : undefined;

  return {
    ...(me ? { me } : {}),
    canOperate: me !== undefined && hasRole(me.role, 'operator'),
    ...(error !== undefined ? { error } : {}),
    plans,
    plan,
    ...(previewed?.plan === plan ? { preview: previewed.preview } : {}),
    ...(fleet ? { fleet } : {}),
    series,
    ...(run ? { run } : {}),
    proposals,
    ...(linked ? { linked } : {}),
    followedLink: () => {
      if (linkRef.current) runId.current = linkRef.current.run;
      linkRef.current = undefined;
      setLink(undefined);
      clearDeepLink();
    },
    ...(deliveries ? { deliveries } : {}),
    active: run !== undefined && !isTerminalRun(run.state),
    history,
    ...(nextRestore ? { nextRestore } : {}),
    events,
    live,
    health,
    blockedOn,
    choosePlan: setChosen,
    clearError: () => setError(undefined),
    start: async (name) => {
      const r = await client.start(name);
      runId.current = r.id;
      await refreshRun();
    },
    command: async (id, cmd) => {
      await client.command(id, cmd);
      await refreshRun();
    },
    halt: async (reason) => {
      await client.halt(reason);
      await refreshRun();
    },
    ...(tests ? { tests } : {}),
    haltTests: async (reason) => {
      await client.haltTests(reason);
      refreshTests();
    },
    resumeTests: async (reason) => {
      await client.resumeTests(reason);
      refreshTests();
    },
    steps: steps.length,
    ...(past ? { past } : {}),
    travel: (index) => {
      if (index === undefined || !shownId || index >= steps.length - 1) setTravelled(undefined);
      else setTravelled({ runId: shownId, index: Math.max(0, index) });
    },
  };
}
