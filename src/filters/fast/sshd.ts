import { readSyslogHead } from './syslog-head.js';
import { NO_MATCH, UNSURE, type FastSpec, type ScanState } from './spec.js';

/**
 * The shipped sshd filter (filters/sshd.yaml) read by hand: all ten of its rules (with PAM, a failed password
 * is two lines: pam_unix's, then sshd's; a client that tries more keys or passwords than MaxAuthTries allows
 * ends with two more), and the aggressive mode's four, among them "Connection closed by <HOST> port N
 * [preauth]", the commonest line a scanner leaves. Without the mode, a line only its rules could match is no
 * match (NO_MATCH), decided here too. The regexes stay the specification: this answers only where the answer
 * is certain, and says UNSURE (the caller runs the regexes) for anything else.
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

/**
 * An ASCII text to compare with the bytes of a line: its bytes, and its first `4 × quads.length` bytes also as
 * little-endian 32-bit words, which `has` compares four bytes at a time (a typed array's element costs about
 * as much to read as a DataView's 32 bits: the readers below spent half their time reading bytes).
 */
interface Word {
  readonly bytes: Uint8Array;
  readonly quads: Int32Array;
  readonly length: number;
}

const lit = (text: string): Word => {
  const bytes = Uint8Array.from(text, (c) => c.charCodeAt(0));
  const quads = new Int32Array(bytes.length >> 2);
  const view = new DataView(bytes.buffer);
  for (let k = 0; k < quads.length; k++) quads[k] = view.getInt32(4 * k, true);
  return { bytes, quads, length: bytes.length };
};

/** `fingerprint(filter.rules)` of the compilations this was checked against, normal and aggressive. */
const FINGERPRINTS: readonly string[] = [
  '6119:acae11ccd8fb6124b19c07121bc6c2243a2f5b75d0fe4f8c186a214c0f3742d8', // normal
  '8432:8347bcb6f949407914c9fd86157a62ad75b6269aad9d1d2685a8411ea7ec41bc', // modes: [aggressive]
];

/**
 * The first words of every rule, for a message whose whole lead `scan` did not find: such a message may still
 * match where the regex reads it otherwise (UNSURE). The whole leads are in `scan`, which dispatches on the
 * first letter: a table of readers would make V8 call through a variable, which it cannot inline.
 */
const OTHER_LEADS: readonly Word[] = [
  // `(?:error: )?` before two of them: "error: " followed by anything else (kex_exchange_identification, a
  // disconnect) is the lead of no rule.
  lit('error: maximum '),
  lit('error: PAM: '),
  lit('maximum '),
  lit('Disconnecting '),
  lit('User '),
  lit('PAM: '),
  lit('Did not receive '),
];
/**
 * The leads of the aggressive mode's rules that no other rule shares (its "Connection (?:closed|reset) by
 * <HOST>" shares "Connection " with failregex[2] and is read with it): without the mode, a message starting
 * with one matches no rule.
 */
const AGGRESSIVE_LEADS: readonly Word[] = [
  lit('Unable to negotiate with '),
  lit('banner exchange: '),
  lit('Bad protocol version identification '),
];
/** The filter's own rules; the aggressive mode's come after them, in file order. */
const OWN_RULES = 10;

/** The first bytes of OTHER_LEADS and AGGRESSIVE_LEADS, as flags. */
const OTHER_FIRST = new Uint8Array(128);
for (const lead of [...OTHER_LEADS, ...AGGRESSIVE_LEADS]) OTHER_FIRST[lead.bytes[0]!] = 1;

const isDigit = (c: number): boolean => c >= 48 && c <= 57;

/** The line buffer `view` reads: the last one asked for (a reader gets the same one line after line). */
let viewed: Uint8Array | undefined;
let view: DataView = new DataView(new ArrayBuffer(0));
const viewOf = (b: Uint8Array): DataView => {
  if (b !== viewed) {
    view = new DataView(b.buffer, b.byteOffset, b.byteLength);
    viewed = b;
  }
  return view;
};

/** Whether `b[at, e)` starts with `word`. */
function has(b: Uint8Array, at: number, e: number, word: Word): boolean {
  const n = word.length;
  if (at + n > e) return false;
  // In bounds: at + n ≤ e, and e never passes the end of `b`.
  const view = viewOf(b);
  const quads = word.quads;
  let i = 0;
  for (let k = 0; k < quads.length; k++, i += 4) if (view.getInt32(at + i, true) !== quads[k]) return false;
  const bytes = word.bytes;
  for (; i < n; i++) if (b[at + i] !== bytes[i]) return false;
  return true;
}

/**
 * Whether `b[from, to)` holds a byte `.` does not match (the span of a `.*`, a user name). The line is ASCII
 * (spec.ts), so of `.`'s line terminators (\n, \r, U+2028, U+2029) only the first two can occur.
 */
function hasLineTerminator(b: Uint8Array, from: number, to: number): boolean {
  // Four bytes at a time: x ^ 0x0a0a0a0a has a zero byte where x has a \n, and (v - 0x01010101) & ~v &
  // 0x80808080 is non-zero exactly when v has a zero byte.
  const view = viewOf(b);
  let i = from;
  for (; i + 4 <= to; i += 4) {
    const x = view.getInt32(i, true);
    const lf = x ^ 0x0a0a0a0a, cr = x ^ 0x0d0d0d0d;
    if ((((lf - 0x01010101) & ~lf) | ((cr - 0x01010101) & ~cr)) & 0x80808080) return true;
  }
  for (; i < to; i++) {
    const c = b[i]!;
    if (c === 10 || c === 13) return true;
  }
  return false;
}

/** The first of `words` that `b` has at `at`, as the index after it, or -1. */
function oneOf(b: Uint8Array, at: number, e: number, words: readonly Word[]): number {
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    if (has(b, at, e, w)) return at + w.length;
  }
  return -1;
}

const FROM = lit(' from ');
const SPACE = lit(' ');
const PORT = lit(' port ');
const SSH2 = lit(' ssh2');
const PREAUTH = lit(' [preauth]');
const NOTHING = lit('');

/**
 * `… <HOST> port \d{1,5}` + `suffix` at the end of the line, `<HOST>` right after `before` (` from ` or ` `),
 * with `.*` spanning `[anyStart, start of before)`. Sets the candidate and returns `rule`, or UNSURE.
 */
function hostPortSuffix(b: Uint8Array, anyStart: number, e: number, before: Word, suffix: Word, rule: number, st: ScanState): number {
  const digitsEnd = e - suffix.length;
  if (digitsEnd < anyStart || !has(b, digitsEnd, e, suffix)) return UNSURE;
  let j = digitsEnd;
  while (j > anyStart && isDigit(b[j - 1]!)) j--;
  const digits = digitsEnd - j;
  if (digits < 1 || digits > 5 || j - 6 < anyStart || !has(b, j - 6, e, PORT)) return UNSURE;
  return hostBefore(b, anyStart, e, before, j - 6, rule, st);
}

/** `before` + `<HOST>` ending at `hostEnd`, with `.*` spanning `[anyStart, start of before)`. */
function hostBefore(b: Uint8Array, anyStart: number, e: number, before: Word, hostEnd: number, rule: number, st: ScanState): number {
  let k = hostEnd;
  while (k > anyStart && b[k - 1] !== 32) k--;
  const anyEnd = k - before.length;
  if (k === hostEnd || anyEnd < anyStart || !has(b, anyEnd, e, before)) return UNSURE;
  if (hasLineTerminator(b, anyStart, anyEnd)) return UNSURE;
  st.hostStart = k;
  st.hostEnd = hostEnd;
  return rule;
}

// failregex[0]: Failed (?:password|publickey|keyboard-interactive/pam|none) for .* from <HOST> port \d{1,5} ssh2(?:: …)?$
// A line ending in " ssh2" leaves the optional key part empty (it cannot hold a space); other endings: UNSURE.
const METHODS = ['password for ', 'publickey for ', 'keyboard-interactive/pam for ', 'none for '].map(lit);
function readFailed(b: Uint8Array, from: number, e: number, st: ScanState): number {
  const user = oneOf(b, from + 7, e, METHODS);
  return user < 0 ? UNSURE : hostPortSuffix(b, user, e, FROM, SSH2, 0, st);
}

// failregex[1]: Invalid user .* from <HOST>(?: port \d{1,5})?$
// With a valid " port N" at the end the candidate is the run before it (a run of digits alone cannot be a
// <HOST>, so the variant without the port cannot take "N"); without one, the last run of the line.
function readInvalidUser(b: Uint8Array, from: number, e: number, st: ScanState): number {
  return hostMaybePort(b, from + 13, e, FROM, 1, st);
}

/** `before` + `<HOST>(?: port \d{1,5})?$`, with `.*` spanning `[anyStart, start of before)`, as failregex[1] reads it. */
function hostMaybePort(b: Uint8Array, anyStart: number, e: number, before: Word, rule: number, st: ScanState): number {
  const withPort = hostPortSuffix(b, anyStart, e, before, NOTHING, rule, st);
  return withPort !== UNSURE ? withPort : hostBefore(b, anyStart, e, before, e, rule, st);
}

// failregex[2]: Connection (?:closed|reset) by (?:authenticating|invalid) user .* <HOST> port \d{1,5} \[preauth\]$
// Without a user after "by " ("Connection closed by 192.0.2.1 port 22 [preauth]", a scanner's), only the
// aggressive mode's rule can match, `Connection (?:closed|reset) by <HOST> port \d{1,5} \[preauth\]$`, and only
// where it is compiled: the address right after "by ", alone up to the suffix.
const CLOSED = ['closed by ', 'reset by '].map(lit);
const WHO = ['authenticating user ', 'invalid user '].map(lit);
/** The aggressive mode's rule above: its index, after the filter's ten own rules. */
const CLOSED_BY_HOST = OWN_RULES + 2;
function readConnectionClosed(b: Uint8Array, from: number, e: number, st: ScanState): number {
  const by = oneOf(b, from + 11, e, CLOSED);
  if (by < 0) return UNSURE;
  const user = oneOf(b, by, e, WHO);
  if (user >= 0) return hostPortSuffix(b, user, e, SPACE, PREAUTH, 2, st);
  if (st.rules <= CLOSED_BY_HOST) return NO_MATCH;
  const rule = hostPortSuffix(b, by, e, NOTHING, PREAUTH, CLOSED_BY_HOST, st);
  // Text before the address: a space in what `<HOST>` would have to take.
  return rule === UNSURE || st.hostStart === by ? rule : NO_MATCH;
}

// failregex[3]: Disconnected from (?:authenticating|invalid) user .* <HOST> port \d{1,5} \[preauth\]$
// No other rule starts with "Disconnected from ": without a user after it ("Disconnected from 192.0.2.1 port
// 22 [preauth]", a scanner's; "Disconnected from user root …", a session's end) no rule matches.
function readDisconnected(b: Uint8Array, from: number, e: number, st: ScanState): number {
  const user = oneOf(b, from + 18, e, WHO);
  return user < 0 ? NO_MATCH : hostPortSuffix(b, user, e, SPACE, PREAUTH, 3, st);
}

// failregex[8]: pam_unix\(sshd:auth\): authentication failure; logname=\S* uid=\d{1,10} euid=\d{1,10} tty=\S* ruser=\S*
//   rhost=<HOST>(?: +user=.*)?$
// Each field before rhost= ends where a run without whitespace (`\S*`) or digits (`\d{1,10}`) ends, as the next
// field's text starts with a space, or, for a number, with a space after at most ten digits: the regex can end
// it nowhere else. `<HOST>` is then the whole run after "rhost=", as only a space (` +user=`) or the end may
// follow it. Anything unusual (a tab, a field out of place) is left to the regexes.
const PAM_UNIX = lit('pam_unix(sshd:auth): authentication failure; logname=');
const UID = lit(' uid=');
const EUID = lit(' euid=');
const TTY = lit(' tty=');
const RUSER = lit(' ruser=');
const RHOST = lit(' rhost=');
const USER = lit('user=');

/** `\s` on an ASCII line: space, \t, \n, \v, \f, \r. */
const isSpace = (c: number): boolean => c === 32 || (c >= 9 && c <= 13);

/** Where the run of non-whitespace bytes that starts at `at` ends. */
function runEnd(b: Uint8Array, at: number, e: number): number {
  while (at < e && !isSpace(b[at]!)) at++;
  return at;
}

/** 1 to 10 digits at `at`, then `next`: the index after `next`, or -1. */
function digitsThen(b: Uint8Array, at: number, e: number, next: Word): number {
  let i = at;
  while (i < e && isDigit(b[i]!)) i++;
  return i === at || i - at > 10 || !has(b, i, e, next) ? -1 : i + next.length;
}

function readPamUnix(b: Uint8Array, from: number, e: number, st: ScanState): number {
  let i = runEnd(b, from + PAM_UNIX.length, e);
  if (!has(b, i, e, UID)) return UNSURE;
  i = digitsThen(b, i + UID.length, e, EUID);
  i = i < 0 ? -1 : digitsThen(b, i, e, TTY);
  if (i < 0) return UNSURE;
  i = runEnd(b, i, e);
  if (!has(b, i, e, RUSER)) return UNSURE;
  i = runEnd(b, i + RUSER.length, e);
  if (!has(b, i, e, RHOST)) return UNSURE;
  const hostStart = i + RHOST.length;
  const hostEnd = runEnd(b, hostStart, e);
  if (hostEnd === hostStart) return UNSURE;
  if (hostEnd < e) {
    if (b[hostEnd] !== 32) return UNSURE;
    let j = hostEnd + 1;
    while (j < e && b[j] === 32) j++;
    if (!has(b, j, e, USER) || hasLineTerminator(b, j + USER.length, e)) return UNSURE;
  }
  st.hostStart = hostStart;
  st.hostEnd = hostEnd;
  return 8;
}

// failregex[4]: (?:error: )?maximum authentication attempts exceeded for .* from <HOST> port \d{1,5} ssh2 \[preauth\]$
const MAXIMUM = lit('maximum authentication attempts exceeded for ');
const ERROR_MAXIMUM = lit('error: maximum authentication attempts exceeded for ');
const SSH2_PREAUTH = lit(' ssh2 [preauth]');
function readMaximum(b: Uint8Array, user: number, e: number, st: ScanState): number {
  return hostPortSuffix(b, user, e, FROM, SSH2_PREAUTH, 4, st);
}

// failregex[5]: Disconnecting (?:authenticating|invalid) user .* <HOST> port \d{1,5}: Too many authentication failures \[preauth\]$
const DISCONNECTING = lit('Disconnecting ');
const TOO_MANY = lit(': Too many authentication failures [preauth]');
function readDisconnecting(b: Uint8Array, from: number, e: number, st: ScanState): number {
  const user = oneOf(b, from + 14, e, WHO);
  return user < 0 ? UNSURE : hostPortSuffix(b, user, e, SPACE, TOO_MANY, 5, st);
}

// failregex[6]: User .* from <HOST> not allowed because (?:not listed in AllowUsers|listed in DenyUsers|not in any
//   group|a group is listed in DenyGroups|none of user's groups are listed in AllowGroups)$
// The line ends with one of the five (none ends another), so `<HOST>` ends where that ending starts; a line
// that ends with none matches no rule (no other starts with "User ": "User child is on pid 1234").
const USER_LEAD = lit('User ');
const NOT_ALLOWED = ['not listed in AllowUsers', 'listed in DenyUsers', 'not in any group', 'a group is listed in DenyGroups',
  "none of user's groups are listed in AllowGroups"].map((why) => lit(` not allowed because ${why}`));
function readNotAllowed(b: Uint8Array, from: number, e: number, st: ScanState): number {
  for (let i = 0; i < NOT_ALLOWED.length; i++) {
    const end = NOT_ALLOWED[i]!;
    const hostEnd = e - end.length;
    if (hostEnd >= from + USER_LEAD.length && has(b, hostEnd, e, end)) return hostBefore(b, from + USER_LEAD.length, e, FROM, hostEnd, 6, st);
  }
  return NO_MATCH;
}

// failregex[7]: (?:error: )?PAM: (?:Authentication failure|[Aa]uthentication error|User not known to the underlying
//   authentication module) for .* from <HOST>$
// `<HOST>` is the last run of the line, with " from " before it. None of the four reasons starts another.
const PAM = lit('PAM: ');
const ERROR_PAM = lit('error: PAM: ');
const PAM_REASONS = ['Authentication failure for ', 'Authentication error for ', 'authentication error for ',
  'User not known to the underlying authentication module for '].map(lit);
function readPam(b: Uint8Array, reason: number, e: number, st: ScanState): number {
  const user = oneOf(b, reason, e, PAM_REASONS);
  return user < 0 ? UNSURE : hostBefore(b, user, e, FROM, e, 7, st);
}

// failregex[9]: Did not receive identification string from <HOST>(?: port \d{1,5})?$
// As failregex[1], but `<HOST>` comes right after the lead: a space between them leaves it nothing to match.
const DID_NOT_RECEIVE = lit('Did not receive identification string from ');
function readDidNotReceive(b: Uint8Array, from: number, e: number, st: ScanState): number {
  const host = from + DID_NOT_RECEIVE.length;
  const rule = hostMaybePort(b, host, e, NOTHING, 9, st);
  return rule === UNSURE || st.hostStart === host ? rule : UNSURE;
}

// The aggressive mode's rules, after the filter's own ten:
// modes.aggressive.failregex[0]: Unable to negotiate with <HOST> port \d{1,5}: no matching (?:key exchange method|host
//   key type|cipher|MAC) found\.
// Not anchored at the end (the client's offer follows): `<HOST>` runs from the lead to the first space.
const UNABLE = lit('Unable to negotiate with ');
const NO_MATCHING = lit(': no matching ');
const FOUND = ['key exchange method found.', 'host key type found.', 'cipher found.', 'MAC found.'].map(lit);
function readUnable(b: Uint8Array, from: number, e: number, st: ScanState): number {
  const hostStart = from + UNABLE.length;
  let i = hostStart;
  while (i < e && b[i] !== 32) i++;
  if (i === hostStart || !has(b, i, e, PORT)) return UNSURE;
  let j = i + PORT.length;
  const digits = j;
  while (j < e && isDigit(b[j]!)) j++;
  if (j === digits || j - digits > 5 || !has(b, j, e, NO_MATCHING) || oneOf(b, j + NO_MATCHING.length, e, FOUND) < 0) return UNSURE;
  if (hasLineTerminator(b, hostStart, i)) return UNSURE;
  st.hostStart = hostStart;
  st.hostEnd = i;
  return OWN_RULES;
}

// modes.aggressive.failregex[1]: banner exchange: Connection from <HOST> port \d{1,5}: invalid format$
const BANNER = lit('banner exchange: Connection from ');
const INVALID_FORMAT = lit(': invalid format');
function readBanner(b: Uint8Array, from: number, e: number, st: ScanState): number {
  const host = from + BANNER.length;
  const rule = hostPortSuffix(b, host, e, NOTHING, INVALID_FORMAT, OWN_RULES + 1, st);
  return rule === UNSURE || st.hostStart === host ? rule : UNSURE;
}

// modes.aggressive.failregex[3]: Bad protocol version identification '.*' from <HOST>(?: port \d{1,5})?$
// As failregex[1], with the client's text between quotes for the user name: the greedy `.*` gives back up to
// the last "' from " before the address.
const BAD_PROTOCOL = lit("Bad protocol version identification '");
const QUOTE_FROM = lit("' from ");
function readBadProtocol(b: Uint8Array, from: number, e: number, st: ScanState): number {
  return hostMaybePort(b, from + BAD_PROTOCOL.length, e, QUOTE_FROM, OWN_RULES + 3, st);
}

const SSHD = lit('sshd');
const SESSION = lit('-session');
const AUTH = lit('-auth');
const FAILED = lit('Failed ');
const INVALID_USER = lit('Invalid user ');
const CONNECTION = lit('Connection ');
const DISCONNECTED = lit('Disconnected from ');

/**
 * `sshd`, `sshd-session` or `sshd-auth`, an optional `[pid]` of 1 to 10 digits, then `: `: where the message
 * starts, -1 for another program (no rule can match: the prefix needs "sshd" right there), or UNSURE.
 */
function readProgram(b: Uint8Array, at: number, e: number): number {
  if (!has(b, at, e, SSHD)) return -1;
  let i = at + 4;
  // Nearly every line has "[" or ":" here; only a "-" can start either suffix.
  if (i < e && b[i] === 45 /* - */) {
    if (has(b, i, e, SESSION)) i += 8;
    else if (has(b, i, e, AUTH)) i += 5;
  }
  if (i < e && b[i] === 91 /* [ */) {
    const start = ++i;
    while (i < e && isDigit(b[i]!)) i++;
    if (i === start || i - start > 10 || i === e || b[i] !== 93 /* ] */) return UNSURE;
    i++;
  }
  return i + 1 < e && b[i] === 58 && b[i + 1] === 32 ? i + 2 : UNSURE;
}

export const sshdSpec: FastSpec = {
  name: 'sshd',
  // A match has read "sshd" where the program's name is, so the line holds the prefilter; NO_MATCH needs no
  // prefilter (compile.ts answers the same for a line without it: counted, no match).
  impliedLiteral: 'sshd',
  fingerprints: FINGERPRINTS,
  scan(b, s, e, st) {
    const program = readSyslogHead(b, s, e, st);
    if (program < 0) return UNSURE;
    const message = readProgram(b, program, e);
    // Another program's line (CRON, postfix, …): the jails of a shared syslog file see many of those.
    if (message === -1) return NO_MATCH;
    if (message < 0) return UNSURE;
    // Every rule starts with a lead: an empty message matches none.
    if (message === e) return NO_MATCH;
    const first = b[message]!;
    switch (first) {
      case 70: // F
        if (has(b, message, e, FAILED)) return readFailed(b, message, e, st);
        break;
      case 73: // I
        if (has(b, message, e, INVALID_USER)) return readInvalidUser(b, message, e, st);
        break;
      case 67: // C
        if (has(b, message, e, CONNECTION)) return readConnectionClosed(b, message, e, st);
        break;
      case 68: // D
        if (has(b, message, e, DISCONNECTED)) return readDisconnected(b, message, e, st);
        if (has(b, message, e, DISCONNECTING)) return readDisconnecting(b, message, e, st);
        if (has(b, message, e, DID_NOT_RECEIVE)) return readDidNotReceive(b, message, e, st);
        break;
      case 101: // e
        if (has(b, message, e, ERROR_MAXIMUM)) return readMaximum(b, message + ERROR_MAXIMUM.length, e, st);
        if (has(b, message, e, ERROR_PAM)) return readPam(b, message + ERROR_PAM.length, e, st);
        break;
      case 85: // U
        if (has(b, message, e, USER_LEAD)) return readNotAllowed(b, message, e, st);
        if (st.rules > OWN_RULES && has(b, message, e, UNABLE)) return readUnable(b, message, e, st);
        break;
      case 80: // P
        if (has(b, message, e, PAM)) return readPam(b, message + PAM.length, e, st);
        break;
      case 66: // B
        if (st.rules > OWN_RULES && has(b, message, e, BAD_PROTOCOL)) return readBadProtocol(b, message, e, st);
        break;
      case 98: // b
        if (st.rules > OWN_RULES && has(b, message, e, BANNER)) return readBanner(b, message, e, st);
        break;
      case 109: // m
        if (has(b, message, e, MAXIMUM)) return readMaximum(b, message + MAXIMUM.length, e, st);
        break;
      case 112: // p
        if (has(b, message, e, PAM_UNIX)) return readPamUnix(b, message, e, st);
        break;
    }
    // Most other sshd lines ("Accepted …", "pam_unix(sshd:session) …") share no first letter with a lead.
    if (first >= 128 || !OTHER_FIRST[first]) return NO_MATCH;
    if (oneOf(b, message, e, OTHER_LEADS) >= 0) return UNSURE;
    return st.rules > OWN_RULES && oneOf(b, message, e, AGGRESSIVE_LEADS) >= 0 ? UNSURE : NO_MATCH;
  },
};
