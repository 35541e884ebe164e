import type { Address } from '../core/address.js';

/** What a filter found on one line. */
export interface Match {
  readonly address: Address;
  /** Index of the failregex rule that matched. */
  readonly rule: number;
  /** The line's own time (ms since the epoch) when the filter parsed one and was asked to. */
  readonly time?: number;
}

export interface FilterCounters {
  /** Lines tested. */
  lines: number;
  /** Matches per failregex rule. */
  readonly perRule: number[];
  /** Lines a failregex matched but an ignoreregex excluded. */
  ignored: number;
  /** A rule matched but the captured text was no valid address (odd notations, hostile input). */
  badAddress: number;
  /** Lines over the length cap. */
  overlong: number;
}

/**
 * A compiled filter: regexes built once at load. `match` is the hot path: it returns the canonical address
 * of a failure line, or `undefined`. `ignoreregex` wins over `failregex`. It never throws.
 */
export interface Filter {
  readonly name: string;
  /** The rules' source text after `<HOST>` expansion, for `test` and `why`. */
  readonly rules: readonly string[];
  readonly counters: FilterCounters;
  match(line: string): Match | undefined;
}
