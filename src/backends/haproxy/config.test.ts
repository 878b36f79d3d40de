import { describe, expect, it } from 'vitest';
import { MaelstromError } from '../../model/errors.js';
import { parseHaproxyConfig } from './config.js';
import { toHaproxyWeights } from './weights.js';

const GOOD = `apiVersion: maelstrom/v1
kind: HaproxyMapping
metadata: { name: prod }
spec:
  socket: /run/haproxy/admin.sock
  services:
    - service: web
      edge:
        - { pop: nyc, backend: web_nyc, servers: { east: east, west: west } }
      cluster:
        - { datacenter: east, backend: web_east, servers: { east-a: a, east-b: b } }
`;

function refusal(text: string): MaelstromError {
  try {
    parseHaproxyConfig(text, 'haproxy.yaml');
  } catch (e) {
    return e as MaelstromError;
  }
  throw new Error('expected a refusal');
}

describe('haproxy mapping', () => {
  it('accepts a valid mapping', () => {
    const c = parseHaproxyConfig(GOOD, 'haproxy.yaml');
    expect(c.spec.services[0]!.edge![0]!.servers).toEqual({ east: 'east', west: 'west' });
  });

  it('names the file, line and column of a misspelt key', () => {
    const err = refusal(GOOD.replace('backend: web_east', 'backnd: web_east'));
    expect(err.code).toBe('E_SCHEMA');
    expect(err.message).toMatch(/^haproxy\.yaml:11:\d+: spec\.services\.0\.cluster\.0/);
  });

  it('names the line of a wrong value', () => {
    const err = refusal(GOOD.replace('socket: /run/haproxy/admin.sock', 'socket: ""'));
    expect(err.message).toMatch(/^haproxy\.yaml:5:\d+: spec\.socket/);
  });

  it('refuses broken YAML at its position, and a service mapped twice', () => {
    expect(refusal('spec: [\n').code).toBe('E_YAML');
    expect(refusal(`${GOOD}    - service: web\n`).code).toBe('E_DUPLICATE');
  });
});

describe('haproxy weights', () => {
  it('keeps integer tables that fit, scales others to 0..256, and never rounds a positive weight to 0', () => {
    expect(toHaproxyWeights({ a: 60, b: 30, c: 10 })).toEqual({ a: 60, b: 30, c: 10 });
    expect(toHaproxyWeights({ a: 0.5, b: 1 })).toEqual({ a: 128, b: 256 });
    expect(toHaproxyWeights({ a: 1000, b: 1 })).toEqual({ a: 256, b: 1 });
    expect(toHaproxyWeights({ a: 0, b: 0 })).toEqual({ a: 0, b: 0 });
  });
});
