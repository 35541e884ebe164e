/**
 * Which program wrote a line, read from its syslog head, so that a line can be offered only to the jails
 * whose filter can match it (daemon/router.ts). A filter says which programs those are in its `programs:`
 * key; the router reads each line's head once, however many jails share the source.
 *
 * The answer must be certain, or a jail would miss an attack: `programWord` returns `undefined` (offer the
 * line to every jail) unless the line starts with a head that `<SYSLOG>` can match in one way only. Why the
 * head then ends in exactly one place (PLAIN_HEAD_PATTERN, filters/line-time.ts):
 * - the four time formats start differently: BSD `Mmm {1,2}d{1,2} ` and journald's `Www dddd-` differ at
 *   the fifth character or the day's length; ISO `dddd-` and UNIX `d{9,11}[. ]` at the fifth character;
 * - inside each, every optional part (fraction, ISO zone, `:` of the zone) is followed by a character it
 *   cannot start with, so how far it reaches is fixed by the text; the FreeBSD priority is the one that is
 *   not (` <auth.info>` is a host as well), which is why the head must not have a host starting with `<`;
 * - the host, `\S{1,255} `, ends at the first space, as no character of it can be one.
 * It also leaves out heads another format could be taken for (a bare time followed by a program's own text,
 * as in Dovecot's, Exim's and vsftpd's own logs): see PLAIN_HEAD_PATTERN.
 * The program word is then the longest run of `[A-Za-z0-9_]` after the head: `sshd` for `sshd-session[12]:`,
 * `postfix` for `postfix/smtpd[3]:`, `''` for `(sd-pam):`.
 */
import { PLAIN_HEAD_PATTERN, SYSLOG_PATTERN } from './line-time.js';

const HEAD_WORD = new RegExp(`^(?:${PLAIN_HEAD_PATTERN})([A-Za-z0-9_]*)`);

/** {@link programWord} by the regex alone: the specification the hand-written reader is tested against. */
export function programWordByRegex(line: string): string | undefined {
  const m = HEAD_WORD.exec(line);
  return m === null ? undefined : m[1];
}

const isDigit = (c: number): boolean => c >= 48 && c <= 57;
const isWordChar = (c: number): boolean => (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || isDigit(c) || c === 95;
const twoDigits = (line: string, i: number): boolean => isDigit(line.charCodeAt(i)) && isDigit(line.charCodeAt(i + 1));
/** Where the regex must answer: the reader is not certain. */
const ASK = -1;

/**
 * Where the program word starts after the one head shape most logs have, `Mmm dd hh:mm:ss host ` with a host
 * of printable ASCII not ending in `:`; ASK for any other line. Why the regex ends the head at the same place:
 * a line starting with `[A-Z][a-z]{2} ` and a one- or two-digit day can only take PLAIN_HEAD_PATTERN's BSD
 * branch (the others start with a digit, or need four digits after the weekday); without a `.` after the
 * seconds the fraction cannot match; and the host, `\S{1,255}`, ends at the first space (the reader refuses
 * any other whitespace, and any character outside printable ASCII, leaving those to the regex).
 */
function bsdWordStart(line: string): number {
  const n = line.length;
  if (n < 17) return ASK;
  const c0 = line.charCodeAt(0), c1 = line.charCodeAt(1), c2 = line.charCodeAt(2);
  if (c0 < 65 || c0 > 90 || c1 < 97 || c1 > 122 || c2 < 97 || c2 > 122 || line.charCodeAt(3) !== 32) return ASK;
  let i = 4;
  if (line.charCodeAt(i) === 32) i++;
  if (!isDigit(line.charCodeAt(i))) return ASK;
  i++;
  if (isDigit(line.charCodeAt(i))) i++;
  if (line.charCodeAt(i) !== 32) return ASK;
  i++;
  // hh:mm:ss and a space: fixed places, each checked (charCodeAt past the end is NaN, which fails them).
  if (!twoDigits(line, i) || !twoDigits(line, i + 3) || !twoDigits(line, i + 6)) return ASK;
  if (line.charCodeAt(i + 2) !== 58 || line.charCodeAt(i + 5) !== 58 || line.charCodeAt(i + 8) !== 32) return ASK;
  i += 9;
  const first = line.charCodeAt(i);
  if (first === 60 /* < */ || first === 91 /* [ */) return ASK;
  const hostStart = i;
  for (; i < n; i++) {
    const c = line.charCodeAt(i);
    if (c === 32) break;
    if (c < 33 || c > 126) return ASK;
  }
  const hostLength = i - hostStart;
  if (i === n || hostLength < 1 || hostLength > 255 || line.charCodeAt(i - 1) === 58 /* : */) return ASK;
  return i + 1;
}

/** The first word of the program that wrote `line`, or `undefined` when its head is not certain. */
export function programWord(line: string): string | undefined {
  const start = bsdWordStart(line);
  if (start === ASK) return programWordByRegex(line);
  let end = start;
  while (end < line.length && isWordChar(line.charCodeAt(end))) end++;
  return line.slice(start, end);
}

const ANY_HEAD = new RegExp(`^(?:${SYSLOG_PATTERN})`);

/**
 * Whether `line` starts with a head `<SYSLOG>` matches, in any way (for lines {@link programWord} is not sure
 * of): a line without one is never offered to a filter whose prefix requires one.
 */
export const hasSyslogHead = (line: string): boolean => ANY_HEAD.test(line);

/**
 * Whether every line a filter with this `prefix` can match starts with a `<SYSLOG>` head: the prefix starts
 * with the macro, unquantified, and has no alternative outside a group (`<SYSLOG>a|b` would match `b` alone).
 * Read from the text as written, before macros are expanded; the regex is known to compile (load.ts checks).
 */
export function requiresSyslogHead(prefix: string): boolean {
  const HEAD = '<SYSLOG>';
  if (!prefix.startsWith(HEAD) || /^[?*+{]/.test(prefix.slice(HEAD.length))) return false;
  let depth = 0, inClass = false;
  for (let i = HEAD.length; i < prefix.length; i++) {
    const c = prefix[i];
    if (c === '\\') { i++; continue; }
    if (inClass) { if (c === ']') inClass = false; continue; }
    if (c === '[') inClass = true;
    else if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === '|' && depth === 0) return false;
  }
  return true;
}

/** A `programs:` entry as written: a program name as it appears in a syslog tag, without pid or colon. */
export const PROGRAM_NAME = /^[A-Za-z0-9_][^\s:[\]]{0,63}$/;

/** The words a filter's `programs:` routes by: each name's first word, as {@link programWord} reads it. */
export const programWords = (names: readonly string[]): string[] =>
  [...new Set(names.map((n) => /^[A-Za-z0-9_]*/.exec(n)?.[0] ?? ''))];
