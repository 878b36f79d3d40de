/**
 * The mapping from the fleet to HAProxy, declared in YAML and validated like every definition (errors at
 * file:line:col):
 * - edge: for a service and a PoP, the HAProxy backend whose servers are the service's datacenters;
 * - cluster: for a service and a datacenter, the HAProxy backend whose servers are clusters (of any datacenter).
 */
import { readFile } from 'node:fs/promises';
import { LineCounter, parseDocument } from 'yaml';
import { z } from 'zod';
import { API_VERSION, Name } from '../../model/definitions.js';
import { MaelstromError } from '../../model/errors.js';
import { nodeAt } from '../../load/yaml-position.js';

const Ident = z.string().regex(/^[A-Za-z0-9_.:-]+$/, 'an HAProxy backend or server name');

/** The weights a restore returns to, by destination; without it they come from the fleet (see docs/backends.md). */
const Baseline = z.record(Name, z.number().nonnegative());

export const EdgeMapping = z.strictObject({
  pop: Name,
  backend: Ident,
  /** Datacenter → server name in the backend. */
  servers: z.record(Name, Ident),
  baseline: Baseline.optional(),
});

export const ClusterMapping = z.strictObject({
  datacenter: Name,
  backend: Ident,
  /** Cluster → server name in the backend. */
  servers: z.record(Name, Ident),
  baseline: Baseline.optional(),
});

export const ServiceMapping = z.strictObject({
  service: Name,
  edge: z.array(EdgeMapping).optional(),
  cluster: z.array(ClusterMapping).optional(),
  /** The HAProxy backend (and server per datacenter) whose sessions `sessions.teardown` shuts down. */
  sessions: z.strictObject({ backend: Ident, servers: z.record(Name, Ident) }).optional(),
});
export type ServiceMapping = z.infer<typeof ServiceMapping>;

export const HaproxyConfig = z.strictObject({
  apiVersion: z.literal(API_VERSION),
  kind: z.literal('HaproxyMapping'),
  metadata: z.strictObject({ name: Name, description: z.string().optional() }),
  spec: z.strictObject({
    /** Runtime API socket: `/path`, `unix:/path` or `host:port`. */
    socket: z.string().min(1),
    timeout: z.number().int().positive().optional(),
    services: z.array(ServiceMapping).min(1),
  }),
});
export type HaproxyConfig = z.infer<typeof HaproxyConfig>;

/** Parses and validates a mapping file's text; an error names the file, line and column. */
export function parseHaproxyConfig(text: string, file = '<haproxy mapping>'): HaproxyConfig {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  const at = (offset: number): string => {
    const p = lines.linePos(offset);
    return `${file}:${p.line}:${p.col}`;
  };
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    throw new MaelstromError('E_YAML', `${at(e.pos[0])}: ${e.message.split('\n')[0]}`);
  }
  const parsed = HaproxyConfig.safeParse(doc.toJS());
  if (!parsed.success) {
    const messages = parsed.error.issues.map((i) => {
      const path = i.path.filter((k): k is string | number => typeof k !== 'symbol');
      // An unknown key is reported at the key itself.
      const keys = i.code === 'unrecognized_keys' ? i.keys : [];
      const node = nodeAt(doc, keys.length > 0 ? [...path, keys[0]!] : path);
      return `${at(node?.range?.[0] ?? 0)}: ${path.join('.') || '(document)'}: ${i.message}`;
    });
    throw new MaelstromError('E_SCHEMA', messages.join('\n'));
  }
  checkUnique(parsed.data, file);
  return parsed.data;
}

function checkUnique(config: HaproxyConfig, file: string): void {
  const seen = new Set<string>();
  for (const s of config.spec.services) {
    if (seen.has(s.service)) throw new MaelstromError('E_DUPLICATE', `${file}: service ${s.service} is mapped twice`);
    seen.add(s.service);
  }
}

export async function loadHaproxyConfig(file: string): Promise<HaproxyConfig> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new MaelstromError('E_FILE', `cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  return parseHaproxyConfig(text, file);
}
