/**
 * Notifier documents resolved against the environment at start: where each sends (its URL, or the variable that
 * holds it) and with which signing secret. What cannot be resolved is said once, at start: a notifier whose URL
 * variable is unset sends nothing; one whose secret variable is unset sends unsigned.
 */
import type { Notifier, NotifyEvent } from '../model/definitions.js';
import type { Format } from './message.js';

export interface Sink {
  readonly name: string;
  readonly url: string;
  readonly format: Format;
  readonly events: ReadonlySet<NotifyEvent>;
  /** The HMAC-SHA256 key; unset: messages go unsigned. */
  readonly secret?: string;
}

export function sinksOf(
  notifiers: Iterable<Notifier>,
  env: Readonly<Record<string, string | undefined>>,
): { readonly sinks: Sink[]; readonly warnings: string[] } {
  const sinks: Sink[] = [];
  const warnings: string[] = [];
  for (const n of notifiers) {
    const name = n.metadata.name;
    const spec = n.spec;
    const url = spec.url ?? (spec.urlEnv !== undefined ? env[spec.urlEnv]?.trim() : undefined);
    if (!url) {
      warnings.push(`notifier ${name}: ${spec.urlEnv ?? 'its URL variable'} is not set, so it sends nothing`);
      continue;
    }
    if (!/^https?:\/\/[^\s]+$/.test(url)) {
      warnings.push(`notifier ${name}: ${spec.urlEnv ?? 'url'} is not an http(s) URL, so it sends nothing`);
      continue;
    }
    const secret = spec.signingSecretEnv !== undefined ? env[spec.signingSecretEnv] : undefined;
    if (spec.signingSecretEnv !== undefined && !secret)
      warnings.push(`notifier ${name}: ${spec.signingSecretEnv} is not set, so its messages go unsigned`);
    sinks.push({
      name,
      url,
      format: spec.format,
      events: new Set(spec.events),
      ...(secret ? { secret } : {}),
    });
  }
  return { sinks, warnings };
}
