import { parseAddress } from '../core/address.js';
import type { StoredBan } from './store.js';

/** A row of SELECT_ACTIVE_BANS (schema-sqlite.ts). */
export type PackedBanRow = [packed: string, reason: string, origin: string];

const TAB = 9;

/**
 * The ban of one packed row; `undefined` for a damaged row (`bad` names what to report: its id and address
 * text). Read field by field without splitting: 100,000 rows are read at every start, and each string or
 * array made per row is garbage the collector copies while the heap fills with the bans themselves.
 * `last` carries the previous row's strings, so that a jail, reason and origin shared by consecutive rows
 * (nearly all of them) are kept once.
 */
export function unpackActiveBan(
  row: PackedBanRow, last: { jail: string; reason: string; origin: string }, bad: (id: number | undefined, address: string) => void,
): StoredBan | undefined {
  const [packed, reason, origin] = row;
  const ends: number[] = [];
  for (let i = packed.indexOf('\t'); i !== -1 && ends.length < 6; i = packed.indexOf('\t', i + 1)) ends.push(i);
  const id = integerAt(packed, 0, ends[0] ?? packed.length);
  const text = packed.slice((ends[ends.length - 1] ?? -1) + 1);
  if (ends.length !== 5) {
    bad(Number.isNaN(id) ? undefined : id, text);
    return undefined;
  }
  const [a, b, c, d, e] = ends as [number, number, number, number, number];
  const bannedAt = integerAt(packed, a + 1, b);
  const until = c === b + 1 ? null : integerAt(packed, b + 1, c);
  const count = integerAt(packed, c + 1, d);
  const address = parseAddress(text);
  if (address === undefined || Number.isNaN(id) || Number.isNaN(bannedAt) || Number.isNaN(count) || (until !== null && Number.isNaN(until))) {
    bad(Number.isNaN(id) ? undefined : id, text);
    return undefined;
  }
  const jail = packed.slice(d + 1, e);
  if (jail !== last.jail) last.jail = jail;
  if (reason !== last.reason) last.reason = reason;
  if (origin !== last.origin) last.origin = origin;
  return {
    id, address, jail: last.jail, bannedAt, until, count, reason: last.reason, origin: last.origin, liftedAt: null, liftReason: null,
  };
}

/**
 * Unpacks one page of SELECT_ACTIVE_BAN_PAGE (schema-sqlite.ts), `rows` rows joined by newlines, each its packed
 * column, a tab, its origin, a tab and its reason, into `out`, as {@link unpackActiveBan} unpacks a row. Returns
 * false, having unpacked nothing, when the text does not hold `rows` lines: a field holds a newline, and the
 * page is to be read row by row. The caller has made sure that the page has no irregular row (schema-sqlite.ts).
 */
export function unpackActivePage(
  text: string, rows: number, last: { jail: string; reason: string; origin: string }, bad: (id: number | undefined, address: string) => void,
  out: StoredBan[],
): boolean {
  let lines = 1;
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) lines++;
  if (lines !== rows) return false;
  const row: PackedBanRow = ['', '', ''];
  for (let from = 0; from <= text.length;) {
    const nl = text.indexOf('\n', from);
    const end = nl === -1 ? text.length : nl;
    // The sixth and seventh tabs: where the packed column and the origin end.
    let tab = from - 1;
    for (let k = 0; k < 6 && (tab = text.indexOf('\t', tab + 1)) !== -1 && tab < end;) k++;
    const originEnd = tab === -1 || tab >= end ? -1 : text.indexOf('\t', tab + 1);
    if (originEnd === -1 || originEnd >= end) {
      // Not of the page's making (a field the caller did not check): reported as a damaged row.
      bad(undefined, text.slice(from, end));
    } else {
      row[0] = text.slice(from, tab);
      row[1] = same(text, originEnd + 1, end, last.reason);
      row[2] = same(text, tab + 1, originEnd, last.origin);
      const ban = unpackActiveBan(row, last, bad);
      if (ban !== undefined) out.push(ban);
    }
    if (nl === -1) break;
    from = nl + 1;
  }
  return true;
}

/** `s[start, end)`, as `known` where it is the same text (a page's rows nearly all share reason and origin). */
const same = (s: string, start: number, end: number, known: string): string =>
  end - start === known.length && s.startsWith(known, start) ? known : s.slice(start, end);

/** The decimal integer `s[start, end)` (an optional minus, then 1–16 digits, a safe integer), or NaN. */
function integerAt(s: string, start: number, end: number): number {
  const negative = s.charCodeAt(start) === 45; // -
  const from = negative ? start + 1 : start;
  if (end <= from || end - from > 16) return NaN;
  let n = 0;
  for (let i = from; i < end; i++) {
    const digit = s.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) return NaN;
    n = n * 10 + digit;
  }
  if (n > Number.MAX_SAFE_INTEGER) return NaN;
  return negative ? -n : n;
}
