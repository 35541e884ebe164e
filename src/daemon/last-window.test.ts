import { describe, expect, it } from 'vitest';
import type { Address } from '../core/address.js';
import type { Hit } from '../core/types.js';
import { lastWindow } from './last-window.js';

const hit = (at: number): Hit => ({ address: '192.0.2.1' as Address, jail: 'sshd', at, line: `at ${at}` });
const MIN = 60_000;

describe('the lines of the last window behind a ban', () => {
  it('keeps for a window tracker only the hits within its period before the last one', () => {
    const hits = [hit(0), hit(5 * MIN), hit(30 * MIN), hit(35 * MIN), hit(39 * MIN)];
    expect(lastWindow(hits, { type: 'window', maxFailures: 3, periodMs: 10 * MIN, maxEntries: 100 }).map((h) => h.at)).toEqual([30 * MIN, 35 * MIN, 39 * MIN]);
  });

  it('keeps for an ema tracker the run of hits since the last pause that made it forget', () => {
    const hits = [hit(0), hit(1 * MIN), hit(20 * MIN), hit(21 * MIN), hit(22 * MIN)];
    const ema = { type: 'ema', rate: 0.2, alpha: 0.3, minFailures: 3, expireMs: 10 * MIN, maxEntries: 100 } as const;
    expect(lastWindow(hits, ema).map((h) => h.at)).toEqual([20 * MIN, 21 * MIN, 22 * MIN]);
    expect(lastWindow([], ema)).toEqual([]);
  });
});
