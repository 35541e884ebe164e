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
