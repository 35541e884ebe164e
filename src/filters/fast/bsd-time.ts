import { monthKey, type BsdHead } from './syslog-head.js';

/**
 * `parseLineTime(line, now)` (filters/line-time.ts) for a line whose head {@link readBsdHead} read, without
 * its regex and the three `Date` objects it makes per line: same year rule (the current local year, or the
 * year before when that puts the time more than a day ahead of `now`), same validity checks, same local-time
 * arithmetic, and the equivalence test compares both on random heads, clocks and time zones.
 *
 * What it caches, and why that is exact:
 * - the year of `now`, with the instants the local year starts and ends (`getFullYear()` changes only there);
 * - the start of the last local minute asked for: within one minute a zone's UTC offset cannot change, since
 *   zones change offset on whole minutes, so `hh:mm:ss` is that start plus `ss` seconds. Second 60 (a leap
 *   second, which `Date` rolls into the next minute, where an offset change may fall) is computed directly.
 */
export interface BsdTime {
  /**
   * The time of the head, as `parseLineTime` gives it (`undefined` for an impossible date or month name), or
   * `null` when `now` lies outside the years this covers (before 1000 or NaN): the caller asks line-time.ts.
   */
  of(head: BsdHead, now: number): number | undefined | null;
}

const DAY_MS = 86_400_000;
/**
 * The month (1–12) of a {@link monthKey}, in a table of 64 slots instead of a Map (a lookup on every matched
 * line): `(key ^ key >>> 5) & 63` puts the twelve names in twelve slots, and the slot's key is compared whole.
 */
const MONTH_KEYS = new Int32Array(64).fill(-1);
const MONTH_NUMBERS = new Uint8Array(64);
const monthSlot = (key: number): number => (key ^ (key >>> 5)) & 63;
['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'].forEach((m, i) => {
  const key = monthKey(m.charCodeAt(0), m.charCodeAt(1), m.charCodeAt(2)), slot = monthSlot(key);
  if (MONTH_KEYS[slot] !== -1) throw new Error(`Month slot ${slot} taken twice`);
  MONTH_KEYS[slot] = key;
  MONTH_NUMBERS[slot] = i + 1;
});
const monthOf = (key: number): number | undefined => {
  const slot = monthSlot(key);
  return MONTH_KEYS[slot] === key ? MONTH_NUMBERS[slot] : undefined;
};
const isLeap = (y: number): boolean => (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
const DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
/** What `new Date(Date.UTC(y, mo, 0)).getUTCDate()` says in line-time.ts: the days of month `mo` (1-based). */
const daysIn = (y: number, mo: number): number => (mo === 2 && isLeap(y) ? 29 : DAYS[mo - 1]!);

export function createBsdTime(): BsdTime {
  let year = NaN, yearStart = Infinity, yearEnd = -Infinity;
  let minuteKey = NaN, minuteStart = 0;

  /** `localTime` of line-time.ts for second 0..60 of a valid minute. */
  const local = (y: number, mo: number, d: number, h: number, mi: number, s: number): number | undefined => {
    if (d < 1 || h > 23 || mi > 59 || s > 60 || d > daysIn(y, mo)) return undefined;
    if (s === 60) return new Date(y, mo - 1, d, h, mi, s, 0).getTime();
    // One number per minute of any year: minutes since year 0 would do; this packs the fields instead.
    const key = ((((y * 13 + mo) * 32 + d) * 24 + h) * 60) + mi;
    if (key !== minuteKey) {
      minuteStart = new Date(y, mo - 1, d, h, mi, 0, 0).getTime();
      minuteKey = key;
    }
    return minuteStart + s * 1000;
  };

  return {
    of(head, now) {
      const mo = monthOf(head.monthKey);
      if (mo === undefined) return undefined;
      if (!(now >= yearStart && now < yearEnd)) {
        year = new Date(now).getFullYear();
        yearStart = new Date(year, 0, 1).getTime();
        yearEnd = new Date(year + 1, 0, 1).getTime();
      }
      // Date maps years 0-99 to 1900-1999, which line-time.ts inherits; such clocks are not worth copying that.
      if (!(year >= 1000)) { yearStart = Infinity; yearEnd = -Infinity; return null; }
      const { day, hour, minute, second } = head;
      const t = local(year, mo, day, hour, minute, second);
      if (t !== undefined && t <= now + DAY_MS) return t;
      return local(year - 1, mo, day, hour, minute, second);
    },
  };
}
