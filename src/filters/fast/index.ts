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
import { createHash } from 'node:crypto';
import { ipv4Address, parseAddress, parseIPv4Span, type Address } from '../../core/address.js';
import { realClock } from '../../core/clock.js';
import type { CompileOptions } from '../compile.js';
import type { Filter, Match } from '../filter.js';
import { HOST_PATTERN } from '../host.js';
import { parseLineTime } from '../line-time.js';
import type { FilterDef } from '../load.js';
import { createBsdTime } from './bsd-time.js';
import { UNSURE, type FastSpec, type ScanState } from './spec.js';
import { sshdSpec } from './sshd.js';

const SPECS: readonly FastSpec[] = [sshdSpec];

/** Fingerprint of a compiled filter's rules, as {@link FastSpec.fingerprints} lists them. */
export const fingerprint = (rules: readonly string[]): string => createHash('sha256').update(rules.join('\n')).digest('hex');

/** Filters that run on a fast path, and on which spec (for tests and `dictdefence test`). */
const fastFilters = new WeakMap<Filter, string>();
export const fastPathOf = (filter: Filter): string | undefined => fastFilters.get(filter);

/** `<HOST>` on its own, whole: whether a rule's group could capture exactly this text. */
const HOST_EXACT = new RegExp(`^(?:${HOST_PATTERN})$`);
/** Distinct IPv6 texts kept at once; the cache starts over when full. */
const INTERN_MAX = 1 << 16;
/** Slots of the IPv4 string cache (direct-mapped: a slot holds the last address that hashed to it). */
const V4_SLOTS = 1 << 16;

/**
 * `filter` with a fast path in front of its `match` when one of the specs was checked against its rules (or
 * `spec` is given: tests force one onto rules it may no longer fit, to see where they differ); else `filter`.
 */
export function withFastPath(def: FilterDef, options: CompileOptions, filter: Filter, spec?: FastSpec): Filter {
  if (def.ignoreregex.length > 0) return filter;
  const print = fingerprint(filter.rules);
  const chosen = spec ?? SPECS.find((s) => s.fingerprints.includes(print));
  if (chosen === undefined) return filter;

  const { counters, match: slow } = filter;
  const { maxLineLength } = options;
  // The reader's own checks imply a prefilter equal to its literal; any other is checked here as compile.ts does.
  const prefilter = def.prefilter === chosen.impliedLiteral ? undefined : def.prefilter;
  const clock = options.clock ?? realClock;
  const withTime = options.withTime === true;
  const times = createBsdTime();
  const st: ScanState = { monthKey: 0, day: 0, hour: 0, minute: 0, second: 0, hostStart: 0, hostEnd: 0 };
  // One string per address seen lately: fewer allocations, and Maps and Sets downstream hash it only once.
  // IPv4 by value (as int32, which V8 keeps unboxed), IPv6 by its text as written; `null`: <HOST> refuses it.
  const v4Keys = new Int32Array(V4_SLOTS);
  const v4Texts = new Array<Address | undefined>(V4_SLOTS).fill(undefined);
  const interned6 = new Map<string, Address | undefined | null>();

  function match(line: string): Match | undefined {
    if (line.length > maxLineLength || (prefilter !== undefined && !line.includes(prefilter))) return slow(line);
    const rule = chosen!.scan(line, st);
    if (rule === UNSURE) return slow(line);
    if (rule < 0) {
      counters.lines++;
      return undefined;
    }
    const { hostStart, hostEnd } = st;
    // The address as compile.ts gets it: `parseAddress` of what `<HOST>` captured, which must match it whole.
    let address: Address | undefined;
    const v4 = parseIPv4Span(line, hostStart, hostEnd);
    if (v4 >= 0) {
      // A strict dotted quad is what <HOST>'s IPv4 branch matches, and its own canonical text.
      const key = v4 | 0;
      const slot = Math.imul(key, 0x9e3779b1) >>> 16;
      address = v4Texts[slot];
      if (address === undefined || v4Keys[slot] !== key) {
        address = ipv4Address(v4);
        v4Keys[slot] = key;
        v4Texts[slot] = address;
      }
    } else {
      const text = line.slice(hostStart, hostEnd);
      let known = interned6.get(text);
      if (known === undefined && !interned6.has(text)) {
        // Not an address <HOST> takes whole (999.1.1.1, a host name): the regexes say what happens then.
        known = text.indexOf(':') === -1 || !HOST_EXACT.test(text) ? null : parseAddress(text);
        if (interned6.size >= INTERN_MAX) interned6.clear();
        interned6.set(text, known);
      }
      if (known === null) return slow(line);
      address = known;
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
    if (!withTime) return { address, rule };
    const now = clock.now();
    let time = times.of(st, now);
    if (time === null) time = parseLineTime(line, now);
    return time === undefined ? { address, rule } : { address, rule, time };
  }

  const fast: Filter = { ...filter, match };
  fastFilters.set(fast, chosen.name);
  return fast;
}
