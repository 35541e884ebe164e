import type { Address } from './address.js';

/** One whole line of log text, as a source delivered it. */
export interface LogLine {
  readonly text: string;
  /** Source id (e.g. `file:/var/log/auth.log`), for counters and `why`. */
  readonly source: string;
  /** Milliseconds since the epoch, from the injected clock when the line was read. */
  readonly receivedAt: number;
}

/** A line that a filter matched and whose address passed parsing and the whitelist. */
export interface Hit {
  readonly address: Address;
  readonly jail: string;
  /** Milliseconds since the epoch: the line's own timestamp on replay, else `receivedAt`. */
  readonly at: number;
  readonly line: string;
  /** Index of the filter rule that matched (0-based within the compiled filter). */
  readonly rule?: number;
}

/** A tracker's verdict that an address crossed its jail's threshold. */
export interface Offence {
  readonly address: Address;
  readonly jail: string;
  readonly at: number;
  /** How many failures the tracker counted (window) or the rate it saw (ema), for the ban reason. */
  readonly failures: number;
  readonly reason: string;
}

/** One ban of one address in one jail. */
export interface Ban {
  readonly address: Address;
  readonly jail: string;
  /** Milliseconds since the epoch. */
  readonly bannedAt: number;
  /** Milliseconds since the epoch; `null` means permanent (never lifted by the schedule). */
  readonly until: number | null;
  /** 1 for a first offence, n for the n-th ban of this address in this jail within retention. */
  readonly count: number;
  readonly reason: string;
}

/** Errors are values at boundaries: a result carries either the value or a message. */
export type Result<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: string };

export const ok = <T>(value: T): Result<T> => ({ ok: true, value });
export const err = <T = never>(error: string): Result<T> => ({ ok: false, error });

/** Milliseconds left until `ban` ends, or `null` when it is permanent. */
export function remainingMs(ban: Ban, now: number): number | null {
  return ban.until === null ? null : Math.max(0, ban.until - now);
}

export const banKey = (jail: string, address: Address): string => `${jail}\u0000${address}`;
