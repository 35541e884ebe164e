import { describe, expect, it } from 'vitest';
import { parseAddress, type Address } from '../core/address.js';
import { ManualClock } from '../core/clock.js';
import type { Hit, Offence } from '../core/types.js';
import { createEmaTracker, type EmaTrackerOptions } from './ema.js';
import type { Tracker } from './tracker.js';

const A = parseAddress('203.0.113.50') as Address;
const S = 1000;
const hit = (at: number): Hit => ({ address: A, jail: 'postfix', at, line: 'SASL LOGIN authentication failed' });
const make = (o: Partial<EmaTrackerOptions> = {}): Tracker => createEmaTracker(
  { rate: 0.2, alpha: 0.3, minFailures: 3, expireMs: 3_600_000, maxEntries: 1000, ...o },
  { clock: new ManualClock() },
);
const feed = (tracker: Tracker, times: readonly number[]): (Offence | undefined)[] => times.map((t) => tracker.record(hit(t)));
const offences = (results: readonly (Offence | undefined)[]): number[] =>
  results.flatMap((r, i) => (r ? [i] : []));
const every = (intervalMs: number, n: number, from = 0): number[] =>
  Array.from({ length: n }, (_, i) => from + i * intervalMs);

describe('createEmaTracker', () => {
  it('bans a fast burst as soon as it has enough failures', () => {
    const results = feed(make(), every(1 * S, 3));
    expect(offences(results)).toEqual([2]);
    expect(results[2]).toEqual({
      address: A, jail: 'postfix', at: 2 * S, failures: 3, reason: 'rate 1/s >= 0.2/s after 3 failures',
    });
  });

  it('never bans a slow trickle', () => {
    expect(offences(feed(make(), every(10 * S, 200)))).toEqual([]);
  });

  it('bans a steady rate that is exactly the threshold', () => {
    expect(offences(feed(make(), every(5 * S, 3)))).toEqual([2]);
  });

  it('writes the rate with two decimals in the reason', () => {
    const results = feed(make({ minFailures: 4, alpha: 0.5 }), [0, 2 * S, 4 * S, 5 * S]);
    expect(results[3]?.reason).toBe('rate 0.67/s >= 0.2/s after 4 failures');
  });

  it('waits for minFailures even when the rate is far above the threshold', () => {
    const results = feed(make({ minFailures: 6 }), every(10, 6));
    expect(offences(results)).toEqual([5]);
    expect(results[5]?.failures).toBe(6);
  });

  it('needs at least two failures to judge a rate, whatever minFailures says', () => {
    expect(offences(feed(make({ minFailures: 1 }), [0, 1]))).toEqual([1]);
  });

  it('bans a burst logged at the same instant, counting each gap as one millisecond', () => {
    const results = feed(make(), [7000, 7000, 7000]);
    expect(offences(results)).toEqual([2]);
    expect(results[2]?.reason).toBe('rate 1000/s >= 0.2/s after 3 failures');
  });

  it('starts from zero after an offence', () => {
    const results = feed(make(), every(1 * S, 6));
    expect(offences(results)).toEqual([2, 5]);
  });

  it('remembers a slow start, so a later burst takes several failures to bring the average down', () => {
    // Average starts at 60 s; each 1 s gap keeps 70 % of the excess: 1 + 59·0.7^k ≤ 5 s needs k = 8.
    const slow = every(60 * S, 3);
    const fast = every(1 * S, 10, 121 * S);
    const results = feed(make(), [...slow, ...fast]);
    expect(offences(results)).toEqual([slow.length + 8 - 1]);
  });

  it('judges only the last gap when alpha is 1', () => {
    const results = feed(make({ alpha: 1 }), [0, 60 * S, 120 * S, 121 * S]);
    expect(offences(results)).toEqual([3]);
  });

  it('counts an out-of-order failure with its gap to the newest one, not as a burst', () => {
    const tracker = make({ alpha: 1, rate: 10 });
    expect(offences(feed(tracker, [0, 2 * S, 1 * S]))).toEqual([]);
  });

  it('starts from zero at the next failure after being idle past expireMs, even without a sweep', () => {
    const tracker = make({ expireMs: 10 * 60 * S });
    feed(tracker, [0, 1 * S]);
    expect(offences(feed(tracker, [10 * 60 * S + 1 * S + 1, 10 * 60 * S + 2 * S]))).toEqual([]);
    expect(tracker.record(hit(10 * 60 * S + 3 * S))).toBeDefined();
  });

  it('sweeps an address idle longer than expireMs and keeps one idle exactly that long', () => {
    const tracker = make({ expireMs: 10 * 60 * S });
    feed(tracker, [0, 1 * S]);
    tracker.sweep(10 * 60 * S + 1 * S);
    expect(tracker.counters.tracked).toBe(1);
    tracker.sweep(10 * 60 * S + 1 * S + 1);
    expect(tracker.counters.tracked).toBe(0);
  });

  it('has a half-life in failures of ln(0.5)/ln(1 - alpha), as its doc comment says', () => {
    // After h gaps of 0 ms-equivalent the weight left on an old average of 1 is (1 - alpha)^h = 0.5.
    const alpha = 0.3;
    const h = Math.log(0.5) / Math.log(1 - alpha);
    expect(h).toBeCloseTo(1.94, 2);
    expect((1 - alpha) ** h).toBeCloseTo(0.5, 12);
    expect(Math.log(0.5) / Math.log(0.9)).toBeCloseTo(6.58, 2);
  });
});
