/**
 * Timestamps of web server logs, for replaying them by their own time. filters/line-time.ts knows the heads
 * syslog and journald write at the start of a line; these are the others an administrator replays:
 *
 * - Common and combined access logs (nginx, Apache): `203.0.113.7 - bob [25/Nov/2026:16:55:59 +0000] "GET …`.
 *   The time is the first bracketed `[dd/Mon/yyyy:hh:mm:ss ±zzzz]` followed by ` "`. The user field before
 *   it is the client's (and may hold spaces and brackets), but both servers escape a `"` in it, so it cannot
 *   fake the `] "` that follows the real time.
 * - nginx error log: `2026/11/25 16:55:59 [error] 1234#0: …`, local time, at the start.
 * - Apache error log: `[Wed Nov 25 16:55:59.123456 2026] [auth_basic:error] …` (2.4; 2.2 has no fraction),
 *   local time, at the start.
 */
import type { Filter } from '../filters/filter.js';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const ACCESS = /\[(\d{2})\/([A-Z][a-z]{2})\/(\d{4}):(\d{2}):(\d{2}):(\d{2}) ([+-])(\d{2})(\d{2})\] "/;
const NGINX_ERROR = /^(\d{4})\/(\d{2})\/(\d{2}) (\d{2}):(\d{2}):(\d{2}) \[/;
const APACHE_ERROR = /^\[[A-Z][a-z]{2} ([A-Z][a-z]{2}) {1,2}(\d{1,2}) (\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))? (\d{4})\] /;

interface Fields { y: number; mo: number; d: number; h: number; mi: number; s: number; ms: number }

const valid = (f: Fields): boolean =>
  f.mo >= 1 && f.mo <= 12 && f.d >= 1 && f.d <= new Date(Date.UTC(f.y, f.mo, 0)).getUTCDate() &&
  f.h <= 23 && f.mi <= 59 && f.s <= 60;

const local = (f: Fields): number | undefined =>
  valid(f) ? new Date(f.y, f.mo - 1, f.d, f.h, f.mi, f.s, f.ms).getTime() : undefined;

const month = (name: string | undefined): number => MONTHS.indexOf(name ?? '') + 1;
const n = (s: string | undefined): number => Number(s ?? 0);

/** The time (ms since the epoch) a web server wrote in `line`, or `undefined` when there is none. */
export function parseExtraLineTime(line: string): number | undefined {
  let m = NGINX_ERROR.exec(line);
  if (m) return local({ y: n(m[1]), mo: n(m[2]), d: n(m[3]), h: n(m[4]), mi: n(m[5]), s: n(m[6]), ms: 0 });
  m = APACHE_ERROR.exec(line);
  if (m) {
    const ms = m[6] === undefined ? 0 : Number(m[6].padEnd(3, '0').slice(0, 3));
    return local({ y: n(m[7]), mo: month(m[1]), d: n(m[2]), h: n(m[3]), mi: n(m[4]), s: n(m[5]), ms });
  }
  m = ACCESS.exec(line);
  if (m) {
    const f: Fields = { y: n(m[3]), mo: month(m[2]), d: n(m[1]), h: n(m[4]), mi: n(m[5]), s: n(m[6]), ms: 0 };
    const offH = n(m[8]), offM = n(m[9]);
    if (!valid(f) || offH > 23 || offM > 59) return undefined;
    const sign = m[7] === '-' ? -1 : 1;
    return Date.UTC(f.y, f.mo - 1, f.d, f.h, f.mi, f.s) - sign * (offH * 60 + offM) * 60_000;
  }
  return undefined;
}

/**
 * `filter`, with the web server times above filled in where the filter found no syslog time of its own. For
 * jails that replay by line time (`use_line_time`) and for `dictdefence test`; the hot path pays only on a
 * match without a time.
 */
export function withExtraLineTime(filter: Filter): Filter {
  return {
    ...filter,
    match(line) {
      const m = filter.match(line);
      if (m === undefined || m.time !== undefined) return m;
      const time = parseExtraLineTime(line);
      return time === undefined ? m : { ...m, time };
    },
  };
}
