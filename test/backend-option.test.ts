/**
 * `--backend` of `run` and `serve`: what it accepts, and that a wrong combination or a mapping that does not fit
 * the fleet is refused with a clear error before anything is contacted. (Driving HAProxy with it is in
 * test/integration/lab.test.ts.)
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkMappingAgainstFleet, externalBackend, parseBackendOption } from '../src/cli/backend-option.js';
import { labMapping } from '../src/lab/environment.js';
import { labDefinitions } from '../src/lab/fleet.js';
import { MaelstromError } from '../src/model/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'maelstrom-backend-option-'));
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});
const fleet = labDefinitions({ datacenters: 3, rps: 100 }).fleets.get('lab')!;

function codeOf(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    return e instanceof MaelstromError ? e.code : 'not a MaelstromError';
  }
  return undefined;
}

describe('--backend', () => {
  it('accepts sim, sim+http://HOST:PORT and haproxy:FILE, and nothing else', () => {
    expect(parseBackendOption('sim')).toEqual({ kind: 'sim' });
    expect(parseBackendOption('sim+http://127.0.0.1:7000')).toEqual({
      kind: 'remote-sim',
      url: 'sim+http://127.0.0.1:7000',
    });
    expect(parseBackendOption('haproxy:/etc/maelstrom/mapping.yaml')).toEqual({
      kind: 'haproxy',
      mapping: '/etc/maelstrom/mapping.yaml',
    });
    for (const bad of ['', 'haproxy:', 'haproxy', 'k8s', 'sim+ftp://x'])
      expect(
        codeOf(() => parseBackendOption(bad)),
        bad,
      ).toBe('E_BAD_REQUEST');
  });

  it('refuses haproxy without Prometheus, and Prometheus with the simulator', async () => {
    await expect(
      externalBackend({ kind: 'haproxy', mapping: 'x.yaml' }, { fleet, warn: () => undefined }),
    ).rejects.toMatchObject({ code: 'E_BAD_REQUEST', message: expect.stringContaining('--prometheus') });
    await expect(
      externalBackend(
        { kind: 'remote-sim', url: 'sim+http://127.0.0.1:1' },
        { fleet, prometheus: 'http://127.0.0.1:9090', warn: () => undefined },
      ),
    ).rejects.toMatchObject({ code: 'E_BAD_REQUEST' });
  });

  it('refuses a mapping file that is missing, malformed, or names what the fleet does not have, at file:line:col', async () => {
    const options = { fleet, prometheus: 'http://127.0.0.1:9090', warn: () => undefined };
    await expect(externalBackend({ kind: 'haproxy', mapping: join(dir, 'none.yaml') }, options)).rejects.toMatchObject({
      code: 'E_FILE',
    });
    const bad = join(dir, 'bad.yaml');
    writeFileSync(
      bad,
      'apiVersion: maelstrom/v1\nkind: HaproxyMapping\nmetadata: { name: x }\nspec:\n  socket: /run/h.sock\n  services: []\n',
    );
    await expect(externalBackend({ kind: 'haproxy', mapping: bad }, options)).rejects.toMatchObject({
      code: 'E_SCHEMA',
      message: expect.stringContaining(`${bad}:6:`),
    });
    const good = labMapping('/run/h.sock', ['dc1', 'dc2', 'dc3']);
    expect(() => {
      checkMappingAgainstFleet(good, fleet, 'm.yaml');
    }).not.toThrow();
    const wrong = labMapping('/run/h.sock', ['dc1', 'dc2', 'dc9']);
    expect(
      codeOf(() => {
        checkMappingAgainstFleet(wrong, fleet, 'm.yaml');
      }),
    ).toBe('E_UNKNOWN_REF');
    expect(() => {
      checkMappingAgainstFleet(wrong, fleet, 'm.yaml');
    }).toThrow(/m\.yaml: web edge lab: datacenter "dc9" is not in fleet lab/);
  });
});
