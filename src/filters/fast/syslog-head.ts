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
function twoDigits(line: string, i: number): number {
  const a = line.charCodeAt(i), b = line.charCodeAt(i + 1);
  return isDigit(a) && isDigit(b) ? (a - 48) * 10 + (b - 48) : -1;
}

/**
 * Reads `Mmm dd hh:mm:ss host ` at the start of `line` into `out` and returns where the text after it starts,
 * or -1 when the line does not start with exactly that shape (the caller then asks the regexes).
 */
export function readBsdHead(line: string, out: BsdHead): number {
  const c0 = line.charCodeAt(0), c1 = line.charCodeAt(1), c2 = line.charCodeAt(2);
  if (!isUpper(c0) || !isLower(c1) || !isLower(c2) || line.charCodeAt(3) !== 32) return -1;
  // ` {1,2}\d{1,2} `: "Mar  1", "Mar 1", "Mar 12", "Mar  12".
  let i = 4;
  if (line.charCodeAt(i) === 32) i++;
  let day = 0;
  const d0 = line.charCodeAt(i);
  if (!isDigit(d0)) return -1;
  day = d0 - 48;
  i++;
  const d1 = line.charCodeAt(i);
  if (isDigit(d1)) { day = day * 10 + d1 - 48; i++; }
  if (line.charCodeAt(i) !== 32) return -1;
  i++;
  const hour = twoDigits(line, i);
  if (hour < 0 || line.charCodeAt(i + 2) !== 58) return -1;
  const minute = twoDigits(line, i + 3);
  if (minute < 0 || line.charCodeAt(i + 5) !== 58) return -1;
  const second = twoDigits(line, i + 6);
  if (second < 0 || line.charCodeAt(i + 8) !== 32) return -1;
  i += 9;
  // A `<` could start a FreeBSD priority (` <auth.info>`), which makes the head ambiguous: not ours.
  if (line.charCodeAt(i) === 60) return -1;
  const hostStart = i;
  for (;; i++) {
    const c = line.charCodeAt(i);
    if (c === 32) break;
    // NaN past the end fails this too.
    if (!(c > 32 && c < 127)) return -1;
  }
  const hostLength = i - hostStart;
  if (hostLength < 1 || hostLength > 255) return -1;
  out.monthKey = monthKey(c0, c1, c2);
  out.day = day;
  out.hour = hour;
  out.minute = minute;
  out.second = second;
  return i + 1;
}
