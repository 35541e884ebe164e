import { readBsdHead } from './syslog-head.js';
import { NO_MATCH, UNSURE, type FastSpec, type ScanState } from './spec.js';

/**
 * The shipped sshd filter (filters/sshd.yaml) read by hand for its four most frequent rules, which are nearly
 * every failure line a real server writes. The regexes stay the specification: this answers only where the
 * answer is certain, and says UNSURE (the caller runs the regexes) for anything else.
 *
 * What is certain, given the rules as they are compiled (pinned by `fingerprints`, see fast/index.ts):
 * - Every rule runs as `^(?:prefix)(?:rule)`. The head ends at one place (syslog-head.ts), and
 *   `sshd(?:-session|-auth)?(?:\[\d{1,10}\])?: ` after it can match in one way only, so each rule is anchored at
 *   one known position, the message.
 * - Each rule starts with a fixed text (its lead, below), and no lead is a prefix of another: a message that
 *   starts with no lead matches no rule (NO_MATCH), and one that starts with the lead of a rule read here can
 *   only match that rule.
 * - `<HOST>` never matches a space and the text after it is fixed (` port N ssh2`, ` port N [preauth]`, or the
 *   end), so the candidate is the run of non-spaces before that suffix: the greedy `.*` before it gives back
 *   exactly that much, whatever the attacker wrote as a user name (`root from 192.0.2.1 port 22 ssh2` included).
 *   The caller then checks that `<HOST>` matches the candidate whole, as the regex would.
 * - `.` stops at line terminators (\n, \r, U+2028, U+2029): a user name holding one fails the regex, so the
 *   span of `.*` is checked for them.
 */

/** sha256 of `filter.rules.join('\n')` for the compilations this was checked against, normal and aggressive. */
const FINGERPRINTS: readonly string[] = [
  'acae11ccd8fb6124b19c07121bc6c2243a2f5b75d0fe4f8c186a214c0f3742d8', // normal
  '8347bcb6f949407914c9fd86157a62ad75b6269aad9d1d2685a8411ea7ec41bc', // modes: [aggressive]
];

/**
 * The leads of the rules left to the regexes, those of the aggressive mode too (its "Connection (?:closed|reset)
 * by <HOST>" shares "Connection " with failregex[2], whose reader answers UNSURE for it). The leads of the four
 * rules read here are in `scan`, which dispatches on the first letter: a table of readers would make V8 call
 * through a variable, which it cannot inline.
 */
const OTHER_LEADS: readonly string[] = [
  'error: ', // maximum authentication attempts / PAM
  'maximum ',
  'Disconnecting ',
  'User ',
  'PAM: ',
  'pam_unix(sshd:auth): ',
  'Did not receive ',
  'Unable to negotiate with ',
  'banner exchange: ',
  'Bad protocol version identification ',
];

/** The first letters of OTHER_LEADS (all ASCII), as flags by char code. */
const OTHER_FIRST = new Uint8Array(128);
for (const lead of OTHER_LEADS) OTHER_FIRST[lead.charCodeAt(0)] = 1;

const isDigit = (c: number): boolean => c >= 48 && c <= 57;

/** Whether `line[from, to)` holds a character `.` does not match (the span of a `.*`, a user name). */
function hasLineTerminator(line: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const c = line.charCodeAt(i);
    // One comparison for nearly every character: the terminators are 10, 13, 0x2028 and 0x2029.
    if (c > 13 && c < 0x2028) continue;
    if (c === 10 || c === 13 || c === 0x2028 || c === 0x2029) return true;
  }
  return false;
}

/** The first of `words` that `line` has at `at`, as the index after it, or -1. */
function oneOf(line: string, at: number, words: readonly string[]): number {
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    // The first letter first: startsWith with a word that varies is a call V8 does not inline.
    if (line.charCodeAt(at) === w.charCodeAt(0) && line.startsWith(w, at)) return at + w.length;
  }
  return -1;
}

/**
 * `… <HOST> port \d{1,5}` + `suffix` at the end of the line, `<HOST>` right after `before` (` from ` or ` `),
 * with `.*` spanning `[anyStart, start of before)`. Sets the candidate and returns `rule`, or UNSURE.
 */
function hostPortSuffix(line: string, anyStart: number, before: string, suffix: string, rule: number, st: ScanState): number {
  const end = line.length;
  if (!line.endsWith(suffix)) return UNSURE;
  const digitsEnd = end - suffix.length;
  let j = digitsEnd;
  while (j > anyStart && isDigit(line.charCodeAt(j - 1))) j--;
  const digits = digitsEnd - j;
  if (digits < 1 || digits > 5 || !line.startsWith(' port ', j - 6)) return UNSURE;
  return hostBefore(line, anyStart, before, j - 6, rule, st);
}

/** `before` + `<HOST>` ending at `hostEnd`, with `.*` spanning `[anyStart, start of before)`. */
function hostBefore(line: string, anyStart: number, before: string, hostEnd: number, rule: number, st: ScanState): number {
  let k = hostEnd;
  while (k > anyStart && line.charCodeAt(k - 1) !== 32) k--;
  const anyEnd = k - before.length;
  if (k === hostEnd || anyEnd < anyStart || !line.startsWith(before, anyEnd)) return UNSURE;
  if (hasLineTerminator(line, anyStart, anyEnd)) return UNSURE;
  st.hostStart = k;
  st.hostEnd = hostEnd;
  return rule;
}

// failregex[0]: Failed (?:password|publickey|keyboard-interactive/pam|none) for .* from <HOST> port \d{1,5} ssh2(?:: …)?$
// A line ending in " ssh2" leaves the optional key part empty (it cannot hold a space); other endings: UNSURE.
const METHODS = ['password for ', 'publickey for ', 'keyboard-interactive/pam for ', 'none for '];
function readFailed(line: string, from: number, st: ScanState): number {
  const user = oneOf(line, from + 7, METHODS);
  return user < 0 ? UNSURE : hostPortSuffix(line, user, ' from ', ' ssh2', 0, st);
}

// failregex[1]: Invalid user .* from <HOST>(?: port \d{1,5})?$
// With a valid " port N" at the end the candidate is the run before it (a run of digits alone cannot be a
// <HOST>, so the variant without the port cannot take "N"); without one, the last run of the line.
function readInvalidUser(line: string, from: number, st: ScanState): number {
  const user = from + 13;
  const withPort = hostPortSuffix(line, user, ' from ', '', 1, st);
  return withPort !== UNSURE ? withPort : hostBefore(line, user, ' from ', line.length, 1, st);
}

// failregex[2]: Connection (?:closed|reset) by (?:authenticating|invalid) user .* <HOST> port \d{1,5} \[preauth\]$
const CLOSED = ['closed by ', 'reset by '];
const WHO = ['authenticating user ', 'invalid user '];
function readConnectionClosed(line: string, from: number, st: ScanState): number {
  const by = oneOf(line, from + 11, CLOSED);
  const user = by < 0 ? -1 : oneOf(line, by, WHO);
  return user < 0 ? UNSURE : hostPortSuffix(line, user, ' ', ' [preauth]', 2, st);
}

// failregex[3]: Disconnected from (?:authenticating|invalid) user .* <HOST> port \d{1,5} \[preauth\]$
function readDisconnected(line: string, from: number, st: ScanState): number {
  const user = oneOf(line, from + 18, WHO);
  return user < 0 ? UNSURE : hostPortSuffix(line, user, ' ', ' [preauth]', 3, st);
}

/**
 * `sshd`, `sshd-session` or `sshd-auth`, an optional `[pid]` of 1 to 10 digits, then `: `: where the message
 * starts, -1 for another program (no rule can match: the prefix needs "sshd" right there), or UNSURE.
 */
function readProgram(line: string, at: number): number {
  if (!line.startsWith('sshd', at)) return -1;
  let i = at + 4;
  if (line.startsWith('-session', i)) i += 8;
  else if (line.startsWith('-auth', i)) i += 5;
  if (line.charCodeAt(i) === 91 /* [ */) {
    const start = ++i;
    while (isDigit(line.charCodeAt(i))) i++;
    if (i === start || i - start > 10 || line.charCodeAt(i) !== 93 /* ] */) return UNSURE;
    i++;
  }
  return line.charCodeAt(i) === 58 && line.charCodeAt(i + 1) === 32 ? i + 2 : UNSURE;
}

export const sshdSpec: FastSpec = {
  name: 'sshd',
  // A match has read "sshd" where the program's name is, so the line holds the prefilter; NO_MATCH needs no
  // prefilter (compile.ts answers the same for a line without it: counted, no match).
  impliedLiteral: 'sshd',
  fingerprints: FINGERPRINTS,
  scan(line, st) {
    const program = readBsdHead(line, st);
    if (program < 0) return UNSURE;
    const message = readProgram(line, program);
    // Another program's line (CRON, postfix, …): the jails of a shared syslog file see many of those.
    if (message === -1) return NO_MATCH;
    if (message < 0) return UNSURE;
    switch (line.charCodeAt(message)) {
      case 70: // F
        if (line.startsWith('Failed ', message)) return readFailed(line, message, st);
        break;
      case 73: // I
        if (line.startsWith('Invalid user ', message)) return readInvalidUser(line, message, st);
        break;
      case 67: // C
        if (line.startsWith('Connection ', message)) return readConnectionClosed(line, message, st);
        break;
      case 68: // D
        if (line.startsWith('Disconnected from ', message)) return readDisconnected(line, message, st);
        break;
    }
    const first = line.charCodeAt(message);
    // Most other sshd lines ("Accepted …", "pam_unix(sshd:session) …") share no first letter with a lead.
    if (first >= 128 || !OTHER_FIRST[first]) return NO_MATCH;
    return oneOf(line, message, OTHER_LEADS) < 0 ? NO_MATCH : UNSURE;
  },
};
