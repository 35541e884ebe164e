/**
 * The one head the fast path reads by hand: a BSD syslog time and a host name, `Mar  1 00:00:00 web1 `, as
 * rsyslog and syslog-ng write it by default. Anything else (a fraction, a FreeBSD priority, an ISO or journald
 * time, a host with a byte outside printable ASCII, a host over 255 bytes) is left to the regexes.
 *
 * Why the head's end is certain: `<SYSLOG>` (filters/line-time.ts) is an alternation of four time formats; a
 * line starting `[A-Z][a-z]{2} ` followed by a one- or two-digit day can only be the BSD one (ISO and UNIX
 * start with a digit; journald's `short-full` needs four digits and a `-` after the weekday). Inside the BSD
 * format the day's spaces and digits are fixed by the text, and with neither `.` nor ` <` after the seconds
 * neither optional part can match. The host, `\S{1,255} `, must then end at the first space, and printable
 * ASCII holds no other whitespace. So the head ends at exactly one place.
 */

/** What the head says; filled by {@link readBsdHead}, reused from line to line. */
export interface BsdHead {
  /** The three letters of the month as one number (see {@link monthKey}). */
  monthKey: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
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
 * Reads `Mmm dd hh:mm:ss host ` at the start of the line `b[s, e)` (ASCII, see spec.ts) into `out` and returns
 * where the text after it starts, or -1 when the line does not start with exactly that shape (the caller then
 * asks the regexes). Bytes past `e` belong to other lines: every read is bounded by `e`.
 */
export function readBsdHead(b: Uint8Array, s: number, e: number, out: BsdHead): number {
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
  // `hh:mm:ss `, one byte of host and its space must fit: what follows reads up to i + 10 at fixed places.
  if (i + 11 > e) return -1;
  const hour = twoDigits(b, i);
  if (hour < 0 || b[i + 2] !== 58) return -1;
  const minute = twoDigits(b, i + 3);
  if (minute < 0 || b[i + 5] !== 58) return -1;
  const second = twoDigits(b, i + 6);
  if (second < 0 || b[i + 8] !== 32) return -1;
  i += 9;
  // A `<` could start a FreeBSD priority (` <auth.info>`), which makes the head ambiguous: not ours.
  if (b[i] === 60) return -1;
  const hostStart = i;
  for (; i < e; i++) {
    const c = b[i]!;
    if (c === 32) break;
    if (!(c > 32 && c < 127)) return -1;
  }
  const hostLength = i - hostStart;
  if (i === e || hostLength < 1 || hostLength > 255) return -1;
  out.monthKey = monthKey(c0, c1, c2);
  out.day = day;
  out.hour = hour;
  out.minute = minute;
  out.second = second;
  return i + 1;
}
