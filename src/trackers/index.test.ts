import { describe, expect, it } from 'vitest';
import { parseAddress, type Address } from '../core/address.js';
import { ManualClock } from '../core/clock.js';
import type { Hit } from '../core/types.js';
import type { TrackerConfig } from '../config/types.js';
import type { Tracker } from './tracker.js';
import { createTracker, trackers } from './index.js';

const addr = (text: string): Address => parseAddress(text) as Address;
const A = addr('192.0.2.1');
const B = addr('2001:db8::b');
const hit = (address: Address, at: number): Hit => ({ address, jail: 'sshd', at, line: `fail from ${address}` });

/**
 * Both configs ban five hits one second apart and forget an address idle for ten minutes, so the contract
 * below holds for each without knowing which it is testing.
 */
const configs: readonly TrackerConfig[] = [
  { type: 'window', maxFailures: 5, periodMs: 600_000, maxEntries: 3 },
  { type: 'ema', rate: 0.2, alpha: 0.3, minFailures: 5, expireMs: 600_000, maxEntries: 3 },
];

describe.each(configs)('the $type tracker', (cfg) => {
  const make = (): Tracker => createTracker(cfg, { clock: new ManualClock() });
  const burst = (tracker: Tracker, address: Address, from: number, n: number) =>
    Array.from({ length: n }, (_, i) => tracker.record(hit(address, from + i * 1000)));

  it('raises an offence on the fifth quick failure and not before', () => {
    const results = burst(make(), A, 0, 5);
    expect(results.slice(0, 4)).toEqual([undefined, undefined, undefined, undefined]);
    expect(results[4]).toMatchObject({ address: A, jail: 'sshd', at: 4000, failures: 5 });
  });

  it('starts the address from zero after an offence', () => {
    const tracker = make();
    burst(tracker, A, 0, 5);
    expect(tracker.counters.tracked).toBe(0);
    expect(burst(tracker, A, 5000, 4)).toEqual([undefined, undefined, undefined, undefined]);
    expect(tracker.record(hit(A, 9000))).toBeDefined();
  });

  it('keeps addresses apart', () => {
    const tracker = make();
    for (let i = 0; i < 4; i++) {
      expect(tracker.record(hit(A, i * 1000))).toBeUndefined();
      expect(tracker.record(hit(B, i * 1000 + 500))).toBeUndefined();
    }
    expect(tracker.record(hit(B, 4500))?.address).toBe(B);
    expect(tracker.record(hit(A, 5000))?.address).toBe(A);
  });

  it('forgets an address on request, and forgetting twice is harmless', () => {
    const tracker = make();
    burst(tracker, A, 0, 4);
    tracker.forget(A);
    tracker.forget(A);
    expect(tracker.counters.tracked).toBe(0);
    expect(burst(tracker, A, 4000, 4)).toEqual([undefined, undefined, undefined, undefined]);
  });

  it('sweeps away an address idle past its window and keeps one that can still offend', () => {
    const tracker = make();
    burst(tracker, A, 0, 3);
    burst(tracker, B, 300_000, 3);
    tracker.sweep(602_000);
    expect(tracker.counters.tracked).toBe(2);
    tracker.sweep(602_001);
    expect(tracker.counters.tracked).toBe(1);
    expect(burst(tracker, B, 303_000, 2)[1]).toMatchObject({ address: B, failures: 5 });
  });

  it('evicts the least recently seen address past the cap, and counts it', () => {
    const tracker = make();
    const [a1, a2, a3, a4] = ['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4'].map(addr) as [Address, Address, Address, Address];
    for (const a of [a1, a2, a3]) tracker.record(hit(a, 0));
    // A new hit makes 10.0.0.1 the most recent, so 10.0.0.2 is the one to go.
    tracker.record(hit(a1, 1000));
    tracker.record(hit(a4, 1000));
    expect(tracker.counters).toEqual({ tracked: 3, evicted: 1 });
    // Had 10.0.0.2 kept its first hit, the fourth one here would be its fifth.
    expect(burst(tracker, a2, 1000, 4)).toEqual([undefined, undefined, undefined, undefined]);
    expect(tracker.counters).toEqual({ tracked: 3, evicted: 2 });
  });

  it('has no tracked addresses and no evictions when new', () => {
    expect(make().counters).toEqual({ tracked: 0, evicted: 0 });
  });
});

describe('trackers', () => {
  it('names every tracker type the config can hold', () => {
    expect(Object.keys(trackers).sort()).toEqual(['ema', 'window']);
  });

  it('refuses options the config loader should have refused', () => {
    const clock = new ManualClock();
    expect(() => createTracker({ type: 'window', maxFailures: 0, periodMs: 1000, maxEntries: 10 }, { clock }))
      .toThrow(RangeError);
    expect(() => createTracker(
      { type: 'ema', rate: 0.2, alpha: 1.5, minFailures: 3, expireMs: 1000, maxEntries: 10 }, { clock }))
      .toThrow(RangeError);
  });
});
