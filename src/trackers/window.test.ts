import { describe, expect, it } from 'vitest';
import { parseAddress, type Address } from '../core/address.js';
import { ManualClock } from '../core/clock.js';
import type { Hit, Offence } from '../core/types.js';
import { createWindowTracker, type WindowTrackerOptions } from './window.js';
import type { Tracker } from './tracker.js';

const A = parseAddress('198.51.100.7') as Address;
const MIN = 60_000;
const hit = (at: number): Hit => ({ address: A, jail: 'sshd', at, line: 'Failed password' });
const make = (o: Partial<WindowTrackerOptions> = {}): Tracker =>
  createWindowTracker({ maxFailures: 5, periodMs: 10 * MIN, maxEntries: 1000, ...o }, { clock: new ManualClock() });
const feed = (tracker: Tracker, times: readonly number[]): (Offence | undefined)[] => times.map((t) => tracker.record(hit(t)));
const offences = (results: readonly (Offence | undefined)[]): number[] =>
  results.flatMap((r, i) => (r ? [i] : []));

describe('createWindowTracker', () => {
  it('raises an offence on the fifth failure within ten minutes, with a reason in config words', () => {
    const results = feed(make(), [0, 1 * MIN, 2 * MIN, 3 * MIN, 4 * MIN]);
    expect(offences(results)).toEqual([4]);
    expect(results[4]).toEqual({
      address: A, jail: 'sshd', at: 4 * MIN, failures: 5, reason: '5 failures in 10m',
    });
  });

  it('raises nothing for four failures', () => {
    expect(offences(feed(make(), [0, 1, 2, 3]))).toEqual([]);
  });

  it('raises nothing when the failures are spread beyond the period, however many there are', () => {
    const times = Array.from({ length: 100 }, (_, i) => i * (2.5 * MIN + 1));
    expect(offences(feed(make(), times))).toEqual([]);
  });

  it('counts failures exactly one period apart as within it', () => {
    expect(offences(feed(make(), [0, 2.5 * MIN, 5 * MIN, 7.5 * MIN, 10 * MIN]))).toEqual([4]);
  });

  it('slides: a slow start does not hide a later burst', () => {
    const results = feed(make(), [0, 8 * MIN, 12 * MIN, 13 * MIN, 14 * MIN, 15 * MIN]);
    expect(offences(results)).toEqual([5]);
  });

  it('needs five fresh failures after an offence', () => {
    const results = feed(make(), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(offences(results)).toEqual([4, 9]);
  });

  it('raises an offence for failures logged at the same instant', () => {
    expect(offences(feed(make(), [1000, 1000, 1000, 1000, 1000]))).toEqual([4]);
  });

  it('lets an out-of-order failure complete a window, dated by the newest failure', () => {
    const results = feed(make(), [20 * MIN, 21 * MIN, 22 * MIN, 23 * MIN, 15 * MIN]);
    expect(offences(results)).toEqual([4]);
    expect(results[4]?.at).toBe(23 * MIN);
  });

  it('ignores a failure older than all the newest ones it keeps', () => {
    const tracker = make();
    feed(tracker, [20 * MIN, 30 * MIN, 40 * MIN, 50 * MIN, 60 * MIN]);
    expect(offences(feed(tracker, [0, 61 * MIN, 62 * MIN, 63 * MIN]))).toEqual([]);
    expect(tracker.record(hit(64 * MIN))).toBeDefined();
  });

  it('treats every failure as an offence when one is enough', () => {
    const results = feed(make({ maxFailures: 1 }), [0, 1, 2]);
    expect(offences(results)).toEqual([0, 1, 2]);
    expect(results[0]?.reason).toBe('1 failures in 10m');
  });

  it('keeps no state for an address once it has offended', () => {
    const tracker = make();
    feed(tracker, [0, 1, 2, 3, 4]);
    expect(tracker.counters.tracked).toBe(0);
  });

  it('sweeps by the newest failure, not the oldest', () => {
    const tracker = make();
    feed(tracker, [0, 9 * MIN]);
    tracker.sweep(19 * MIN);
    expect(tracker.counters.tracked).toBe(1);
    tracker.sweep(19 * MIN + 1);
    expect(tracker.counters.tracked).toBe(0);
  });

  it('stays within its cap under a flood of distinct addresses', () => {
    const tracker = make({ maxEntries: 100 });
    for (let i = 0; i < 10_000; i++) {
      const a = parseAddress(`10.0.${i >> 8}.${i & 255}`) as Address;
      tracker.record({ address: a, jail: 'sshd', at: i, line: '' });
    }
    expect(tracker.counters).toEqual({ tracked: 100, evicted: 9_900 });
  });
});
