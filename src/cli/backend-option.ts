/**
 * `--backend` of `run` and `serve`: the simulator in process (`sim`), a simulator served by `maelstrom sim`
 * (`sim+http://HOST:PORT`), or a real fleet behind HAProxy (`haproxy:MAPPING.yaml`, with health readings from
 * Prometheus at `--prometheus URL`). Each command builds the in-process simulator its own way (virtual time for
 * `run`, wall-clock time for `serve`); the other two are built here.
 */
import type { Backend } from '../backends/backend.js';
import { createHaproxyBackend } from '../backends/haproxy/backend.js';
import { loadHaproxyConfig, type HaproxyConfig } from '../backends/haproxy/config.js';
import { createPrometheusSource } from '../backends/prometheus/source.js';
import { createRemoteSimBackend } from '../backends/sim/remote.js';
import { systemClock } from '../model/clock.js';
import type { Definitions, Fleet, Scenario } from '../model/definitions.js';
import { MaelstromError } from '../model/errors.js';

export const BACKEND_HELP =
  'sim (in process), sim+http://HOST:PORT (a `maelstrom sim`), or haproxy:MAPPING.yaml (with --prometheus)';

export type BackendChoice =
  | { readonly kind: 'sim' }
  | { readonly kind: 'remote-sim'; readonly url: string }
  | { readonly kind: 'haproxy'; readonly mapping: string };

export function parseBackendOption(spec: string): BackendChoice {
  if (spec === 'sim') return { kind: 'sim' };
  if (spec.startsWith('sim+http://') || spec.startsWith('sim+https://')) return { kind: 'remote-sim', url: spec };
  if (spec.startsWith('haproxy:') && spec.length > 'haproxy:'.length)
    return { kind: 'haproxy', mapping: spec.slice('haproxy:'.length) };
  throw new MaelstromError(
    'E_BAD_REQUEST',
    `--backend must be sim, sim+http://HOST:PORT or haproxy:MAPPING.yaml, got "${spec}"`,
  );
}

/**
 * Checks the options that go with `--backend` (a scenario only with the in-process simulator, Prometheus only with
 * HAProxy) and finds the scenario, if one is named.
 */
export function scenarioFor(
  choice: BackendChoice,
  options: { readonly scenario?: string; readonly prometheus?: string },
  definitions: Definitions,
): Scenario | undefined {
  if (choice.kind !== 'sim' && options.scenario !== undefined)
    throw new MaelstromError('E_BAD_REQUEST', '--scenario goes with --backend sim: a real fleet follows its own load');
  if (choice.kind !== 'haproxy' && options.prometheus !== undefined)
    throw new MaelstromError(
      'E_BAD_REQUEST',
      '--prometheus goes with --backend haproxy:MAPPING.yaml; the simulator has its own readings',
    );
  if (options.scenario === undefined) return undefined;
  const scenario = definitions.scenarios.get(options.scenario);
  if (!scenario)
    throw new MaelstromError(
      'E_NOT_FOUND',
      `no scenario "${options.scenario}" (scenarios: ${[...definitions.scenarios.keys()].join(', ') || 'none'})`,
    );
  return scenario;
}

export interface ExternalBackendOptions {
  /** The fleet the backend carries (the plan's, or the definitions' only one). */
  readonly fleet: Fleet;
  readonly prometheus?: string;
  /** Clear messages about the backend's own trouble (a lost socket, readings gone); the run holds meanwhile. */
  readonly warn: (message: string) => void;
}

/** The remote simulator or HAProxy + Prometheus; everything is checked before anything is contacted. */
export async function externalBackend(
  choice: Exclude<BackendChoice, { kind: 'sim' }>,
  options: ExternalBackendOptions,
): Promise<Backend> {
  if (choice.kind === 'remote-sim') {
    if (options.prometheus !== undefined)
      throw new MaelstromError(
        'E_BAD_REQUEST',
        '--prometheus goes with --backend haproxy:MAPPING.yaml; the simulator has its own readings',
      );
    return createRemoteSimBackend(choice.url);
  }
  if (options.prometheus === undefined) {
    throw new MaelstromError(
      'E_BAD_REQUEST',
      '--backend haproxy: needs --prometheus URL: without health readings every health check would hold the run',
    );
  }
  const config = await loadHaproxyConfig(choice.mapping);
  checkMappingAgainstFleet(config, options.fleet, choice.mapping);
  const metrics = createPrometheusSource({ url: options.prometheus, fleet: options.fleet, onIssue: options.warn });
  return createHaproxyBackend({ config, metrics, fleet: options.fleet, clock: systemClock, onIssue: options.warn });
}

/** A mapping that names a service, PoP, datacenter or cluster the fleet does not have is refused, all at once. */
export function checkMappingAgainstFleet(config: HaproxyConfig, fleet: Fleet, file: string): void {
  const services = new Set(fleet.spec.services.map((s) => s.name));
  const pops = new Set(fleet.spec.pops.map((p) => p.name));
  const dcs = new Set(fleet.spec.datacenters.map((d) => d.name));
  const clusters = new Set(fleet.spec.datacenters.flatMap((d) => d.clusters));
  const problems: string[] = [];
  const need = (set: Set<string>, name: string, what: string, where: string): void => {
    if (!set.has(name)) problems.push(`${where}: ${what} "${name}" is not in fleet ${fleet.metadata.name}`);
  };
  for (const s of config.spec.services) {
    need(services, s.service, 'service', s.service);
    for (const e of s.edge ?? []) {
      need(pops, e.pop, 'PoP', `${s.service} edge`);
      for (const dc of Object.keys(e.servers)) need(dcs, dc, 'datacenter', `${s.service} edge ${e.pop}`);
    }
    for (const c of s.cluster ?? []) {
      need(dcs, c.datacenter, 'datacenter', `${s.service} cluster`);
      for (const cl of Object.keys(c.servers)) need(clusters, cl, 'cluster', `${s.service} cluster ${c.datacenter}`);
    }
    for (const dc of Object.keys(s.sessions?.servers ?? {})) need(dcs, dc, 'datacenter', `${s.service} sessions`);
  }
  if (problems.length > 0) throw new MaelstromError('E_UNKNOWN_REF', `${file}: ${problems.join('; ')}`);
}
