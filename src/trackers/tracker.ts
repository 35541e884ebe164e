import type { Address } from '../core/address.js';
import type { Hit, Offence } from '../core/types.js';

export interface TrackerCounters {
  /** Addresses currently tracked. */
  tracked: number;
  /** Entries dropped because the cap was reached (least recently seen first). */
  evicted: number;
}

/**
 * Counts failures per address and says when one crosses the jail's threshold. Memory is bounded: entries
 * past their window are dropped by `sweep`, and a cap evicts the least recently seen (counted). After an
 * offence the address starts from zero. Hits may arrive slightly out of order (replay, several files).
 */
export interface Tracker {
  record(hit: Hit): Offence | undefined;
  /**
   * `record` of a hit on the IPv4 address whose 32-bit value is `v4`, for a caller that parsed it from bytes
   * and has no text of it: the text is made only for an offence. Only trackers that gain by it have it.
   */
  recordIPv4?(v4: number, jail: string, at: number): Offence | undefined;
  /**
   * `recordIPv4` only when the tracker holds failures of `v4` already; `false`, recording nothing, when it
   * holds none. A caller that must check something first for an address the tracker does not know (is it
   * banned?) skips that check for one it does: an address is tracked only between its bans.
   */
  recordTrackedIPv4?(v4: number, jail: string, at: number): Offence | undefined | false;
  /** {@link recordTrackedIPv4} for an address given as text. */
  recordTracked?(address: Address, jail: string, at: number): Offence | undefined | false;
  /**
   * {@link recordTracked} for the IPv6 address `address` whose key words (core/address.ts `ipv6KeyInto`) are
   * `key[at, at + 4)`, for a caller that has them (filters/fast keeps them with the addresses it read): the
   * text is not parsed again.
   */
  recordTrackedIPv6?(key: Int32Array, at: number, address: Address, jail: string, time: number): Offence | undefined | false;
  /**
   * `record` of a hit on the IPv6 address `address` whose key words are `key[at, at + 4)`, as
   * {@link recordTrackedIPv6} takes them: a new address is filed by them, its text not parsed again.
   */
  recordIPv6?(key: Int32Array, at: number, address: Address, jail: string, time: number): Offence | undefined;
  /** Drops all state for an address (manual unban, whitelist change). Idempotent. */
  forget(address: Address): void;
  /** Drops entries that can no longer lead to an offence at `now`. */
  sweep(now: number): void;
  readonly counters: TrackerCounters;
}
