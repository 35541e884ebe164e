import type { Address } from '../core/address.js';
import type { Hit, Offence } from '../core/types.js';
import type { TrackerConfig } from '../config/types.js';
import type { Tracker, TrackerCounters } from './tracker.js';
import type { TrackerDeps } from './index.js';
import { createAddressTable } from './address-table.js';

export type EmaTrackerOptions = Omit<Extract<TrackerConfig, { type: 'ema' }>, 'type'>;

/** What is kept per address (in an address table, not as an object). */
interface EmaEntry {
  hits: number;
  /** Newest hit time seen, ms. */
  last: number;
  /** Smoothed interval between hits, ms; meaningless until the second hit. */
  avg: number;
}

/**
 * Rate limiter on an exponential moving average (EMA) of the time between one address's failures.
 *
 * For each hit after the first, with `dt` the interval to the previous hit in ms:
 *
 *     avg₂ = dt                                  (second hit: the first interval seen)
 *     avgₙ = alpha·dt + (1 − alpha)·avgₙ₋₁        (every later hit)
 *     rate = 1000 / avg                          (failures per second)
 *
 * An offence is raised when `hits >= minFailures` and `rate >= rate threshold`; the address then starts
 * from zero. An address idle for more than `expireMs` also starts from zero (at its next hit, or when
 * `sweep` drops it), so the verdict does not depend on how often `sweep` runs.
 *
 * `alpha` (0 < alpha ≤ 1) is the weight of the newest interval. Near 1 the rate follows the last interval
 * alone (quick to ban a burst, quick to forgive); near 0 it is a long memory (a steady attacker is caught
 * even if it pauses now and then, but a fast burst after a slow start takes longer to reach the threshold).
 * The weight of an interval halves every h hits, its half-life:
 *
 *     h = ln(0.5) / ln(1 − alpha)                e.g. alpha 0.3 → h ≈ 1.94 hits; alpha 0.1 → h ≈ 6.6 hits
 *
 * A steady attacker failing every T ms settles at avg = T, so threshold r (per second) bans anything that
 * keeps failing at least every 1000/r ms: 0.2/s bans one failure every 5 s or faster.
 *
 * Intervals of 0 (several failures logged in the same millisecond or second) count as 1 ms, and a hit older
 * than the newest one (out of order) counts with the absolute gap, which is what the interval would have
 * been had the lines arrived in order. A rate needs two hits, so `minFailures` below 2 acts as 2.
 */
export function createEmaTracker(options: EmaTrackerOptions, _deps: TrackerDeps): Tracker {
  const { rate: threshold, alpha, expireMs, maxEntries } = options;
  if (!(threshold > 0)) throw new RangeError(`Invalid rate: ${threshold}`);
  if (!(alpha > 0 && alpha <= 1)) throw new RangeError(`Invalid alpha: ${alpha}`);
  if (!(expireMs > 0)) throw new RangeError(`Invalid expireMs: ${expireMs}`);
  if (!Number.isInteger(maxEntries) || maxEntries < 1) throw new RangeError(`Invalid maxEntries: ${maxEntries}`);
  const minFailures = Math.max(2, options.minFailures);

  // Per entry: hits in `ints`; the newest hit time and the smoothed interval in `floats` (see EmaEntry).
  const table = createAddressTable(2, 1);
  let evicted = 0;
  const counters: TrackerCounters = {
    get tracked() { return table.size; },
    get evicted() { return evicted; },
  };

  return {
    counters,

    record(hit: Hit): Offence | undefined {
      const t = hit.at;
      let e = table.find(hit.address);
      if (e === -1) {
        e = table.add(hit.address);
        table.ints(e)[table.intAt(e)] = 1;
        table.floats(e)[table.floatAt(e)] = t;
        if (table.size > maxEntries) {
          table.remove(table.oldest());
          evicted++;
        }
        return undefined;
      }
      const f = table.floats(e), o = table.floatAt(e);
      const counts = table.ints(e), at = table.intAt(e);
      const last = f[o]!;
      if (t - last > expireMs) {
        counts[at] = 1;
        f[o] = t;
        f[o + 1] = 0;
        table.touch(e);
        return undefined;
      }
      const dt = Math.max(1, Math.abs(t - last));
      const hits = counts[at]! + 1;
      counts[at] = hits;
      // avg + alpha·(dt − avg) is the same formula, but stays exactly `avg` when dt equals it.
      const avg = hits === 2 ? dt : f[o + 1]! + alpha * (dt - f[o + 1]!);
      f[o + 1] = avg;
      const newest = t > last ? t : last;
      f[o] = newest;
      const rate = 1000 / avg;
      if (hits >= minFailures && rate >= threshold) {
        // The address starts from zero.
        table.remove(e);
        return {
          address: hit.address, jail: hit.jail, at: newest, failures: hits,
          reason: `rate ${formatRate(rate)}/s >= ${threshold}/s after ${hits} failures`,
        };
      }
      table.touch(e);
      return undefined;
    },

    forget(address: Address): void {
      const e = table.find(address);
      if (e !== -1) table.remove(e);
    },

    sweep(now: number): void {
      for (let e = table.first(); e !== -1; e = table.following(e)) {
        if (now - table.floats(e)[table.floatAt(e)]! > expireMs) table.remove(e);
      }
    },
  };
}

/** Two decimals without trailing zeros (`0.52`, `1000`), but never rounded to `0` for slow thresholds. */
function formatRate(rate: number): string {
  return rate >= 0.01 ? String(Number(rate.toFixed(2))) : rate.toPrecision(2);
}
