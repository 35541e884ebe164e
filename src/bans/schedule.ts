import type { Address } from '../core/address.js';
import type { Cancel, Clock } from '../core/clock.js';
import { MinHeap } from '../core/heap.js';
import type { Ban } from '../core/types.js';

/** When each temporary ban ends, with one timer for all of them. */
export interface UnbanSchedule {
  /**
   * Schedules the end of `ban`, replacing whatever was scheduled for the same jail and address. A permanent
   * ban is not scheduled, and cancels a pending unban of its key (the ban it replaces must not be lifted).
   */
  add(ban: Ban): void;
  /** `add` of each of `bans` in turn, the timer armed once at the end (a restore schedules 100,000). */
  addMany(bans: readonly Ban[]): void;
  /** Cancels the pending unban of this jail and address (manual unban, ban replaced). Returns whether there was one. */
  remove(jail: string, address: Address): boolean;
  /** The earliest pending `until`, or `undefined` when nothing is pending. */
  next(): number | undefined;
  /** Pending unbans. */
  readonly size: number;
  /** Cancels every pending unban and the timer (shutdown, reload). */
  clear(): void;
}

interface Entry {
  readonly until: number;
  readonly ban: Ban;
}

/**
 * One min-heap by `until` and one clock timer armed for its earliest entry: `setTimeout` cannot wait past
 * ~24.8 days and a timer per ban would not survive 100,000 bans; the `Clock` re-arms long waits itself.
 *
 * When the timer fires, every ban whose `until` has passed goes to `onDue` in one call, earliest first, so an
 * action lifts them in one batch. `onDue` is called after the schedule has re-armed, from the clock's timer;
 * it may call `add` and `remove`, and must not throw (it owns its errors: the bans are no longer pending).
 *
 * Removal is lazy: the map says which entry is live for each key, and heap entries that are not live are
 * skipped when they reach the top, or dropped when they come to outnumber the live ones.
 */
export function createUnbanSchedule(clock: Clock, onDue: (bans: Ban[]) => void): UnbanSchedule {
  // By jail, then address: no key string is built per ban, and the address strings, which the daemon's other
  // maps hold too, are hashed once.
  const live = new Map<string, Map<Address, Entry>>();
  let liveCount = 0;
  let heap = new MinHeap<Entry>((e) => e.until);
  let cancelTimer: Cancel | undefined;
  let armedAt: number | undefined;

  const isLive = (e: Entry): boolean => live.get(e.ban.jail)?.get(e.ban.address) === e;
  const unset = (jail: string, address: Address): boolean => {
    const inJail = live.get(jail);
    if (inJail === undefined || !inJail.delete(address)) return false;
    liveCount--;
    if (inJail.size === 0) live.delete(jail);
    return true;
  };
  const set = (e: Entry): void => {
    let inJail = live.get(e.ban.jail);
    if (inJail === undefined) live.set(e.ban.jail, (inJail = new Map()));
    const before = inJail.size;
    inJail.set(e.ban.address, e);
    liveCount += inJail.size - before;
  };

  const top = (): Entry | undefined => {
    for (let e = heap.peek(); e !== undefined; e = heap.peek()) {
      if (isLive(e)) return e;
      heap.pop();
    }
    return undefined;
  };

  const disarm = (): void => {
    cancelTimer?.();
    cancelTimer = undefined;
    armedAt = undefined;
  };

  const arm = (): void => {
    const at = top()?.until;
    if (at === armedAt) return;
    disarm();
    if (at === undefined) return;
    armedAt = at;
    cancelTimer = clock.setTimer(at, fire);
  };

  function fire(): void {
    cancelTimer = undefined;
    armedAt = undefined;
    const now = clock.now();
    const due: Ban[] = [];
    for (let e = top(); e !== undefined && e.until <= now; e = top()) {
      heap.pop();
      unset(e.ban.jail, e.ban.address);
      due.push(e.ban);
    }
    arm();
    if (due.length > 0) onDue(due);
  }

  const compact = (): void => {
    if (heap.size <= 2 * liveCount + 64) return;
    heap = new MinHeap<Entry>((e) => e.until);
    for (const inJail of live.values()) for (const e of inJail.values()) heap.push(e);
  };

  const put = (ban: Ban): void => {
    if (ban.until === null) {
      unset(ban.jail, ban.address);
    } else {
      const entry: Entry = { until: ban.until, ban };
      set(entry);
      heap.push(entry);
    }
  };

  return {
    add(ban: Ban): void {
      put(ban);
      compact();
      arm();
    },

    addMany(bans: readonly Ban[]): void {
      for (const b of bans) put(b);
      compact();
      arm();
    },

    remove(jail: string, address: Address): boolean {
      const removed = unset(jail, address);
      if (removed) { compact(); arm(); }
      return removed;
    },

    next: () => top()?.until,

    get size() { return liveCount; },

    clear(): void {
      live.clear();
      liveCount = 0;
      heap = new MinHeap<Entry>((e) => e.until);
      disarm();
    },
  };
}
