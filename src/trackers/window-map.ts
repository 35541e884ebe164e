import type { Address } from '../core/address.js';
import { formatDuration } from '../core/duration.js';
import type { Hit, Offence } from '../core/types.js';
import type { Tracker, TrackerCounters } from './tracker.js';
import type { TrackerDeps } from './index.js';
import type { WindowTrackerOptions } from './window.js';

/**
 * The window tracker over a `Map` of arrays, kept for `maxFailures` above what the typed-array table stores
 * per address (see window.ts, which documents the behaviour both share and chooses between them).
 *
 * Sliding-window count: an offence when `maxFailures` hits of one address fall within `periodMs` of each
 * other (inclusive: hits exactly `periodMs` apart still count, as fail2ban's `findtime` does).
 *
 * Per address it keeps only the newest `maxFailures` timestamps, sorted, in a plain array that is
 * overwritten in place once full: a ring would need the same sorting to tolerate hits that arrive out of
 * order (replay, several files), and the newest `maxFailures` hits are the only ones that can form a window.
 * Map insertion order doubles as the LRU list.
 */
export function createMapWindowTracker(options: WindowTrackerOptions, _deps: TrackerDeps): Tracker {
  const { maxFailures, periodMs, maxEntries } = options;

  const entries = new Map<Address, number[]>();
  const reason = `${maxFailures} failures in ${formatDuration(periodMs)}`;
  let evicted = 0;
  const counters: TrackerCounters = {
    get tracked() { return entries.size; },
    get evicted() { return evicted; },
  };

  return {
    counters,

    record(hit: Hit): Offence | undefined {
      const t = hit.at;
      let times = entries.get(hit.address);
      if (times === undefined) {
        times = [t];
      } else {
        entries.delete(hit.address);
        insertNewest(times, t, maxFailures);
      }
      const oldest = times[0] ?? t;
      const newest = times[times.length - 1] ?? t;
      if (times.length === maxFailures && newest - oldest <= periodMs) {
        // Already deleted above (or never stored): the address starts from zero.
        return { address: hit.address, jail: hit.jail, at: newest, failures: maxFailures, reason };
      }
      entries.set(hit.address, times);
      if (entries.size > maxEntries) {
        const lru = entries.keys().next().value;
        if (lru !== undefined) { entries.delete(lru); evicted++; }
      }
      return undefined;
    },

    forget(address: Address): void {
      entries.delete(address);
    },

    sweep(now: number): void {
      // Insertion order follows arrival, not hit time (replayed lines), so no early exit.
      const horizon = now - periodMs;
      for (const [address, times] of entries) {
        if ((times[times.length - 1] ?? -Infinity) < horizon) entries.delete(address);
      }
    },
  };
}

/** Keeps `times` the sorted newest `cap` timestamps after adding `t`, without allocating once full. */
function insertNewest(times: number[], t: number, cap: number): void {
  let i: number;
  if (times.length < cap) {
    times.push(t);
    i = times.length - 1;
    while (i > 0 && (times[i - 1] as number) > t) { times[i] = times[i - 1] as number; i--; }
    times[i] = t;
    return;
  }
  // Older than all kept hits: it cannot be among the newest `cap`, and that set was already judged.
  if (t <= (times[0] as number)) return;
  i = 0;
  while (i + 1 < cap && (times[i + 1] as number) < t) { times[i] = times[i + 1] as number; i++; }
  times[i] = t;
}
