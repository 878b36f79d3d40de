/**
 * Alerts in: what becomes of each alert Alertmanager delivers. A firing alert that every matcher of a trigger holds
 * for proposes that trigger's plan (or starts it, in `start` mode), unless the trigger's last run is still open (the
 * alert is then recorded on it: Alertmanager repeats itself, and a second alert of the same trouble is not a second
 * evacuation) or was made less than `minInterval` ago. A resolved alert is recorded on the run it proposed.
 *
 * Deliveries are handled one at a time, so that two alerts arriving together cannot both propose a run.
 */
import type { Actor, Controller, RunView } from '../engine/controller.js';
import type { AlertOutcome, AlertsReceived, AlertView, AlertmanagerAlert, AlertmanagerWebhook } from '../model/api.js';
import type { Clock } from '../model/clock.js';
import type { Definitions, Trigger } from '../model/definitions.js';
import { durationMs, formatDuration } from '../model/duration.js';
import { toMaelstromError } from '../model/errors.js';
import { matchesLabels } from '../model/labels.js';
import { isTerminalRun } from '../model/states.js';

/** Receives Alertmanager's deliveries; the server's `POST /api/v1/alerts` hands each one here. */
export interface AlertIntake {
  receive(payload: AlertmanagerWebhook, actor: Actor): Promise<AlertsReceived>;
}

export interface AlertIntakeOptions {
  readonly definitions: Pick<Definitions, 'triggers'>;
  readonly controller: Pick<Controller, 'proposeRun' | 'recordAlerts' | 'listRuns'>;
  /** The engine's clock: minInterval and expireAfter are measured on it. */
  readonly clock: Clock;
  readonly log?: (message: string) => void;
}

/** The alert as a run keeps it. */
export function alertView(a: AlertmanagerAlert, now: number): AlertView {
  return {
    fingerprint: a.fingerprint,
    status: a.status,
    labels: a.labels,
    annotations: a.annotations,
    startsAt: a.startsAt,
    ...(a.generatorURL ? { generatorURL: a.generatorURL } : {}),
    receivedAt: now,
    ...(a.status === 'resolved' ? { resolvedAt: now } : {}),
  };
}

/** Errors that say the controller could not decide (its store failed, a bug): Alertmanager should send again. */
function mustRetry(e: unknown): boolean {
  const code = toMaelstromError(e).code;
  return code === 'E_STORE' || code === 'E_INTERNAL';
}

export function createAlertIntake(options: AlertIntakeOptions): AlertIntake {
  const { definitions, controller, clock } = options;
  const log = options.log ?? (() => undefined);
  let queue: Promise<unknown> = Promise.resolve();

  const lastRunOf = async (trigger: string): Promise<RunView | undefined> =>
    (await controller.listRuns({ trigger, limit: 1 }))[0];

  const handle = async (
    trigger: Trigger,
    alert: AlertView,
    actor: Actor,
  ): Promise<Omit<AlertOutcome, 'fingerprint' | 'status' | 'alertname'>> => {
    const name = trigger.metadata.name;
    const last = await lastRunOf(name);
    if (alert.status === 'resolved') {
      if (last?.proposal?.alerts.some((a) => a.fingerprint === alert.fingerprint) !== true)
        return { outcome: 'unmatched', trigger: name, reason: `no run of trigger ${name} knows this alert` };
      await controller.recordAlerts(last.id, [alert]);
      return { outcome: 'resolved', trigger: name, run: last.id };
    }
    if (last && !isTerminalRun(last.state)) {
      await controller.recordAlerts(last.id, [alert]);
      return {
        outcome: 'recorded',
        trigger: name,
        run: last.id,
        reason: `run ${last.id} of trigger ${name} is ${last.state}`,
      };
    }
    const interval = trigger.spec.minInterval !== undefined ? durationMs(trigger.spec.minInterval) : 0;
    if (last && clock.now() - last.createdAt < interval) {
      const ago = formatDuration(clock.now() - last.createdAt);
      return {
        outcome: 'suppressed',
        trigger: name,
        run: last.id,
        reason: `trigger ${name} made run ${last.id} ${ago} ago, within its minInterval of ${trigger.spec.minInterval ?? ''}`,
      };
    }
    try {
      const run = await controller.proposeRun(
        trigger.spec.plan,
        {
          trigger: name,
          mode: trigger.spec.mode,
          alerts: [alert],
          expireAfterMs: durationMs(trigger.spec.expireAfter),
        },
        actor,
      );
      return { outcome: run.state === 'proposed' ? 'proposed' : 'started', trigger: name, run: run.id };
    } catch (e) {
      if (mustRetry(e)) throw e;
      const err = toMaelstromError(e);
      return { outcome: 'refused', trigger: name, reason: `${err.code}: ${err.message}` };
    }
  };

  const receiveNow = async (payload: AlertmanagerWebhook, actor: Actor): Promise<AlertsReceived> => {
    const results: AlertOutcome[] = [];
    const triggers = [...definitions.triggers.values()];
    for (const a of payload.alerts) {
      const alert = alertView(a, clock.now());
      const base = {
        fingerprint: a.fingerprint,
        status: a.status,
        ...(a.labels.alertname !== undefined ? { alertname: a.labels.alertname } : {}),
      };
      const matching = triggers.filter((t) => matchesLabels(t.spec.when, a.labels));
      if (matching.length === 0) {
        results.push({ ...base, outcome: 'unmatched', reason: 'no trigger matches its labels' });
        continue;
      }
      for (const t of matching) {
        const r = { ...base, ...(await handle(t, alert, actor)) };
        const detail = `${r.run ? ` run ${r.run}` : ''}${r.reason ? ` — ${r.reason}` : ''}`;
        log(`alert ${r.alertname ?? r.fingerprint} (${r.status}): ${r.outcome}${detail}`);
        results.push(r);
      }
    }
    return { results };
  };

  return {
    receive: (payload, actor) => {
      const next = queue.then(() => receiveNow(payload, actor));
      queue = next.catch(() => undefined);
      return next;
    },
  };
}
