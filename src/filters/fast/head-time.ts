import { monthKey, type SyslogHead } from './syslog-head.js';

/**
 * `parseLineTime(line, now)` (filters/line-time.ts) for a line whose head {@link readSyslogHead} read, without
 * its regex and the `Date` objects it makes per line: the same validity checks and the same arithmetic, and
 * the equivalence test compares both on random heads, clocks and time zones.
 * - BSD heads: the same year rule (the current local year, or the year before when that puts the time more
 *   than a day ahead of `now`) and local time;
 * - ISO heads: UTC with the zone's offset, or local time without a zone.
 *
 * What it caches, and why that is exact:
 * - the year of `now`, with the instants the local year starts and ends (`getFullYear()` changes only there);
 * - the start of the last local minute asked for: within one minute a zone's UTC offset cannot change, since
 *   zones change offset on whole minutes, so `hh:mm:ss.fff` is that start plus `ss.fff` seconds. Second 60 (a
 *   leap second, which `Date` rolls into the next minute, where an offset change may fall) is computed
 *   directly;
 * - the start of the last UTC day asked for: UTC time within a day is `h`, `mi`, `s`, `ms` added up, which is
 *   also what `Date` does with second 60.
 */
export interface HeadTime {
  /**
   * The time of the head, as `parseLineTime` gives it (`undefined` for an impossible date, month name or zone),
   * or `null` when the year lies outside what this covers (before 1000, which `Date` reads as 1900–1999 for
   * 0–99, or a clock that says NaN): the caller asks line-time.ts.
   */
  of(head: SyslogHead, now: number): number | undefined | null;
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
/** What `new Date(Date.UTC(y, mo, 0)).getUTCDate()` says in line-time.ts for years from 1000: the days of month `mo` (1-based). */
const daysIn = (y: number, mo: number): number => (mo === 2 && isLeap(y) ? 29 : DAYS[mo - 1]!);
/** line-time.ts's `fieldsValid`, for a month known to be 1–12 and a year from 1000. */
const valid = (y: number, mo: number, d: number, h: number, mi: number, s: number): boolean =>
  d >= 1 && h <= 23 && mi <= 59 && s <= 60 && d <= daysIn(y, mo);

export function createHeadTime(): HeadTime {
  let year = NaN, yearStart = Infinity, yearEnd = -Infinity;
  let minuteKey = NaN, minuteStart = 0;
  let dayKey = NaN, dayStart = 0;

  /** `localTime` of line-time.ts for valid fields. */
  const local = (y: number, mo: number, d: number, h: number, mi: number, s: number, ms: number): number => {
    if (s === 60) return new Date(y, mo - 1, d, h, mi, s, ms).getTime();
    // One number per minute, whatever the year: minutes since year 0 would do; this packs the fields instead.
    const key = ((((y * 13 + mo) * 32 + d) * 24 + h) * 60) + mi;
    if (key !== minuteKey) {
      minuteStart = new Date(y, mo - 1, d, h, mi, 0, 0).getTime();
      minuteKey = key;
    }
    return minuteStart + s * 1000 + ms;
  };

  /** `utcTime` of line-time.ts for valid fields. */
  const utc = (y: number, mo: number, d: number, h: number, mi: number, s: number, ms: number): number => {
    const key = (y * 13 + mo) * 32 + d;
    if (key !== dayKey) {
      dayStart = Date.UTC(y, mo - 1, d);
      dayKey = key;
    }
    return dayStart + ((h * 60 + mi) * 60 + s) * 1000 + ms;
  };

  const bsd = (head: SyslogHead, now: number): number | undefined | null => {
    const mo = monthOf(head.monthKey);
    if (mo === undefined) return undefined;
    if (!(now >= yearStart && now < yearEnd)) {
      year = new Date(now).getFullYear();
      yearStart = new Date(year, 0, 1).getTime();
      yearEnd = new Date(year + 1, 0, 1).getTime();
    }
    // Date maps years 0-99 to 1900-1999, which line-time.ts inherits; such clocks are not worth copying that.
    if (!(year >= 1000)) { yearStart = Infinity; yearEnd = -Infinity; return null; }
    const { day, hour, minute, second, ms } = head;
    if (valid(year, mo, day, hour, minute, second)) {
      const t = local(year, mo, day, hour, minute, second, ms);
      if (t <= now + DAY_MS) return t;
    }
    return valid(year - 1, mo, day, hour, minute, second) ? local(year - 1, mo, day, hour, minute, second, ms) : undefined;
  };

  const iso = (head: SyslogHead): number | undefined | null => {
    const { year: y, month: mo, day, hour, minute, second, ms } = head;
    if (y < 1000) return null;
    if (mo < 1 || mo > 12 || !valid(y, mo, day, hour, minute, second)) return undefined;
    if (head.zoneSign === 0) return local(y, mo, day, hour, minute, second, ms);
    const { zoneHours, zoneMinutes } = head;
    if (zoneHours > 23 || zoneMinutes > 59) return undefined;
    return utc(y, mo, day, hour, minute, second, ms) - head.zoneSign * (zoneHours * 60 + zoneMinutes) * 60_000;
  };

  return { of: (head, now) => (head.monthKey === 0 ? iso(head) : bsd(head, now)) };
}
