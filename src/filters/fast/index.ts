/**
 * The fast path of the filter match: for a filter whose compiled rules a hand-written reader was checked
 * against (today the shipped sshd filter, normal and aggressive), most lines are decided without a regex,
 * without a `parseAddress` slice and without a `Date`. The regexes stay the specification and the fallback:
 * the reader answers only where it is certain and hands every other line to the compiled filter's own
 * `match`, and fast.fuzz.test.ts compares both on random and hostile lines.
 *
 * A reader applies only to the exact rules it was checked against: `withFastPath` compares a fingerprint of
 * the compiled rule sources (prefix, macros and rules expanded), so any edit to the filter, to `<HOST>` or to
 * `<SYSLOG>` switches the fast path off (correct, slower) until someone checks the reader again and updates
 * its fingerprint (fast.test.ts says when, and prints the new one).
 */
import { sha256Hex } from '../../core/sha256.js';
import { parseIPv4Bytes, sharedInterner, type Address } from '../../core/address.js';
import { realClock } from '../../core/clock.js';
import { literalsRegex, type CompileOptions } from '../compile.js';
import type { Filter, Match } from '../filter.js';
import { parseLineTime } from '../line-time.js';
import type { FilterDef } from '../load.js';
import { createCandidates, type Candidates } from './candidates.js';
import { createHeadTime } from './head-time.js';
import { NO_MATCH, UNSURE, type FastSpec, type ScanState } from './spec.js';
import { sshdSpec } from './sshd.js';

const SPECS: readonly FastSpec[] = [sshdSpec];

/**
 * Fingerprint of a compiled filter's rules, as {@link FastSpec.fingerprints} lists them: the length of their
 * text, then its SHA-256. The length comes first so that only rules of a spec's length are hashed: hashing
 * every filter's rules was ~12 ms of a start with all the shipped filters (the hash runs cold, once each).
 */
export const fingerprint = (rules: readonly string[]): string => fingerprintOf(rules.join('\n'));
const fingerprintOf = (text: string): string => `${text.length}:${sha256Hex(text)}`;

/** The spec checked against exactly these rules, if any. */
function specOf(rules: readonly string[]): FastSpec | undefined {
  const text = rules.join('\n');
  const sized = `${text.length}:`;
  if (!SPECS.some((s) => s.fingerprints.some((f) => f.startsWith(sized)))) return undefined;
  const print = fingerprintOf(text);
  return SPECS.find((s) => s.fingerprints.includes(print));
}

/** The name of the spec checked against these compiled rules, or `null`: what the filter cache keeps (checked.ts). */
export const fastSpecName = (rules: readonly string[]): string | null => specOf(rules)?.name ?? null;

/** Filters that run on a fast path, and on which spec (for tests and `dictdefence test`). */
const fastFilters = new WeakMap<Filter, string>();
export const fastPathOf = (filter: Filter): string | undefined => fastFilters.get(filter);

/** Longest line (in UTF-16 units) the string entry copies into its scratch buffer; longer ones go to the regexes. */
const SCRATCH_UNITS = 16_384;

/**
 * {@link ScanIPv4}: a match whose address is IPv6: rule `hit.rule`, address `hit.address`, its key words in
 * `hit.key` (counted).
 */
export const OTHER_ADDRESS = -3;
/** An {@link IPv4Hit}'s `key` before any OTHER_ADDRESS. */
export const NO_KEY = new Int32Array(4);
export { NO_MATCH, UNSURE };

/** Where {@link ScanIPv4} leaves what it found. */
export interface IPv4Hit {
  /** The address, as the 32-bit value of its dotted quad (0 ≤ v4 < 2^32). */
  v4: number;
  /** The line's time (ms since the epoch), or NaN for a filter compiled without `withTime`. */
  time: number;
  /** With OTHER_ADDRESS: the address (interned: the same string for the same address), and the rule. */
  address: Address;
  rule: number;
  /**
   * With OTHER_ADDRESS: the address's key words (core/address.ts `ipv6KeyInto`) are `key[keyAt, keyAt + 4)`,
   * for a tracker that takes them (`Tracker.recordTrackedIPv6`); valid until the next call.
   */
  key: Int32Array;
  keyAt: number;
}

/**
 * The bytes entry for a caller that keeps IPv4 addresses as numbers (`dictdefence test`): no `Match` object,
 * no string for an IPv4 address (nor for an IPv6 one seen lately). Returns the rule with `hit.v4` and `hit.time`
 * set (also for an address written as IPv6 that is IPv4, ::ffff:192.0.2.1); NO_MATCH (counted; also a
 * candidate that is no valid address); OTHER_ADDRESS (counted: `hit.rule`, `hit.address`, `hit.key`,
 * `hit.time`); or UNSURE (nothing counted: decode the line and call `match`).
 * `now` is what the clock says, for the year of a syslog time: the caller may read it once per chunk.
 */
export type ScanIPv4 = (b: Uint8Array, start: number, end: number, now: number, hit: IPv4Hit) => number;
const ipv4Entries = new WeakMap<Filter, ScanIPv4>();
export const scanIPv4Of = (filter: Filter): ScanIPv4 | undefined => ipv4Entries.get(filter);

/** The entry of a fast filter for a caller with lines as strings (a jail: daemon/jail.ts). */
export interface ScanIPv4Line {
  /**
   * {@link ScanIPv4} on a line given as a string, with the same answers and counts as `match` would give: the
   * line is copied as ASCII into a scratch buffer; a line that is not ASCII, is too long, or fails a prefilter
   * the reader does not imply is UNSURE. The filter's own clock dates the line.
   */
  scan(line: string, hit: IPv4Hit): number;
  /**
   * `scan` on the line `b[start, end)` as read, for a caller that has its bytes (a jail fed by the line
   * splitter's sink: ASCII, no NUL, within the cap), with the same answers and counts; no copy.
   */
  bytes(b: Uint8Array, start: number, end: number, hit: IPv4Hit): number;
  /** The filter's regexes alone, for a line `scan` was UNSURE of: `match` would copy and read it again first. */
  regexes(line: string): Match | undefined;
}
const lineEntries = new WeakMap<Filter, ScanIPv4Line>();
export const scanIPv4LineOf = (filter: Filter): ScanIPv4Line | undefined => lineEntries.get(filter);

/**
 * `filter` with a fast path in front of its `match` when one of the specs was checked against its rules (or
 * `spec` is given: tests force one onto rules it may no longer fit, to see where they differ); else `filter`.
 * `known`: the spec's name (or `null`, none) as the filter cache knows it for these rules, instead of their
 * fingerprint; `undefined` when not known.
 */
export function withFastPath(def: FilterDef, options: CompileOptions, filter: Filter, spec?: FastSpec, known?: string | null): Filter {
  if (def.ignoreregex.length > 0) return filter;
  const chosen = spec ?? (known === undefined ? specOf(filter.rules) : SPECS.find((s) => s.name === known));
  if (chosen === undefined) return filter;

  const { counters, match: slow } = filter;
  const { maxLineLength } = options;
  // The reader's own checks imply a prefilter equal to its literal; any other is checked here as compile.ts does.
  const implied = def.prefilter?.length === 1 && def.prefilter[0] === chosen.impliedLiteral;
  const prefilter = implied || def.prefilter === undefined ? undefined : literalsRegex(def.prefilter);
  const prefilterBytes = implied ? undefined : def.prefilter?.map((p) => Buffer.from(p));
  const clock = options.clock ?? realClock;
  const withTime = options.withTime === true;
  const times = createHeadTime();
  const st: ScanState = {
    monthKey: 0, year: 0, month: 0, day: 0, hour: 0, minute: 0, second: 0, ms: 0, zoneSign: 0, zoneHours: 0, zoneMinutes: 0,
    hostStart: 0, hostEnd: 0, rules: filter.rules.length,
  };
  // A string line is copied here as UTF-8: when that takes one byte per unit, it was ASCII and the reader applies.
  const scratch = Buffer.allocUnsafe(3 * Math.min(SCRATCH_UNITS, maxLineLength));
  const encoder = new TextEncoder();
  // One string per address seen lately: fewer allocations, and Maps and Sets downstream hash it only once.
  // IPv4 by value (as int32, which V8 keeps unboxed); the others in `seen`, by their bytes.
  const v4 = sharedInterner();

  // The candidates that are not a dotted quad, answered by their bytes; made at the first one.
  let seen: Candidates | undefined;
  /** The slot of `seen` answering the candidate `b[st.hostStart, st.hostEnd)`, which is not a dotted quad. */
  const seenSlot = (b: Uint8Array): number => (seen ??= createCandidates()).slotOf(b, st.hostStart, st.hostEnd);

  /** The address of the candidate `b[st.hostStart, st.hostEnd)`; `null`: not one <HOST> takes whole. */
  function addressAt(b: Uint8Array): Address | undefined | null {
    const value = parseIPv4Bytes(b, st.hostStart, st.hostEnd);
    // A strict dotted quad is what <HOST>'s IPv4 branch matches, and its own canonical text.
    if (value >= 0) return v4.ofIPv4(value);
    const slot = seenSlot(b);
    return seen!.answers[slot];
  }

  /**
   * The reader's answer for the line `line`, copied as ASCII into `b[s, e)`, counted as compile.ts counts it;
   * `null` where the regexes must decide (nothing counted then).
   */
  function decide(b: Uint8Array, s: number, e: number, line: string): Match | undefined | null {
    const rule = chosen!.scan(b, s, e, st);
    if (rule === UNSURE) return null;
    if (rule < 0) {
      counters.lines++;
      return undefined;
    }
    const address = addressAt(b);
    if (address === null) return null;
    let time: number | undefined;
    if (withTime) {
      const now = clock.now();
      const t = times.of(st, now);
      time = t === null ? parseLineTime(line, now) : t;
    }
    counters.lines++;
    if (line.indexOf('\u0000') !== -1) {
      counters.binary++;
      return undefined;
    }
    if (address === undefined) {
      counters.badAddress++;
      return undefined;
    }
    counters.perRule[rule]!++;
    return time === undefined ? { address, rule } : { address, rule, time };
  }

  /** With `line`, the text the bytes were copied from: a match on a line holding a NUL is dropped as `decide` drops it. */
  function scanIPv4(b: Uint8Array, s: number, e: number, now: number, hit: IPv4Hit, line?: string): number {
    if (e - s > maxLineLength) return UNSURE;
    if (prefilterBytes !== undefined && !prefilterBytes.some((p) => includesBytes(b, s, e, p))) return UNSURE;
    const rule = chosen!.scan(b, s, e, st);
    if (rule < 0) {
      if (rule === NO_MATCH) counters.lines++;
      return rule;
    }
    let v4 = parseIPv4Bytes(b, st.hostStart, st.hostEnd);
    // Another candidate: its interned address, as `decide` would put it in a Match, or its IPv4 value.
    let address: Address | undefined;
    let slot = -1;
    if (v4 < 0) {
      slot = seenSlot(b);
      const answer = seen!.answers[slot];
      if (answer === null) return UNSURE;
      address = answer;
      v4 = seen!.ipv4[slot]!;
    }
    let time = NaN;
    if (withTime) {
      const t = times.of(st, now);
      // An impossible date, or a clock line-time.ts must judge: the string path says what that means.
      if (t === null || t === undefined) return UNSURE;
      time = t;
    }
    counters.lines++;
    if (line !== undefined && line.indexOf('\u0000') !== -1) {
      counters.binary++;
      return NO_MATCH;
    }
    hit.time = time;
    if (v4 >= 0) {
      counters.perRule[rule]!++;
      hit.v4 = v4;
      return rule;
    }
    if (address === undefined) {
      counters.badAddress++;
      return NO_MATCH;
    }
    counters.perRule[rule]!++;
    hit.address = address;
    hit.rule = rule;
    hit.key = seen!.keys;
    hit.keyAt = slot * 4;
    return OTHER_ADDRESS;
  }

  /** `line` copied into `scratch` as ASCII: its length, or -1 where the reader does not apply (the regexes decide). */
  function copied(line: string): number {
    if (line.length > maxLineLength || line.length * 3 > scratch.length) return -1;
    if (prefilter !== undefined && !prefilter.test(line)) return -1;
    const { read, written } = encoder.encodeInto(line, scratch);
    return read === line.length && written === read ? written : -1;
  }

  function match(line: string): Match | undefined {
    const n = copied(line);
    const m = n < 0 ? null : decide(scratch, 0, n, line);
    return m === null ? slow(line) : m;
  }

  function scanLine(line: string, hit: IPv4Hit): number {
    const n = copied(line);
    return n < 0 ? UNSURE : scanIPv4(scratch, 0, n, withTime ? clock.now() : 0, hit, line);
  }

  const fast: Filter = { ...filter, match };
  fastFilters.set(fast, chosen.name);
  ipv4Entries.set(fast, scanIPv4);
  lineEntries.set(fast, {
    scan: scanLine,
    bytes: (b, start, end, hit) => scanIPv4(b, start, end, withTime ? clock.now() : 0, hit),
    regexes: slow,
  });
  return fast;
}

/** Whether `b[s, e)` contains `word`. */
function includesBytes(b: Uint8Array, s: number, e: number, word: Uint8Array): boolean {
  const n = word.length, first = word[0];
  if (n === 0) return true;
  outer: for (let i = s; i + n <= e; i++) {
    if (b[i] !== first) continue;
    for (let j = 1; j < n; j++) if (b[i + j] !== word[j]) continue outer;
    return true;
  }
  return false;
}
