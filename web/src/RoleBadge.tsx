/**
 * Whether the controller this dashboard talks to leads or stands by, from /api/v1/health every few seconds: a
 * standby shows the runs but refuses actions, naming the leader, so the badge says which it is before anyone tries.
 */
import { useEffect, useState } from 'react';
import type { Health } from '../../src/model/api';

const EVERY_MS = 5_000;

/** The health answer needs no token. */
async function readHealth(): Promise<Health> {
  const res = await fetch('/api/v1/health');
  if (!res.ok) throw new Error(`health: HTTP ${res.status}`);
  return (await res.json()) as Health;
}

export function RoleBadge() {
  const [health, setHealth] = useState<Health>();
  useEffect(() => {
    let live = true;
    const read = (): void => {
      readHealth()
        .then((h) => {
          if (live) setHealth(h);
        })
        .catch(() => {
          if (live) setHealth(undefined);
        });
    };
    read();
    const t = setInterval(read, EVERY_MS);
    return () => {
      live = false;
      clearInterval(t);
    };
  }, []);
  if (!health) return null;
  const leader = health.leaderInfo;
  const text =
    health.state === 'leading'
      ? `leader · epoch ${health.epoch ?? '?'}`
      : health.state === 'held'
        ? 'leader · store failing, runs held'
        : `standby${leader ? ` · leader ${leader.controller}${leader.datacenter ? ` (${leader.datacenter})` : ''}` : ''}`;
  const title = [
    `controller ${health.controller}${health.datacenter ? ` in ${health.datacenter}` : ''}`,
    health.storeError ? `store: ${health.storeError}` : undefined,
    leader?.url ? `leader's API: ${leader.url}` : undefined,
  ]
    .filter(Boolean)
    .join('\n');
  return (
    <span className={`badge role role-${health.state}`} data-testid="role" title={title}>
      {text}
    </span>
  );
}
