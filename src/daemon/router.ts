import type { LogLine } from '../core/types.js';
import { headEnds, startMasks, startsAsMask } from '../filters/line-start.js';
import { hasSyslogHead, isWordUnit, programWordStart } from '../filters/program.js';
import type { Source, TakeBytes } from '../sources/source.js';
import { eachAlone } from './each-alone.js';
import type { Jail } from './jail.js';
import { createBytesRouter } from './router-bytes.js';

/**
 * Hands the lines of one source to the jails that read it, reading each line's head once (filters/program.ts)
 * however many jails there are:
 * - a line whose syslog head is certain goes to the jails whose filter names its program (`Filter.programs`)
 *   and to those whose filter names none;
 * - a line with no syslog head at all skips the filters that require one (`Filter.syslogOnly`), and those
 *   whose rules cannot start as it does (`Filter.headless`, filters/line-start.ts);
 * - a line whose head `<SYSLOG>` may match in more than one way goes to the jails whose filter can start as
 *   the line does without that head (`Filter.headless`), or go on as the line does where one of those ways
 *   ends (`Filter.afterHead`).
 * Jails get their share in log order, one jail after the other in the order given, as if each had read the
 * whole batch; every jail counts the whole batch as delivered (`JailCounters.lines`).
 */
export interface LineRouter {
  /** Synchronous and never throws (as `Jail.handle`). */
  deliver(lines: readonly LogLine[]): void;
  /**
   * Present when a jail of the source takes lines as bytes (`Jail.takeBytes`): hands on the line
   * `b[start, end)` before a string is made of it. With one jail, that jail's own `takeBytes`; with more,
   * see router-bytes.ts. Synchronous and never throws.
   */
  readonly take?: TakeBytes;
}

/** Which jails a line goes to, by what its head says, as jail indexes in the order given. */
export interface Routes {
  /** The jails of a line given as text. */
  ofText(text: string): readonly number[];
  /** The jails of the ASCII line `b[…, end)` whose certain head ends at `at`, where its program word starts. */
  namedBytes(b: Uint8Array, at: number, end: number): readonly number[];
}

function createRoutes(jails: readonly Jail[]): Routes {
  const indexes = (keep: (j: Jail) => boolean): number[] => jails.flatMap((j, i) => (keep(j) ? [i] : []));
  const all = indexes(() => true);
  const unnamed = indexes((j) => j.filter.programs === undefined);
  const noHead = indexes((j) => j.filter.syslogOnly !== true);
  // The jails of each program word, filed by the word's first unit: a line's word is then found by comparing
  // it in place, with no string made of it and none hashed. Measured on the bench's whole library: the router
  // went from 10 % of the profile to 6 %, the run from 5.31 to 4.86 G instructions (200,000 lines).
  const byFirst: { word: string; to: number[] }[][] = Array.from({ length: 128 }, () => []);
  for (const word of new Set(jails.flatMap((j) => j.filter.programs ?? []))) {
    const to = indexes((j) => j.filter.programs === undefined || j.filter.programs.includes(word));
    byFirst[word.charCodeAt(0)]?.push({ word, to });
  }
  // An empty word (a program named "(sd-pam)"): load.ts refuses such a name in `programs:`, kept exact anyway.
  const empty = indexes((j) => j.filter.programs === undefined || j.filter.programs.includes(''));
  const named = (text: string, at: number): number[] => {
    const first = text.charCodeAt(at);
    if (!isWordUnit(first)) return empty;
    const list = byFirst[first];
    if (list !== undefined) {
      // By unit: `startsWith` was measured at ~100 ns a call here.
      next: for (const { word, to } of list) {
        const n = word.length;
        if (isWordUnit(text.charCodeAt(at + n))) continue;
        for (let i = 1; i < n; i++) if (text.charCodeAt(at + i) !== word.charCodeAt(i)) continue next;
        return to;
      }
    }
    return unnamed;
  };
  // As `named`, on ASCII bytes (a byte is then the unit the text would have); nothing at or past `end` is read.
  // Two loops, not one reading units through a function: that would be a call per unit of every line's word.
  const namedBytes = (b: Uint8Array, at: number, end: number): number[] => {
    const first = at < end ? b[at]! : NaN;
    if (!isWordUnit(first)) return empty;
    const list = byFirst[first];
    if (list !== undefined) {
      next: for (const { word, to } of list) {
        const n = word.length;
        if (at + n > end || (at + n < end && isWordUnit(b[at + n]!))) continue;
        for (let i = 1; i < n; i++) if (b[at + i] !== word.charCodeAt(i)) continue next;
        return to;
      }
    }
    return unnamed;
  };
  const headless = headlessRoutes(jails, noHead);
  const uncertain = uncertainRoutes(jails, all);
  const ofText = (text: string): readonly number[] => {
    const at = programWordStart(text);
    return at >= 0 ? named(text, at) : hasSyslogHead(text) ? uncertain(text) : headless(text);
  };
  return { ofText, namedBytes };
}

/** Jails a mask can name at most: one bit each in a 32-bit integer, the sign bit left alone. */
const MASK_JAILS = 31;
/**
 * Lists of jails kept at most. The lines choose the masks (an attacker can write lines that many jails' starts
 * tell apart in many ways), so past this many a list is made for its line and not kept.
 */
export const MAX_ROUTE_LISTS = 128;

/**
 * The jails of a line with no syslog head: of `noHead` (the jails whose filter does not require a head), those
 * whose filter can start as the line starts (`Filter.headless`, filters/line-start.ts). The lists are made
 * once per set of jails, filed by its bit mask. On the bench's mixed corpus, whose ~125,000 lines with no head
 * (web servers' own logs, vsftpd's, Dropbear's) each went to the 8 jails not requiring one, the 16 jails
 * beside sshd were offered 1.16 M lines instead of 1.81 M, and took 618–665 ms instead of 716–857 ms (three
 * runs each, interleaved; docs/performance.md).
 */
function headlessRoutes(jails: readonly Jail[], noHead: readonly number[]): (text: string) => readonly number[] {
  const starts = noHead.map((j) => jails[j]!.filter.headless);
  if (noHead.length > MASK_JAILS || starts.every((s) => s === undefined)) return () => noHead;
  const masks = startMasks(starts);
  const listOf = listsByMask(noHead);
  const every = 2 ** noHead.length - 1;
  return (text) => listOf(startsAsMask(masks, text, 0, every));
}

/**
 * The jails of a line whose head `<SYSLOG>` may match in several ways (FreeBSD's `<auth.info>`, an ISO time with
 * a space for its `T` as in Exim's own log; filters/program.ts): those whose filter can match it without a
 * head there (`Filter.headless`; none for a filter that requires one) or go on, where one of the ways the head
 * can end, as the line does (`Filter.afterHead`). On the bench's mixed corpus, whose 29,189 such lines (Exim's
 * and Dovecot's own) each went to all 17 jails, the 16 jails beside sshd are offered 835,490 lines instead of
 * 1,157,723; the run of all 17 took 1,518 ms instead of 1,594 (medians of 15, interleaved; most of the lines
 * left out failed their filter's prefix at once, so the gain is small: −0.3 % of instructions on 200,000 lines).
 */
function uncertainRoutes(jails: readonly Jail[], all: readonly number[]): (text: string) => readonly number[] {
  const starts = jails.map((j) => j.filter.headless);
  const after = jails.map((j) => j.filter.afterHead);
  if (jails.length > MASK_JAILS || jails.every((j, k) => (j.filter.syslogOnly !== true && starts[k] === undefined) || after[k] === undefined)) {
    return () => all;
  }
  const every = 2 ** jails.length - 1;
  // A filter that requires a head has no path without one.
  const headed = jails.reduce((m, j, k) => (j.filter.syslogOnly === true ? m : m | (1 << k)), 0);
  const startMask = startMasks(starts), afterMask = startMasks(after);
  const listOf = listsByMask(all);
  const ends: number[] = [];
  return (text) => {
    let mask = startsAsMask(startMask, text, 0, headed);
    if (mask === every) return all;
    const count = headEnds(text, ends);
    for (let e = 0; e < count && mask !== every; e++) mask |= startsAsMask(afterMask, text, ends[e]!, every & ~mask);
    return listOf(mask);
  };
}

/**
 * The lists of `members` named by bit masks (bit `k`: `members[k]`), each made once. The lines choose the
 * masks, so past MAX_ROUTE_LISTS a list is made for its line and not kept.
 */
function listsByMask(members: readonly number[]): (mask: number) => readonly number[] {
  const lists = new Map<number, readonly number[]>();
  return (mask) => {
    let list = lists.get(mask);
    if (list === undefined) {
      list = members.filter((_, k) => (mask & (1 << k)) !== 0);
      if (lists.size < MAX_ROUTE_LISTS) lists.set(mask, list);
    }
    return list;
  };
}

export function createLineRouter(jails: readonly Jail[]): LineRouter {
  // One jail, or no filter that says what it reads: the heads would be read for nothing.
  if (jails.length < 2 || jails.every((j) => j.filter.programs === undefined && j.filter.syslogOnly !== true)) {
    const take = jails.length === 1 ? jails[0]!.takeBytes : undefined;
    return { deliver: (lines) => { eachAlone(jails.length, (i) => { jails[i]!.handle(lines); }); }, ...(take === undefined ? {} : { take }) };
  }
  const routes = createRoutes(jails);
  const deliverText = (lines: readonly LogLine[]): void => {
    const shares: LogLine[][] = jails.map(() => []);
    for (const line of lines) {
      const to = routes.ofText(line.text);
      for (let k = 0; k < to.length; k++) shares[to[k]!]!.push(line);
    }
    eachAlone(jails.length, (i) => { jails[i]!.handle(shares[i]!, lines.length); });
  };
  const bytes = createBytesRouter(jails, routes);
  if (bytes === undefined) return { deliver: deliverText };
  return {
    // What the bytes router holds back came first: it goes on before these lines, to keep each jail's order.
    deliver(lines) {
      try {
        bytes.end();
      } finally {
        deliverText(lines);
      }
    },
    take: bytes,
  };
}

/** A router per source, for the jails that read it (in the order given). */
export function routersBySource(jails: Iterable<Jail>): Map<Source, LineRouter> {
  const readers = new Map<Source, Jail[]>();
  for (const j of jails) for (const s of j.sources) readers.set(s, [...(readers.get(s) ?? []), j]);
  return new Map([...readers].map(([s, list]) => [s, createLineRouter(list)]));
}
