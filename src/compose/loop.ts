/**
 * People in the loop, around a served controller: the alert intake (Alertmanager's deliveries → proposed runs) and
 * the notifiers (the engine's events → messages in chat), built from the definitions' Trigger and Notifier documents
 * and the environment. The notifiers follow the controller's events and time their deliveries on the wall clock,
 * whatever clock the engine lives in.
 */
import { createAlertIntake, type AlertIntake } from '../alerts/intake.js';
import type { Controller } from '../engine/controller.js';
import type { Clock } from '../model/clock.js';
import type { Definitions } from '../model/definitions.js';
import { createNotifications, type Notifications, type NotifierOptions } from '../notify/notifier.js';
import { sinksOf } from '../notify/sinks.js';
import type { NotificationStore } from '../store/store.js';

export interface PeopleLoop {
  readonly alerts: AlertIntake;
  readonly notifications: Notifications;
  /** What could not be set up as the documents say (an unset URL or secret variable), to say once at start. */
  readonly warnings: readonly string[];
  /** Stops following the controller and sending. */
  close(): Promise<void>;
}

export interface PeopleLoopOptions {
  readonly definitions: Pick<Definitions, 'triggers' | 'notifiers'>;
  readonly controller: Pick<Controller, 'proposeRun' | 'recordAlerts' | 'listRuns' | 'getRun' | 'subscribe'>;
  readonly store: NotificationStore;
  /** The engine's clock: triggers' minInterval and expireAfter are on it. */
  readonly clock: Clock;
  /** The dashboard's address for deep links. */
  readonly publicUrl: () => string;
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly log?: (message: string) => void;
  /** Notifier settings for tests: their wall clock, fetch, retry times. */
  readonly notifier?: Partial<Omit<NotifierOptions, 'sinks' | 'store' | 'runs' | 'publicUrl'>>;
}

export async function createPeopleLoop(options: PeopleLoopOptions): Promise<PeopleLoop> {
  const { definitions, controller, store } = options;
  const log = options.log ?? (() => undefined);
  const { sinks, warnings } = sinksOf(definitions.notifiers.values(), options.env ?? process.env);
  const notifications = createNotifications({
    log,
    ...options.notifier,
    sinks,
    store,
    runs: controller,
    publicUrl: options.publicUrl,
  });
  await notifications.start();
  const unsubscribe = controller.subscribe((e) => {
    notifications.observe(e);
  });
  const alerts = createAlertIntake({ definitions, controller, clock: options.clock, log });
  return {
    alerts,
    notifications,
    warnings,
    close: async () => {
      unsubscribe();
      await notifications.close();
    },
  };
}
