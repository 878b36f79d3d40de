import { describe, expect, it } from 'vitest';
import type { Fleet } from '../model/definitions.js';
import { divertibleOf, reroutedTables } from './shift-health.js';
import type { Shift, ShiftState, World } from './shift.js';

const fleet = {
  spec: {
    datacenters: [
      { name: 'east', clusters: ['east-a', 'east-b'] },
      { name: 'west', clusters: ['west-a', 'west-b'] },
      { name: 'central', clusters: ['central-a', 'central-b'] },
    ],
    pops: [],
    services: [],
  },
} as unknown as Fleet;

const shift = { layer: 'cluster', datacenter: 'east', ctx: { fleet } } as unknown as Shift;
const all = { 'east-a': 0, 'east-b': 0, 'west-a': 0, 'west-b': 0, 'central-a': 0, 'central-b': 0 };
const tables = {
  east: { ...all, 'west-a': 0.5, 'west-b': 0.5, 'central-a': 0.5, 'central-b': 0.5 },
  west: { ...all, 'west-a': 1, 'west-b': 1 },
  central: { ...all, 'central-a': 1, 'central-b': 1 },
};
const state = {
  v: 1,
  direction: 'drain',
  layer: 'cluster',
  start: { east: { ...all, 'east-a': 1, 'east-b': 1 } },
  progress: 1,
  steps: 3,
  lastStep: 0.5,
  volume: 1000,
  baseline: [
    { name: 'west', load: 5000 },
    { name: 'central', load: 5000 },
  ],
} as unknown as ShiftState;
const world: World = {
  receivers: [
    { name: 'west', load: 5500, capacity: 5000, utilization: 1.1 },
    { name: 'central', load: 5500, capacity: 10_000, utilization: 0.55 },
  ],
  volume: 0,
  sourceLoad: 0,
  source: undefined,
  tables,
  snapshot: undefined,
};

describe('a cluster-layer route-around through a receiver’s own table', () => {
  it('offers only receivers whose own table the backend has with the other receivers’ clusters in it', () => {
    expect(divertibleOf(shift, world)).toEqual(['west', 'central']);
    // A backend that maps west's table to west's own clusters alone (HAProxy without the others' servers): none.
    const narrow = { ...world, tables: { ...tables, west: { 'west-a': 1, 'west-b': 1 } } };
    expect(divertibleOf(shift, narrow)).toEqual(['central']);
    expect(divertibleOf({ ...shift, layer: 'edge' }, world)).toEqual([]);
  });

  it('sheds the moved traffic from the source’s table and the rest from the receiver’s own, toward the others', () => {
    // 500 rps moved to west through east's table; 300 more sent on by west's own table.
    const out = reroutedTables(
      shift,
      state,
      tables,
      { from: { west: 800 }, own: { west: 300 }, to: { central: 800 } },
      world,
    );
    // East's table: all of what it sent to west now goes to central; its own clusters keep their (zero) weight.
    expect(out.east!['west-a']).toBeCloseTo(0, 9);
    expect(out.east!['central-a']).toBeCloseTo(1, 9);
    expect(out.east!['east-a']).toBe(0);
    // West's own table: 300 of the 5000 rps that arrive there and stay (5500 less the 500 moved) go to central.
    const w = out.west!;
    const sent = (w['central-a'] ?? 0) + (w['central-b'] ?? 0);
    const total = Object.values(w).reduce((a, b) => a + b, 0);
    expect(sent / total).toBeCloseTo(300 / 5000, 9);
    expect(w['east-a'] ?? 0).toBe(0);
    // Central's table is not touched.
    expect(out.central).toBeUndefined();
  });
});
