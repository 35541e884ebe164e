import { formatDuration } from '../core/duration.js';
import type { Hit, Offence } from '../core/types.js';
import type { TrackerConfig } from '../config/types.js';
import { createAddressTable } from './address-table.js';
import type { Tracker, TrackerCounters } from './tracker.js';
import type { TrackerDeps } from './index.js';
import { createMapWindowTracker } from './window-map.js';

export type WindowTrackerOptions = Omit<Extract<TrackerConfig, { type: 'window' }>, 'type'>;

/**
 * Up to this many failures per address live in the typed-array table; above it (a config of "100 failures in
 * a day"), the `Map` variant, whose arrays grow only as hits come, wastes less than a table slot of that size.
 */
export const TABLE_MAX_FAILURES = 64;

/**
 * Sliding-window count: an offence when `maxFailures` hits of one address fall within `periodMs` of each
 * other (inclusive: hits exactly `periodMs` apart still count, as fail2ban's `findtime` does).
 *
 * Per address it keeps only the newest `maxFailures` timestamps, sorted, overwritten in place once full: a
 * ring would need the same sorting to tolerate hits that arrive out of order (replay, several files), and the
 * newest `maxFailures` hits are the only ones that can form a window. The address that was recorded least
 * recently is evicted first when `maxEntries` is exceeded.
 *
 * The state lives in an {@link createAddressTable | address table} (~76 bytes per address with 5 failures,
 * against ~300 for a `Map` of arrays), so a flood of a million addresses stays within ~100 MB.
 */
export function createWindowTracker(options: WindowTrackerOptions, deps: TrackerDeps): Tracker {
  const { maxFailures, periodMs, maxEntries } = options;
  if (!Number.isInteger(maxFailures) || maxFailures < 1) throw new RangeError(`Invalid maxFailures: ${maxFailures}`);
  if (!(periodMs > 0)) throw new RangeError(`Invalid periodMs: ${periodMs}`);
  if (!Number.isInteger(maxEntries) || maxEntries < 1) throw new RangeError(`Invalid maxEntries: ${maxEntries}`);
  return maxFailures > TABLE_MAX_FAILURES ? createMapWindowTracker(options, deps) : createTableWindowTracker(options);
}

/** The table variant; exported so that the tests can hold both variants to the same behaviour. */
export function createTableWindowTracker(options: WindowTrackerOptions): Tracker {
  const { maxFailures, periodMs, maxEntries } = options;
  // Per entry: the kept times, oldest first, in `floats`; how many are kept in `ints`.
  const table = createAddressTable(maxFailures, 1);
  const reason = `${maxFailures} failures in ${formatDuration(periodMs)}`;
  let evicted = 0;
  const counters: TrackerCounters = {
    get tracked() { return table.size; },
    get evicted() { return evicted; },
  };
  const offence = (hit: Hit, at: number): Offence =>
    ({ address: hit.address, jail: hit.jail, at, failures: maxFailures, reason });

  return {
    counters,

    record(hit: Hit): Offence | undefined {
      const t = hit.at;
      let e = table.find(hit.address);
      if (e === -1) {
        // A single failure is a window of its own: nothing to keep.
        if (maxFailures === 1) return offence(hit, t);
        e = table.add(hit.address);
        table.floats(e)[table.floatAt(e)] = t;
        table.ints(e)[table.intAt(e)] = 1;
        if (table.size > maxEntries) {
          table.remove(table.oldest());
          evicted++;
        }
        return undefined;
      }
      const times = table.floats(e), base = table.floatAt(e);
      const counts = table.ints(e), at = table.intAt(e);
      const n = insertNewest(times, base, counts[at]!, t, maxFailures);
      counts[at] = n;
      const newest = times[base + n - 1]!;
      if (n === maxFailures && newest - times[base]! <= periodMs) {
        // The address starts from zero.
        table.remove(e);
        return offence(hit, newest);
      }
      table.touch(e);
      return undefined;
    },

    forget(address) {
      const e = table.find(address);
      if (e !== -1) table.remove(e);
    },

    sweep(now: number): void {
      // Recency follows arrival, not hit time (replayed lines), so every entry is looked at.
      const horizon = now - periodMs;
      for (let e = table.oldest(); e !== -1;) {
        const after = table.newer(e);
        const newest = table.floats(e)[table.floatAt(e) + table.ints(e)[table.intAt(e)]! - 1]!;
        if (newest < horizon) table.remove(e);
        e = after;
      }
    },
  };
}

/**
 * Adds `t` to the `n` sorted times at `base` and keeps the newest `cap`; returns how many are kept. Older than
 * all of a full set, it is dropped: it cannot be among the newest `cap`, and that set was already judged.
 */
function insertNewest(times: Float64Array, base: number, n: number, t: number, cap: number): number {
  let i: number;
  if (n < cap) {
    i = base + n;
    while (i > base && times[i - 1]! > t) { times[i] = times[i - 1]!; i--; }
    times[i] = t;
    return n + 1;
  }
  if (t <= times[base]!) return n;
  i = base;
  const last = base + cap - 1;
  while (i < last && times[i + 1]! < t) { times[i] = times[i + 1]!; i++; }
  times[i] = t;
  return n;
}
