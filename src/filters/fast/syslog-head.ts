/**
 * The heads the fast path reads by hand, each followed by a host name and a space:
 * - BSD syslog `Mar  1 00:00:00 web1 `, as rsyslog and syslog-ng write it traditionally, with journald's
 *   `short-precise` fraction or without;
 * - RFC 3339 `2026-03-01T00:00:00.123456+00:00 web1 `, rsyslog's high-precision format (the default of
 *   Debian 12's rsyslog and later), and journald's `short-iso`/`short-iso-precise`; also with a space for `T`.
 * Anything else (a FreeBSD priority, journald's `short-full` and `short-unix`, a host with a byte outside
 * printable ASCII, a host over 255 bytes) is left to the regexes.
 *
 * Why the head's end is certain: `<SYSLOG>` (filters/line-time.ts) is an alternation of four time formats,
 * and the line's first bytes leave one: `[A-Z][a-z]{2} ` followed by a one- or two-digit day can only be the
 * BSD one (journald's `short-full` needs four digits and a `-` after the weekday); four digits and a `-` only
 * the ISO one (UNIX needs nine digits or more). Inside the BSD format the day's spaces and digits are fixed by
 * the text, the fraction (where there is one) takes every digit after its `.` (a tenth digit is then no match
 * at all), and without ` <` after the time the priority cannot match. Inside the ISO format every optional
 * part is followed by a byte it cannot start with, so the text fixes how far it reaches: the fraction as in
 * the BSD format (its separator `.` or `,`), the zone is `Z` or a sign, two digits, then `:` and two digits,
 * or two digits, or nothing, and the head needs a space right after it. The host, `\S{1,255} `, must then end at the first space, and printable ASCII holds no other
 * whitespace. So the head ends at exactly one place.
 */

/** What the head says; filled by {@link readSyslogHead}, reused from line to line. */
export interface SyslogHead {
  /** A BSD head's three letters of the month as one number (see {@link monthKey}); 0 for an ISO head. */
  monthKey: number;
  /** An ISO head's year and month as written (the month not checked); unset for a BSD head. */
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  /** The fraction as milliseconds (its first three digits, as line-time.ts takes them), 0 without one. */
  ms: number;
  /** An ISO head's zone: 1 (`Z` or `+`), -1 (`-`), or 0 without one (local time); then its hours and minutes. */
  zoneSign: number;
  zoneHours: number;
  zoneMinutes: number;
}

export const monthKey = (c0: number, c1: number, c2: number): number => (c0 << 16) | (c1 << 8) | c2;

const isDigit = (c: number): boolean => c >= 48 && c <= 57;
const isUpper = (c: number): boolean => c >= 65 && c <= 90;
const isLower = (c: number): boolean => c >= 97 && c <= 122;

/** Two digits at `i`, or -1. */
function twoDigits(b: Uint8Array, i: number): number {
  const x = b[i]!, y = b[i + 1]!;
  return isDigit(x) && isDigit(y) ? (x - 48) * 10 + (y - 48) : -1;
}

/**
 * Reads a head and its host at the start of the line `b[s, e)` (ASCII, see spec.ts) into `out` and returns
 * where the text after it starts, or -1 when the line does not start with exactly such a head (the caller then
 * asks the regexes). Bytes past `e` belong to other lines: every read is bounded by `e`.
 */
export function readSyslogHead(b: Uint8Array, s: number, e: number, out: SyslogHead): number {
  return isDigit(b[s]!) ? readIsoHead(b, s, e, out) : readBsdHead(b, s, e, out);
}

/** `hh:mm:ss` at `i` (its 8 bytes known to lie before the line's end) into `out`, or false. */
function readClock(b: Uint8Array, i: number, out: SyslogHead): boolean {
  const hour = twoDigits(b, i);
  if (hour < 0 || b[i + 2] !== 58) return false;
  const minute = twoDigits(b, i + 3);
  if (minute < 0 || b[i + 5] !== 58) return false;
  const second = twoDigits(b, i + 6);
  if (second < 0) return false;
  out.hour = hour;
  out.minute = minute;
  out.second = second;
  return true;
}

/** The host `\S{1,255}` at `i` and the space after it, as the index after that space, or -1. */
function readHost(b: Uint8Array, i: number, e: number): number {
  const hostStart = i;
  for (; i < e; i++) {
    const c = b[i]!;
    if (c === 32) break;
    if (!(c > 32 && c < 127)) return -1;
  }
  const hostLength = i - hostStart;
  return i === e || hostLength < 1 || hostLength > 255 ? -1 : i + 1;
}

/** `Mmm {1,2}d{1,2} hh:mm:ss host `. */
function readBsdHead(b: Uint8Array, s: number, e: number, out: SyslogHead): number {
  // The shortest head, "Mmm d hh:mm:ss h ", has 17 bytes: the fixed-position reads up to the day stay inside.
  if (e - s < 17) return -1;
  const c0 = b[s]!, c1 = b[s + 1]!, c2 = b[s + 2]!;
  if (!isUpper(c0) || !isLower(c1) || !isLower(c2) || b[s + 3] !== 32) return -1;
  // ` {1,2}\d{1,2} `: "Mar  1", "Mar 1", "Mar 12", "Mar  12".
  let i = s + 4;
  if (b[i] === 32) i++;
  const d0 = b[i]!;
  if (!isDigit(d0)) return -1;
  let day = d0 - 48;
  i++;
  const d1 = b[i]!;
  if (isDigit(d1)) { day = day * 10 + d1 - 48; i++; }
  if (b[i] !== 32) return -1;
  i++;
  // `hh:mm:ss`, then a space or a fraction: the fixed-position reads up to i + 8 stay inside.
  if (i + 11 > e || !readClock(b, i, out)) return -1;
  i += 8;
  out.ms = 0;
  // journald's `short-precise` adds a fraction; the common case, a space, costs one comparison.
  if (b[i] === 46) i = readFraction(b, i, e, false, out);
  if (i < 0 || i >= e || b[i] !== 32) return -1;
  i++;
  // A `<` could start a FreeBSD priority (` <auth.info>`), which makes the head ambiguous: not ours.
  if (i < e && b[i] === 60) return -1;
  out.monthKey = monthKey(c0, c1, c2);
  out.day = day;
  return readHost(b, i, e);
}

/**
 * An optional fraction at `i`: `.` (or `,` where `comma`) and one to nine digits, whose milliseconds (its first
 * three digits, padded, as line-time.ts takes them) go to `out.ms`. Returns where it ends (`i` without one), or
 * -1 for a separator followed by no digit or by more than nine: the head then matches nowhere (what follows the
 * fraction can start with no digit).
 */
function readFraction(b: Uint8Array, i: number, e: number, comma: boolean, out: SyslogHead): number {
  out.ms = 0;
  const c = i < e ? b[i] : -1;
  if (c !== 46 && !(comma && c === 44)) return i;
  const first = i + 1;
  let j = first, ms = 0;
  for (; j < e && isDigit(b[j]!); j++) if (j - first < 3) ms = ms * 10 + b[j]! - 48;
  const digits = j - first;
  if (digits < 1 || digits > 9) return -1;
  // ".1" is 100 ms and ".12" 120.
  for (let k = digits; k < 3; k++) ms *= 10;
  out.ms = ms;
  return j;
}

/** `dddd-dd-dd[T ]hh:mm:ss(?:[.,]\d{1,9})?(?:Z|[+-]dd(?::?dd)?)? host `. */
function readIsoHead(b: Uint8Array, s: number, e: number, out: SyslogHead): number {
  // "dddd-dd-ddThh:mm:ss h " has 22 bytes: the fixed-position reads up to the seconds stay inside.
  if (e - s < 22) return -1;
  const y0 = twoDigits(b, s), y1 = twoDigits(b, s + 2);
  if (y0 < 0 || y1 < 0 || b[s + 4] !== 45) return -1;
  const month = twoDigits(b, s + 5);
  if (month < 0 || b[s + 7] !== 45) return -1;
  const day = twoDigits(b, s + 8);
  const t = b[s + 10];
  if (day < 0 || (t !== 84 && t !== 32) || !readClock(b, s + 11, out)) return -1;
  let i = readFraction(b, s + 19, e, true, out);
  if (i < 0) return -1;
  let zoneSign = 0, zoneHours = 0, zoneMinutes = 0;
  const z = i < e ? b[i] : -1;
  if (z === 90) {
    zoneSign = 1;
    i++;
  } else if (z === 43 || z === 45) {
    zoneSign = z === 43 ? 1 : -1;
    zoneHours = i + 3 <= e ? twoDigits(b, i + 1) : -1;
    if (zoneHours < 0) return -1;
    i += 3;
    const colon = i < e && b[i] === 58 ? 1 : 0;
    if (colon === 1 || (i < e && isDigit(b[i]!))) {
      zoneMinutes = i + colon + 2 <= e ? twoDigits(b, i + colon) : -1;
      if (zoneMinutes < 0) return -1;
      i += colon + 2;
    }
  }
  if (i >= e || b[i] !== 32) return -1;
  out.monthKey = 0;
  out.year = y0 * 100 + y1;
  out.month = month;
  out.day = day;
  out.zoneSign = zoneSign;
  out.zoneHours = zoneHours;
  out.zoneMinutes = zoneMinutes;
  return readHost(b, i + 1, e);
}
