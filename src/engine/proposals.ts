/**
 * Runs that alerts make. A trigger's firing alert proposes a run of its plan: the run is created `proposed`, with its
 * pre-flight and the alert, and waits for an operator's approval (approvals.ts) until its proposal lapses. A trigger
 * in `start` mode starts the run at once, unless its pre-flight fails: then it is proposed too, for a person to
 * decide. Alerts that come while the run is open (a repeat, another alert of the trigger, a resolution) are recorded
 * on it.
 */
import type { AlertView, Proposal } from '../model/api.js';
import type { CompiledPlan } from '../model/compiled.js';
import { formatDuration } from '../model/duration.js';
import type { EngineEvent } from '../model/events.js';
import type { RunState } from '../model/states.js';
import type { Actor, ProposalRequest } from './controller.js';
import { finishStop } from './operator.js';
import type { RunRuntime } from './runtime.js';

function alertName(a: AlertView): string {
  return a.labels.alertname ?? a.fingerprint;
}

/** Whether a trigger's run starts at once: in `start` mode, with a passing pre-flight (else a person decides). */
export function startsAtOnce(compiled: CompiledPlan, request: Pick<ProposalRequest, 'mode'>): boolean {
  return request.mode === 'start' && compiled.preflight.ok;
}

/** The state, proposal, reason and journal entries of a run an alert makes. */
export function proposedRun(
  compiled: CompiledPlan,
  request: ProposalRequest,
  actor: Actor,
  time: number,
  runId: string,
): { readonly state: RunState; readonly proposal: Proposal; readonly reason: string; readonly events: EngineEvent[] } {
  const starts = startsAtOnce(compiled, request);
  const state: RunState = starts ? 'pending' : 'proposed';
  const expiresAt = starts ? undefined : time + request.expireAfterMs;
  const names = [...new Set(request.alerts.map(alertName))].join(', ');
  const reason = starts
    ? `started by trigger ${request.trigger}: ${names} firing`
    : `proposed by trigger ${request.trigger}: ${names} firing` +
      (request.mode === 'start' ? '; it would start at once, but its pre-flight fails, so a person decides' : '') +
      `; an operator's approval starts it, else it lapses in ${formatDuration(request.expireAfterMs)}`;
  const proposal: Proposal = {
    trigger: request.trigger,
    mode: request.mode,
    alerts: [...request.alerts],
    ...(expiresAt !== undefined ? { expiresAt } : {}),
  };
  const events: EngineEvent[] = [
    {
      type: 'operator',
      time,
      runId,
      action: starts ? 'start' : 'propose',
      actor: actor.name,
      target: compiled.plan,
      reason: `trigger ${request.trigger}: ${names}`,
    },
    { type: 'run.state', time, runId, plan: compiled.plan, state, reason },
  ];
  return { state, proposal, reason, events };
}

/**
 * The proposal with `alerts` recorded: a new alert is added, a known one (by fingerprint) takes the new status, and
 * a resolution keeps when it came. Answers the journal's lines for what changed (none for a plain repeat).
 */
export function withAlerts(
  proposal: Proposal,
  alerts: readonly AlertView[],
  time: number,
): { readonly proposal: Proposal; readonly changes: string[] } {
  const list = [...proposal.alerts];
  const changes: string[] = [];
  for (const a of alerts) {
    const i = list.findIndex((x) => x.fingerprint === a.fingerprint);
    const known = i >= 0 ? list[i]! : undefined;
    if (!known) {
      if (a.status === 'resolved') continue;
      list.push(a);
      changes.push(`alert ${alertName(a)} is firing too`);
    } else if (a.status === 'resolved' && known.status !== 'resolved') {
      list[i] = { ...known, status: 'resolved', resolvedAt: a.resolvedAt ?? time };
      changes.push(`alert ${alertName(a)} resolved`);
    } else if (a.status === 'firing' && known.status === 'resolved') {
      const { resolvedAt: _gone, ...rest } = known;
      list[i] = { ...rest, status: 'firing' };
      changes.push(`alert ${alertName(a)} is firing again`);
    }
  }
  return { proposal: { ...proposal, alerts: list }, changes };
}

/** Records alerts on a run the trigger made; nothing is written for a repeat of what it knows. */
export async function recordAlerts(rt: RunRuntime, alerts: readonly AlertView[]): Promise<void> {
  const proposal = rt.run.proposal;
  if (!proposal) return;
  const time = rt.deps.clock.now();
  const next = withAlerts(proposal, alerts, time);
  if (next.changes.length === 0) return;
  await rt.commit({
    run: { proposal: next.proposal },
    events: next.changes.map((message) => ({ type: 'alert', time, runId: rt.id, severity: 'info', message })),
  });
}

/** When a proposed run lapses unapproved (undefined: never). */
export function expiryOf(rt: RunRuntime): number | undefined {
  return rt.run.proposal?.expiresAt;
}

/** Ends a proposal nobody approved in time: the run is aborted, saying so, and none of it ran. */
export async function expireProposal(rt: RunRuntime): Promise<void> {
  const p = rt.run.proposal;
  const after = p?.expiresAt !== undefined ? ` within ${formatDuration(p.expiresAt - rt.run.createdAt)}` : '';
  await finishStop(
    rt,
    'aborted',
    `the proposal lapsed: nobody approved it${after}${p ? ` (trigger ${p.trigger})` : ''}`,
  );
}
