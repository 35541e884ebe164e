import type { Address } from '../core/address.js';
import type { LineStart } from './line-start.js';

/** What a filter found on one line. */
export interface Match {
  /** The line's own `<HOST>`, or (filters with sessions) the address its session learnt from an earlier line. */
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
  /**
   * Lines a rule matched that hold a NUL byte: binary data, dropped like the sources drop it (a NUL is no
   * text any server writes to a log). Invalid UTF-8 is not dropped: see docs/filters.md.
   */
  binary: number;
}

/** Where a compiled rule comes from, for `dictdefence test` and `dictdefence why`. */
export interface RuleInfo {
  /** The key it is written under: `failregex[2]`, `modes.aggressive.failregex[0]`. */
  readonly key: string;
  /** The rule as written, macros unexpanded. */
  readonly text: string;
  /** `file:line` of the rule when the filter was loaded from a file. */
  readonly where: string | undefined;
}

/**
 * A compiled filter: regexes built once at load. `match` is the hot path: it returns the canonical address
 * of a failure line, or `undefined`. `ignoreregex` wins over `failregex`. It never throws.
 *
 * A filter with sessions (`session:` in its file, session.ts) is stateful: `match` must see a source's lines
 * once each, in log order, and one instance serves one jail. Its `Match.address` may then come from an
 * earlier line of the same session, and a line may yield a failure an earlier line left pending.
 */
export interface Filter {
  readonly name: string;
  /** The rules' source text as they run (prefix added, macros expanded), indexed like `Match.rule`. */
  readonly rules: readonly string[];
  /**
   * The same rules as written, indexed like `Match.rule`. Set by `compileFilter`; optional only so that a
   * wrapper written before it existed still type-checks — a wrapper should pass it on (`{ ...filter, match }`).
   */
  readonly ruleInfo?: readonly RuleInfo[];
  readonly counters: FilterCounters;
  /**
   * The program words (filters/program.ts) of the lines this filter can match, from its `programs:`: a line
   * whose head names another program is never offered to `match`. `undefined`: offer every line. A wrapper
   * that lets `match` accept more lines must drop it.
   */
  readonly programs?: readonly string[];
  /**
   * Every line this filter can match holds one of these texts (its `prefilter:`): a router may leave out a line
   * that holds none (daemon/router.ts). A wrapper that lets `match` accept more lines must drop it.
   */
  readonly prefilter?: readonly string[];
  /** Every line this filter can match starts with a `<SYSLOG>` head (its prefix says so: filters/program.ts). */
  readonly syslogOnly?: boolean;
  /**
   * How a line with no syslog head must start for this filter to match it (filters/line-start.ts): a router
   * may leave out a line with no head that starts otherwise. `undefined`: every start. A wrapper that lets `match`
   * accept more lines must drop it.
   */
  readonly headless?: LineStart;
  /**
   * What a line whose head `<SYSLOG>` may match in several ways must go on with where such a head ends, for
   * this filter's paths that start with `<SYSLOG>` (filters/line-start.ts `afterHeadOf`); `headless` (or, for a
   * `syslogOnly` filter, nothing) covers its other paths. `undefined`: anything. A wrapper that lets `match`
   * accept more lines must drop it.
   */
  readonly afterHead?: LineStart;
  /** Called unbound (a jail reads it once): it must not use `this`. */
  match(line: string): Match | undefined;
}
