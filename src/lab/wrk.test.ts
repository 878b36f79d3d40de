import { describe, expect, it } from 'vitest';
import { parseWrkDone, wrkResult } from './wrk.js';

describe("the lab's wrk generator", () => {
  it("reads the script's totals and counts non-2xx answers, socket errors and timeouts as failed", () => {
    const totals = parseWrkDone('done 20000000 200123 200100 3 1 2 0 4\n');
    expect(totals).toEqual({
      microseconds: 20_000_000,
      requests: 200_123,
      answered: 200_100,
      failed: 3,
      connect: 1,
      read: 2,
      write: 0,
      timeout: 4,
    });
    expect(wrkResult(totals!)).toEqual({
      generator: 'wrk',
      requests: 200_100,
      failedRequests: 10,
      non2xx: 3,
      errors: 3,
      timeouts: 4,
      seconds: 20,
      averageRps: 10_005,
    });
  });

  it('takes no other line for the totals', () => {
    expect(parseWrkDone('n 1 500 0')).toBeUndefined();
    expect(parseWrkDone('Requests/sec: 2974.56')).toBeUndefined();
  });
});
