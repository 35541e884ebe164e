import { ipv4Address, type Address } from '../core/address.js';
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
 * The state lives in an {@link createAddressTable | address table} (48 bytes per IPv4 address with 6
 * failures, 64 per IPv6 one, 8 more each once the table has evicted; against ~300 for a `Map` of arrays), so
 * a flood of a million addresses stays within ~55 MB.
 */
export function createWindowTracker(options: WindowTrackerOptions, deps: TrackerDeps): Tracker {
  const { maxFailures, periodMs, maxEntries } = options;
  if (!Number.isInteger(maxFailures) || maxFailures < 1) throw new RangeError(`Invalid maxFailures: ${maxFailures}`);
  if (!(periodMs > 0)) throw new RangeError(`Invalid periodMs: ${periodMs}`);
  if (!Number.isInteger(maxEntries) || maxEntries < 1) throw new RangeError(`Invalid maxEntries: ${maxEntries}`);
  return maxFailures > TABLE_MAX_FAILURES || periodMs > TABLE_MAX_PERIOD_MS
    ? createMapWindowTracker(options, deps)
    : createTableWindowTracker(options);
}

/**
 * The longest period whose failures the table keeps as 32-bit ages (24.8 days); a longer one goes to the `Map`
 * variant, like a `maxFailures` above {@link TABLE_MAX_FAILURES}.
 */
export const TABLE_MAX_PERIOD_MS = 2 ** 31 - 1;

/**
 * The table variant; exported so that the tests can hold both variants to the same behaviour.
 *
 * Per address it keeps the newest time as a double and the others as their ages (newest − time, ms) in 32-bit
 * integers: 8 + 4 × (maxFailures − 1) bytes instead of 8 × maxFailures (a million addresses with six failures:
 * 56 MB instead of 77). Times more than `periodMs` older than the newest are not kept at all. That changes no
 * verdict: the newest time seen only grows, a window always ends at it, so such a time can never be part of
 * one, and the times kept are exactly the newest `maxFailures` less those (window.test.ts checks this against
 * the Map variant, out of order and with stale hits).
 */
export function createTableWindowTracker(options: WindowTrackerOptions): Tracker {
  const { maxFailures, periodMs, maxEntries } = options;
  // Per entry: the newest time in `floats`; in `ints`, how many times are kept (the newest included), then
  // the ages of the others, youngest first.
  const table = createAddressTable(1, maxFailures);
  const reason = `${maxFailures} failures in ${formatDuration(periodMs)}`;
  let evicted = 0;
  const counters: TrackerCounters = {
    get tracked() { return table.size; },
    get evicted() { return evicted; },
  };
  const offence = (address: Address, jail: string, at: number): Offence =>
    ({ address, jail, at, failures: maxFailures, reason });

  /** A new entry `e` with its first failure at `t`. */
  const first = (e: number, t: number): void => {
    table.floats(e)[table.floatAt(e)] = t;
    table.ints(e)[table.intAt(e)] = 1;
    if (table.size > maxEntries) {
      table.remove(table.oldest());
      evicted++;
    }
  };

  /** Another failure of entry `e` at `t`: the end of the window it completes (the entry is gone then), or undefined. */
  const again = (e: number, t: number): number | undefined => {
    const newest = table.floats(e), at = table.floatAt(e);
    const ints = table.ints(e), base = table.intAt(e);
    const n = t > newest[at]!
      ? addNewest(ints, base, ints[base]!, t - newest[at]!, periodMs)
      : addOlder(ints, base, ints[base]!, newest[at]! - t, periodMs);
    if (t > newest[at]!) newest[at] = t;
    ints[base] = n;
    if (n === maxFailures) {
      // The address starts from zero.
      const end = newest[at]!;
      table.remove(e);
      return end;
    }
    table.touch(e);
    return undefined;
  };

  function recordTracked(address: Address, jail: string, t: number): Offence | undefined | false {
    const e = table.find(address);
    if (e === -1) return false;
    const end = again(e, t);
    return end === undefined ? undefined : offence(address, jail, end);
  }

  function recordTrackedIPv4(v4: number, jail: string, t: number): Offence | undefined | false {
    const e = table.findIPv4(v4);
    if (e === -1) return false;
    const end = again(e, t);
    return end === undefined ? undefined : offence(ipv4Address(v4), jail, end);
  }

  function recordTrackedIPv6(key: Int32Array, at: number, address: Address, jail: string, t: number): Offence | undefined | false {
    const e = table.findIPv6(key, at);
    if (e === -1) return false;
    const end = again(e, t);
    return end === undefined ? undefined : offence(address, jail, end);
  }

  return {
    counters,

    record(hit: Hit): Offence | undefined {
      const t = hit.at;
      const known = recordTracked(hit.address, hit.jail, t);
      if (known !== false) return known;
      // A single failure is a window of its own: nothing to keep.
      if (maxFailures === 1) return offence(hit.address, hit.jail, t);
      first(table.add(hit.address), t);
      return undefined;
    },

    recordIPv4(v4: number, jail: string, t: number): Offence | undefined {
      const known = recordTrackedIPv4(v4, jail, t);
      if (known !== false) return known;
      if (maxFailures === 1) return offence(ipv4Address(v4), jail, t);
      first(table.addIPv4(v4), t);
      return undefined;
    },

    recordIPv6(key: Int32Array, at: number, address: Address, jail: string, t: number): Offence | undefined {
      const known = recordTrackedIPv6(key, at, address, jail, t);
      if (known !== false) return known;
      if (maxFailures === 1) return offence(address, jail, t);
      first(table.addIPv6(key, at), t);
      return undefined;
    },

    recordTracked,
    recordTrackedIPv4,
    recordTrackedIPv6,

    forget(address) {
      const e = table.find(address);
      if (e !== -1) table.remove(e);
    },

    sweep(now: number): void {
      // Recency follows arrival, not hit time (replayed lines), so every entry is looked at.
      const horizon = now - periodMs;
      for (let e = table.first(); e !== -1; e = table.following(e)) {
        if (table.floats(e)[table.floatAt(e)]! < horizon) table.remove(e);
      }
    },
  };
}

/*
 * The ages of an entry sit at ints[base + 1 .. base + n - 1], sorted youngest first; `n` counts the newest
 * time too. Both functions return the new `n`. Hit times are whole milliseconds (the clock's and the lines'),
 * so the ages are exact.
 */

/** A time `by` ms newer than the newest: the newest becomes an age, every age grows, too old ones go. */
function addNewest(ints: Int32Array, base: number, n: number, by: number, periodMs: number): number {
  let kept = 0;
  // The ages, grown, that are still within the period.
  while (kept < n - 1 && ints[base + 1 + kept]! + by <= periodMs) kept++;
  for (let i = kept; i > 0; i--) ints[base + 1 + i] = ints[base + i]! + by;
  if (by > periodMs) return 1;
  ints[base + 1] = by;
  return kept + 2;
}

/**
 * A time `age` ms older than the newest (or as old); older than the period, it is dropped. An entry at rest
 * keeps fewer than `maxFailures` times (the last one makes an offence and removes it), so there is room.
 */
function addOlder(ints: Int32Array, base: number, n: number, age: number, periodMs: number): number {
  if (age > periodMs) return n;
  let i = n;
  while (i > 1 && ints[base + i - 1]! > age) { ints[base + i] = ints[base + i - 1]!; i--; }
  ints[base + i] = age;
  return n + 1;
}
