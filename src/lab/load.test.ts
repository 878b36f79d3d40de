import { describe, expect, it } from 'vitest';
import { CONNECTION_RPS, connectionsFor, rateBetween } from './load.js';

describe('the lab load generator', () => {
  it('opens a connection per CONNECTION_RPS requests a second, between 10 and 100', () => {
    expect(connectionsFor(500)).toBe(500 / CONNECTION_RPS);
    expect(connectionsFor(10_000)).toBe(100);
    expect(connectionsFor(50)).toBe(10);
  });

  it('gives the rate answered between two marks, and none for marks not apart', () => {
    expect(rateBetween({ atMs: 1_000, responses: 500 }, { atMs: 21_000, responses: 200_500 })).toBe(10_000);
    expect(rateBetween({ atMs: 1_000, responses: 5 }, { atMs: 1_000, responses: 9 })).toBeNull();
  });
});
