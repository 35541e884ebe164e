import { parseRegex } from './regex/parse.js';
import type { Node } from './regex/ast.js';
import { afterLeading, canBeEmpty } from './regex/after-macro.js';
import { startMarker, type StartMarker } from './regex/starts.js';
import { HOST_PATTERN } from './host.js';
import { DATE_PATTERN, SYSLOG_HOST_MAX, SYSLOG_TIME_PATTERN } from './line-time.js';

/**
 * What a line without a syslog head must start with for a filter to match it, read from its rules: servers'
 * own log formats (nginx's `2026/11/25 …`, Apache's `[Wed Nov 25 …]`, an access log's address, vsftpd's
 * `Wed Nov 25 16:55:59 2026 …`) start differently, so a router that sees a line with no syslog head offers it
 * only to the filters it can start (daemon/router.ts), instead of to every filter whose prefix does not
 * require a head. The filter's `<SYSLOG>` cannot match at the start of such a line (that is what having no
 * syslog head means, filters/program.ts `hasSyslogHead`), so it is left out there; anywhere else, and wherever
 * the rules give no certainty, any character passes. A line whose head `<SYSLOG>` may match in several ways
 * (Exim's own `2026-11-25 16:55:59 …`, FreeBSD's `<auth.info>`) is read with the same tables at its start, for
 * a filter's other paths, and with tables of what follows a `<SYSLOG>` the filter starts with (`afterHeadOf`)
 * wherever such a head can end in it (`headEnds`).
 */
export interface LineStart {
  /** `WIDTH` rows of 256: row `i`, column `c`, is 1 where a line's character `i` may be the unit `c` (255: 255 or above). */
  readonly table: Uint8Array;
}

/** Characters looked at: enough to tell `dddd/dd/dd` from `dddd-dd-dd` and from an IPv4 address, few enough to cost nothing. */
export const START_WIDTH = 8;

const MACROS: ReadonlySet<string> = new Set(['SYSLOG', 'HOST', 'DATE']);
const parse = (source: string): Node => parseRegex(source, { dialect: 'js', macros: MACROS });
let host: Node | undefined, date: Node | undefined;
/** What a macro is where it stands in a line with no syslog head (see the top of this file). */
const resolve = (name: string, at: number): Node | 'never' | 'any' => {
  if (name === 'HOST') return (host ??= parse(HOST_PATTERN));
  if (name === 'DATE') return (date ??= parse(DATE_PATTERN));
  return name === 'SYSLOG' && at === 0 ? 'never' : 'any';
};
/**
 * A numbered or named backreference: read alone, a rule would not have the prefix's groups (nor the macros'),
 * and `\1` with no group 1 is an octal escape to JavaScript. Such a piece is taken as able to hold anything.
 */
const REFERS = /\\(?:[1-9]|k)/;

/** A piece of a filter as the marker reads it; a backreference (see REFERS) lets anything through from `from` on. */
const walkPiece = (m: StartMarker, text: string, from: number): number => {
  if (!REFERS.test(text)) return m.walk(parse(text), from);
  m.end(from);
  return 0;
};
/** The places before the `START_WIDTH`th character (bit `START_WIDTH` is "past them"). */
const WITHIN = (1 << START_WIDTH) - 1;

/** The table, or `undefined` when it lets every start through (a line start tells nothing then). */
const tableOf = (table: Uint8Array): LineStart | undefined => (table.every((x) => x === 1) ? undefined : { table });

/**
 * The start of the lines without a syslog head that a filter with this `prefix` (as written, macros and all)
 * and these rules can match. `undefined` when any start can (a piece that does not parse is taken as such).
 */
export function lineStartOf(prefix: string, rules: readonly string[]): LineStart | undefined {
  const table = new Uint8Array(START_WIDTH * 256);
  const m = startMarker(START_WIDTH, table, resolve);
  try {
    const after = prefix === '' ? 1 : walkPiece(m, prefix, 1);
    // Past the first START_WIDTH characters (bit START_WIDTH) nothing is read: the rules are not parsed then.
    if ((after & WITHIN) !== 0) for (const rule of rules) m.end(walkPiece(m, rule, after));
  } catch {
    return undefined;
  }
  return tableOf(table);
}

/**
 * Where a line's `<SYSLOG>` head ends, what a filter with this `prefix` and these rules can go on with, on the
 * paths that match `<SYSLOG>` at the line's start (the other paths are `lineStartOf`'s). A line whose head
 * `<SYSLOG>` may match in more than one way (FreeBSD's ` <auth.info>`, an ISO time with a space for its `T`,
 * as in Exim's own log) is offered to a filter only if one of those ways can end (`headEnds`) where the
 * filter goes on (daemon/router.ts). A table that refuses every start where no path starts with `<SYSLOG>`;
 * `undefined` when any start can follow it.
 */
export function afterHeadOf(prefix: string, rules: readonly string[]): LineStart | undefined {
  const table = new Uint8Array(START_WIDTH * 256);
  // Past the line's start a <SYSLOG> is any text (the head looked for is the one at the start).
  const m = startMarker(START_WIDTH, table, (name) => (name === 'SYSLOG' ? 'any' : resolve(name, 1)));
  /** Walks what the tree goes on with after a `<SYSLOG>` it starts with, from the head's end (place 0); the places it can end. */
  const derived = (tree: Node): number => {
    const rest = afterLeading(tree, 'SYSLOG');
    return rest === undefined ? 0 : m.walk(rest, 1);
  };
  try {
    if (REFERS.test(prefix)) return undefined;
    const tree = prefix === '' ? undefined : parse(prefix);
    const after = tree === undefined ? 0 : derived(tree);
    if ((after & WITHIN) !== 0) for (const rule of rules) m.end(walkPiece(m, rule, after));
    // Where the prefix can match nothing, a rule may start with the head itself.
    if (tree === undefined || canBeEmpty(tree)) {
      for (const rule of rules) {
        if (REFERS.test(rule)) return undefined;
        m.end(derived(parse(rule)));
      }
    }
  } catch {
    return undefined;
  }
  return tableOf(table);
}

/** A table as text (a bit a cell, base64), for the filter cache; `null` for `undefined` (any start). */
export function packStart(start: LineStart | undefined): string | null {
  if (start === undefined) return null;
  const bits = Buffer.alloc(start.table.length / 8);
  start.table.forEach((v, x) => { if (v === 1) bits[x >> 3]! |= 1 << (x & 7); });
  return bits.toString('base64');
}

/** `packStart` undone; `undefined` for a text that is not a packed table of this width. */
export function unpackStart(text: string | null): LineStart | undefined {
  if (text === null) return undefined;
  const bits = Buffer.from(text, 'base64');
  if (bits.length !== START_WIDTH * 32) return undefined;
  const table = new Uint8Array(START_WIDTH * 256);
  for (let x = 0; x < table.length; x++) table[x] = (bits[x >> 3]! >> (x & 7)) & 1;
  return { table };
}

/**
 * The most characters of the time a `<SYSLOG>` head starts with (line-time.ts), as `headTimeMaxLength` reads it
 * off the pattern; a test holds the two together. A constant because reading it parsed the pattern at every
 * start, ~3.5 ms of a `dictdefence test` that needs nothing else of the regex parser.
 */
export const MAX_HEAD_TIME = 66;
export const headTimeMaxLength = (): number => maxLength(parse(SYSLOG_TIME_PATTERN));

/**
 * Where a `<SYSLOG>` head at the start of `text` can end, a superset, into `out` (which grows as needed); how
 * many. The head is a time of at most MAX_HEAD_TIME characters, a space, a host of 1 to SYSLOG_HOST_MAX
 * characters none of which is a space, and a space. So for each space at or before place MAX_HEAD_TIME (where
 * the time may end), the head may end right after the next space, if that one comes 2 to SYSLOG_HOST_MAX + 1
 * places later. A filter's `afterHead` is then asked at each (`startsAsMask`).
 */
export function headEnds(text: string, out: number[]): number {
  let count = 0;
  for (let t = text.indexOf(' ', 1); t !== -1 && t <= MAX_HEAD_TIME; t = text.indexOf(' ', t + 1)) {
    const e = text.indexOf(' ', t + 1);
    if (e === -1) break;
    if (e > t + 1 && e - t - 1 <= SYSLOG_HOST_MAX) out[count++] = e + 1;
  }
  return count;
}

/** Whether `text` (a line with no syslog head) starts as `start` allows. */
export const startsAs = (start: LineStart, text: string): boolean => startsAsAt(start, text, 0);

/** Whether `text` from `from` on starts as `start` allows. */
export function startsAsAt(start: LineStart, text: string, from: number): boolean {
  const t = start.table;
  const n = text.length - from < START_WIDTH ? text.length - from : START_WIDTH;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(from + i);
    if (t[(i << 8) | (c > 255 ? 255 : c)] === 0) return false;
  }
  return true;
}

/**
 * The tables of up to 31 filters (`undefined`: every start passes) as one: row `i`, column `c`, holds bit `k` where the
 * `k`th lets the unit `c` be a line's character `i`. `startsAsMask` then asks them all at once, a lookup per
 * character instead of per character and filter.
 */
export function startMasks(starts: readonly (LineStart | undefined)[]): Int32Array {
  if (starts.length > 31) throw new RangeError(`${starts.length} tables: 31 at most`);
  const masks = new Int32Array(START_WIDTH * 256);
  for (let k = 0; k < starts.length; k++) {
    const t = starts[k]?.table;
    const bit = 1 << k;
    for (let x = 0; x < masks.length; x++) if (t === undefined || t[x] === 1) masks[x]! |= bit;
  }
  return masks;
}

/** Of the filters of `wanted` (bits, as in `startMasks`), those whose table lets `text` from `from` on start as it does. */
export function startsAsMask(masks: Int32Array, text: string, from: number, wanted: number): number {
  let m = wanted;
  const n = text.length - from < START_WIDTH ? text.length - from : START_WIDTH;
  for (let i = 0; i < n && m !== 0; i++) {
    const c = text.charCodeAt(from + i);
    m &= masks[(i << 8) | (c > 255 ? 255 : c)]!;
  }
  return m;
}

/** The most characters a match of `node` can take (Infinity when unbounded); a macro's is not known. */
function maxLength(node: Node): number {
  switch (node.type) {
    case 'char': return 1;
    case 'group': return node.kind === 'capture' || node.kind === 'plain' ? maxLength(node.body) : 0;
    case 'seq': return node.items.reduce((sum, i) => sum + maxLength(i), 0);
    case 'alt': return Math.max(...node.alts.map(maxLength));
    case 'cond': return Math.max(maxLength(node.yes), maxLength(node.no));
    case 'repeat': { const one = maxLength(node.body); return node.max === 0 || one === 0 ? 0 : node.max * one; }
    case 'assert': return 0;
    default: return Infinity;
  }
}
