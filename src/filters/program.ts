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

// Sticky, and asked with `test`: where the head ends is then `lastIndex`, and no match array is made (the
// router asks this of every line of a shared source).
const HEAD = new RegExp(`^(?:${PLAIN_HEAD_PATTERN})`, 'y');

/** Where the program's word starts in `line` (right after a certain head), or -1 when its head is not certain. */
export function programWordStart(line: string): number {
  HEAD.lastIndex = 0;
  return HEAD.test(line) ? HEAD.lastIndex : -1;
}

/** Whether the UTF-16 unit `c` is one of a program word's `[A-Za-z0-9_]` (NaN, past the end, is not). */
export const isWordUnit = (c: number): boolean =>
  (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95;

/** The first word of the program that wrote `line`, or `undefined` when its head is not certain. */
export function programWord(line: string): string | undefined {
  const start = programWordStart(line);
  return start < 0 ? undefined : line.slice(start, wordEnd(line, start));
}

/** Where the run of word units that starts at `start` ends. */
const wordEnd = (text: string, start: number): number => {
  let end = start;
  while (isWordUnit(text.charCodeAt(end))) end++;
  return end;
};

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
  [...new Set(names.map((n) => n.slice(0, wordEnd(n, 0))))];
