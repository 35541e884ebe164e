import { beforeEach, describe, expect, it } from 'vitest';
import { ipv6KeyInto, parseAddress, parseIPv4Span, type Address } from '../core/address.js';
import { ManualClock } from '../core/clock.js';
import type { Hit, Offence } from '../core/types.js';
import { createTableWindowTracker, createWindowTracker, TABLE_MAX_FAILURES, type WindowTrackerOptions } from './window.js';
import { createMapWindowTracker } from './window-map.js';
import type { Tracker } from './tracker.js';

const A = parseAddress('198.51.100.7') as Address;
const MIN = 60_000;
const hit = (at: number): Hit => ({ address: A, jail: 'sshd', at, line: 'Failed password' });
type Factory = (options: WindowTrackerOptions) => Tracker;
// Both variants (typed-array table, and Map for large maxFailures) must behave alike.
const variants: readonly (readonly [string, Factory])[] = [
  ['table', (o) => createTableWindowTracker(o)],
  ['map', (o) => createMapWindowTracker(o, { clock: new ManualClock() })],
];
let factory: Factory = (o) => createWindowTracker(o, { clock: new ManualClock() });
const make = (o: Partial<WindowTrackerOptions> = {}): Tracker =>
  factory({ maxFailures: 5, periodMs: 10 * MIN, maxEntries: 1000, ...o });
const feed = (tracker: Tracker, times: readonly number[]): (Offence | undefined)[] => times.map((t) => tracker.record(hit(t)));
const offences = (results: readonly (Offence | undefined)[]): number[] =>
  results.flatMap((r, i) => (r ? [i] : []));

describe.each(variants)('the window tracker on a %s', (_name, variant) => {
  beforeEach(() => { factory = variant; });

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

describe('createWindowTracker', () => {
  const clock = new ManualClock();
  const opts = { periodMs: 10 * MIN, maxEntries: 1000 };

  it('keeps up to TABLE_MAX_FAILURES failures per address in the table and more in a Map', () => {
    const small = createWindowTracker({ ...opts, maxFailures: TABLE_MAX_FAILURES }, { clock });
    const large = createWindowTracker({ ...opts, maxFailures: TABLE_MAX_FAILURES + 1 }, { clock });
    for (const [tracker, n] of [[small, TABLE_MAX_FAILURES], [large, TABLE_MAX_FAILURES + 1]] as const) {
      const results = feed(tracker, Array.from({ length: n }, (_, i) => i));
      expect(offences(results)).toEqual([n - 1]);
    }
  });

  it.each([30, 120])('agrees with the Map variant on random hits from a few addresses, out of order (by up to %i ms, the period being 50) and evicted', (spread) => {
    let seed = 7;
    const rnd = (n: number): number => { seed = (Math.imul(seed, 1103515245) + 12345) >>> 0; return (seed >>> 8) % n; };
    const addrs = Array.from({ length: 40 }, (_, i) => parseAddress(i % 3 === 0 ? `2001:db8::${i}` : `10.0.0.${i}`) as Address);
    for (const maxFailures of [1, 2, 3, 5, 8]) {
      const o = { maxFailures, periodMs: 50, maxEntries: 25 };
      const a = createTableWindowTracker(o);
      const b = createMapWindowTracker(o, { clock });
      let now = 0;
      for (let i = 0; i < 20_000; i++) {
        now += rnd(4);
        const address = addrs[rnd(addrs.length)] as Address;
        const at = now - rnd(spread);
        const h: Hit = { address, jail: 'sshd', at, line: '' };
        // An IPv4 address now as text, now as the number a byte reader has: one entry either way.
        const v4 = parseIPv4Span(address, 0, address.length);
        const way = v4 >= 0 ? rnd(4) : [0, 3, 4, 5][rnd(4)];
        let got;
        if (way === 4 || way === 5) {
          // An IPv6 address by the key words a byte reader keeps with it, somewhere in its array: only if
          // tracked, or (5) filed by them when new.
          const key = new Int32Array(12), keyAt = 4 * rnd(3);
          expect(ipv6KeyInto(address, [0, 0, 0, 0, 0, 0, 0, 0], key, keyAt)).toBe(true);
          const tracked = a.counters.tracked;
          got = way === 5 ? a.recordIPv6!(key, keyAt, address, 'sshd', at) : a.recordTrackedIPv6!(key, keyAt, address, 'sshd', at);
          if (got === false) {
            expect(a.counters.tracked).toBe(tracked);
            got = a.record(h);
          }
        } else if (way === 3) {
          const tracked = a.counters.tracked;
          got = a.recordTracked!(address, 'sshd', at);
          if (got === false) {
            expect(a.counters.tracked).toBe(tracked);
            got = a.record(h);
          }
        } else if (way === 2) {
          // Only if tracked; when not, nothing may have been recorded, and the caller records it as usual.
          const tracked = a.counters.tracked;
          got = a.recordTrackedIPv4!(v4, 'sshd', at);
          if (got === false) {
            expect(a.counters.tracked).toBe(tracked);
            got = a.recordIPv4!(v4, 'sshd', at);
          }
        } else {
          got = way === 1 ? a.recordIPv4!(v4, 'sshd', at) : a.record(h);
        }
        expect(got).toEqual(b.record(h));
        if (rnd(500) === 0) { a.sweep(now); b.sweep(now); }
        if (rnd(700) === 0) { a.forget(address); b.forget(address); }
        expect(a.counters).toEqual(b.counters);
      }
    }
  });
});
