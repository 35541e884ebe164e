/**
 * The heads log lines start with, as one regex (`<SYSLOG>` in a filter's `prefix`), and the parser of the
 * timestamp inside them (used only when a jail replays old logs and asks for each line's own time).
 *
 * Heads recognised, each followed by one space, a host name and one space:
 * - BSD syslog (RFC 3164) `Nov 25 16:55:59`, day space-padded or not; with journald's `short-precise`
 *   fraction `Nov 25 16:55:59.123456`; with FreeBSD `syslogd -v`/`-vv` priority `Nov 25 16:55:59 <auth.info>`.
 * - RFC 3339 `2026-11-25T16:55:59.123456+00:00` (rsyslog's default file format), journald `short-iso`
 *   `2026-11-25T16:55:59+0000` and `short-iso-precise`; a zone-less ISO time is local time.
 * - journald `short-full` `Wed 2026-11-25 16:55:59 UTC` and `short-unix` `1764089759.123456`.
 *
 * A head is required: a line with no head (`journalctl -o cat`) does not say which program wrote it. A filter
 * that wants such lines writes `(?:<SYSLOG>)?` and gives up that check.
 */
const PRIORITY = String.raw`(?: <[a-z0-9]{1,12}\.[a-z0-9]{1,12}>)?`;
const BSD_TIME = String.raw`[A-Z][a-z]{2} {1,2}\d{1,2} \d{2}:\d{2}:\d{2}(?:\.\d{1,9})?`;
const BSD = `${BSD_TIME}${PRIORITY}`;
const ISO_CLOCK = String.raw`\d{2}:\d{2}:\d{2}(?:[.,]\d{1,9})?(?:Z|[+-]\d{2}(?::?\d{2})?)?`;
const ISO = String.raw`\d{4}-\d{2}-\d{2}[T ]${ISO_CLOCK}`;
const FULL = String.raw`[A-Z][a-z]{2} \d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(?:\.\d{1,9})? [A-Za-z0-9+_/-]{1,32}`;
const UNIX = String.raw`\d{9,11}(?:\.\d{1,9})?`;

/** The time (and FreeBSD priority) a `<SYSLOG>` head starts with. */
export const SYSLOG_TIME_PATTERN = `(?:${BSD}|${ISO}|${FULL}|${UNIX})`;
/** The most characters of a `<SYSLOG>` head's host. */
export const SYSLOG_HOST_MAX = 255;
/** The regex source `<SYSLOG>` expands to: a head and the host name, with the space after it. No groups. */
export const SYSLOG_PATTERN = String.raw`${SYSLOG_TIME_PATTERN} \S{1,${SYSLOG_HOST_MAX}} `;

/**
 * The heads `<SYSLOG>` matches in exactly one way, for the line router (filters/program.ts), and only those
 * that no other format a shipped filter reads could be taken for: not the FreeBSD priority (`Nov 25
 * 16:55:59 <auth.info> web1 sshd: …` is also a head whose host is `<auth.info>`), not an ISO time with a
 * space for its `T` (Exim's own log), and no host that starts with `<` or `[` or ends with `:` (a program's
 * text right after a bare time, in Dovecot's and vsftpd's own logs).
 */
export const PLAIN_HEAD_PATTERN =
  String.raw`(?:${BSD_TIME}|\d{4}-\d{2}-\d{2}T${ISO_CLOCK}|${FULL}|${UNIX}) (?![<[])\S{1,255}(?<!:) `;

const SLASH = String.raw`\d{4}/\d{2}/\d{2} \d{2}:\d{2}:\d{2}`;
const CTIME = String.raw`[A-Z][a-z]{2} [A-Z][a-z]{2} {1,2}\d{1,2} \d{2}:\d{2}:\d{2}(?:\.\d{1,9})? \d{4}`;
const CLF = String.raw`\d{2}/[A-Z][a-z]{2}/\d{4}:\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?: [+-]\d{4})?`;
const TAI64N = String.raw`@[0-9a-f]{24}`;

/**
 * The regex source `<DATE>` expands to: a timestamp alone, without the host name that follows a syslog head.
 * Every head `<SYSLOG>` knows, and the timestamps servers write in their own log files: nginx's error log
 * `2026/11/25 16:55:59`, Apache's error log `Wed Nov 25 16:55:59.123456 2026` (inside brackets, which the
 * rule writes), the common log format `25/Nov/2026:16:55:59 +0000`, HAProxy's `25/Nov/2026:16:55:59.123` and
 * daemontools' TAI64N label `@400000004c91b044077a9e94`.
 * Used by filters imported from fail2ban, whose rules are written for lines with the date cut out.
 */
export const DATE_PATTERN = `(?:${BSD}|${ISO}|${FULL}|${UNIX}|${SLASH}|${CTIME}|${CLF}|${TAI64N})`;

const BSD_RE = /^([A-Z][a-z]{2}) {1,2}(\d{1,2}) (\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?= |$)/;
const ISO_RE =
  /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:[.,](\d{1,9}))?(?:(Z)|([+-])(\d{2})(?::?(\d{2}))?)?(?= |$)/;
const FULL_RE =
  /^[A-Z][a-z]{2} (\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))? ([A-Za-z0-9+_/-]{1,32})(?= |$)/;
const UNIX_RE = /^(\d{9,11})(?:\.(\d{1,9}))?(?= |$)/;

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const DAY_MS = 86_400_000;

/** A BSD time is this far ahead of the clock at most before it is taken to be from last year (clock skew, zones). */
const FUTURE_SLACK_MS = DAY_MS;

const num = (s: string | undefined): number => (s === undefined ? 0 : Number(s));
const millis = (frac: string | undefined): number => (frac === undefined ? 0 : Number(frac.padEnd(3, '0').slice(0, 3)));

interface Fields { y: number; mo: number; d: number; h: number; mi: number; s: number; ms: number }

function fieldsValid(f: Fields): boolean {
  if (f.mo < 1 || f.mo > 12 || f.d < 1 || f.h > 23 || f.mi > 59 || f.s > 60) return false;
  // Day 0 of the next month is the last day of this one.
  return f.d <= new Date(Date.UTC(f.y, f.mo, 0)).getUTCDate();
}

function localTime(f: Fields): number | undefined {
  if (!fieldsValid(f)) return undefined;
  return new Date(f.y, f.mo - 1, f.d, f.h, f.mi, f.s, f.ms).getTime();
}

function utcTime(f: Fields): number | undefined {
  if (!fieldsValid(f)) return undefined;
  const d = new Date(0);
  // setUTCFullYear, not Date.UTC: Date.UTC maps years 0–99 to 1900–1999.
  d.setUTCFullYear(f.y, f.mo - 1, f.d);
  d.setUTCHours(f.h, f.mi, f.s, f.ms);
  return d.getTime();
}

function fromGroups(m: RegExpExecArray, first: number): Fields {
  return {
    y: num(m[first]), mo: num(m[first + 1]), d: num(m[first + 2]),
    h: num(m[first + 3]), mi: num(m[first + 4]), s: num(m[first + 5]), ms: millis(m[first + 6]),
  };
}

/**
 * The time (ms since the epoch) written at the start of `line`, or `undefined` when the line starts with no
 * head this module knows or with an impossible date. `now` supplies the year a BSD syslog time lacks: the
 * current (local) year, unless that puts the time more than a day ahead of `now`, then the year before — so a
 * `Dec 31` line read on 1 January lands in the old year.
 */
export function parseLineTime(line: string, now: number): number | undefined {
  let m = BSD_RE.exec(line);
  if (m) {
    const mo = MONTHS.indexOf(m[1] ?? '') + 1;
    if (mo === 0) return undefined;
    const year = new Date(now).getFullYear();
    const f: Fields = { y: year, mo, d: num(m[2]), h: num(m[3]), mi: num(m[4]), s: num(m[5]), ms: millis(m[6]) };
    const t = localTime(f);
    if (t !== undefined && t <= now + FUTURE_SLACK_MS) return t;
    return localTime({ ...f, y: year - 1 });
  }
  m = ISO_RE.exec(line);
  if (m) {
    const f = fromGroups(m, 1);
    if (m[8] === 'Z') return utcTime(f);
    if (m[9] === undefined) return localTime(f);
    const offH = num(m[10]), offM = num(m[11]);
    if (offH > 23 || offM > 59) return undefined;
    const t = utcTime(f);
    const sign = m[9] === '-' ? -1 : 1;
    return t === undefined ? undefined : t - sign * (offH * 60 + offM) * 60_000;
  }
  m = FULL_RE.exec(line);
  if (m) {
    const f = fromGroups(m, 1);
    // journalctl prints the machine's own zone abbreviation, which only the local zone rules can interpret.
    const zone = m[8];
    return zone === 'UTC' || zone === 'GMT' ? utcTime(f) : localTime(f);
  }
  m = UNIX_RE.exec(line);
  if (m) return num(m[1]) * 1000 + millis(m[2]);
  return undefined;
}
