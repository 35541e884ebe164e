import type { SyslogHead } from './syslog-head.js';

/** {@link FastSpec.scan}: the regexes must decide this line. */
export const UNSURE = -2;
/** {@link FastSpec.scan}: no rule of the filter matches this line. */
export const NO_MATCH = -1;

/** What a scan leaves behind besides its answer: the head's time fields and the `<HOST>` candidate. */
export interface ScanState extends SyslogHead {
  hostStart: number;
  hostEnd: number;
  /**
   * How many rules the filter was compiled with, set once: a reader checked against several compilations (a
   * filter with and without a mode) tells them apart by it, to know whether a mode's rule is there.
   */
  rules: number;
}

/**
 * A hand-written reader for one filter's compiled rules. It must never disagree with them: `scan` returns
 * the index of the rule that matches the line first, with `hostStart`/`hostEnd` set to where the text the
 * rule's `<HOST>` group captures lies in `b`; NO_MATCH only when no rule can match; UNSURE whenever in doubt.
 *
 * The line is `b[s, e)`, bytes without its newline, and it is ASCII without NUL (the caller checks): a byte is
 * then the character the regex sees, so reading bytes is reading the string, without making one. Lines with
 * other bytes go to the regexes, which also decide what invalid UTF-8 means.
 */
export interface FastSpec {
  readonly name: string;
  /** `fingerprint(filter.rules)` (fast/index.ts: the length of the rules' text, `:`, its SHA-256) of every compilation `scan` was checked against. */
  readonly fingerprints: readonly string[];
  /**
   * A text every line holds on which `scan` reports a match: a prefilter equal to it is redundant, since a line
   * without it gets the same answer either way (counted, no match).
   */
  readonly impliedLiteral: string;
  scan(b: Uint8Array, s: number, e: number, st: ScanState): number;
}
