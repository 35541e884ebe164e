import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileFilter } from '../compile.js';
import { ipv4Address, ipv6KeyInto, type Address } from '../../core/address.js';
import type { Filter, Match } from '../filter.js';
import { loadFilterFile, parseSamples, shippedFiltersDir, type FilterDef } from '../load.js';
import { NO_KEY, NO_MATCH, OTHER_ADDRESS, scanIPv4Of, UNSURE, withFastPath, type IPv4Hit } from './index.js';
import { sshdSpec } from './sshd.js';

// The fast path must agree with the regexes on every line, to the match, the rule, the address, the time and
// every counter: a line it gets wrong is an attacker it misses or an address it bans for someone else. So the
// sshd reader is run against the filter's current regexes (forced, even if the fingerprint says they changed)
// on lines built to hit its edges, on random mutations of them, and on long hostile lines.

const def = ((): FilterDef => {
  const r = loadFilterFile(path.join(shippedFiltersDir, 'sshd.yaml'));
  if (!r.ok) throw new Error('Cannot load filters/sshd.yaml');
  return r.value;
})();

let seed = 12345;
const rnd = (n: number): number => { seed = (Math.imul(seed, 1103515245) + 12345) >>> 0; return (seed >>> 8) % n; };
const pick = <T>(xs: readonly T[]): T => xs[rnd(xs.length)] as T;

const HEADS = ['Nov 25 16:55:59', 'Mar  1 00:00:00', 'Feb 29 12:00:00', 'Jan 1 00:00:00', 'Dec 31 23:59:59', 'Dec 31 23:59:60',
  'Abc 12 00:00:00', 'Mar 1 24:00:00', 'Mar 32 00:00:00', 'Apr 31 10:00:00', 'Mar 12 00:00:00.123456', 'Mar 12 00:00:00 <auth.info>',
  '2024-03-01T00:00:00+00:00', 'Wed 2024-03-01 00:00:00 UTC', '1709251200.123', 'mar 12 00:00:00', 'Mar  12 00:00:00',
  'Mar 05 00:00:00', 'Mar 5  00:00:00', 'Mar 5 0:00:00',
  // RFC 3339 and journald's short-iso, which the reader reads too, and their near misses.
  '2026-11-25T16:55:59.123456+01:00', '2026-03-01T00:00:00Z', '2026-03-01 00:00:00', '2026-03-01T00:00:00', '2026-03-01T00:00:00-0730',
  '2026-03-01T00:00:00,5+05', '2026-02-29T00:00:00Z', '2026-13-01T00:00:00Z', '2026-03-01T00:00:60Z', '2026-03-01T24:00:00Z',
  '2026-03-01T00:00:00+24:00', '2026-03-01T00:00:00-03:60', '2026-03-01T00:00:00.1234567890Z', '2026-03-01T00:00:00.Z',
  '2026-03-01T00:00:00+01:0', '2026-03-01T00:00:00+011', '2026-03-01t00:00:00Z', '0099-03-01T00:00:00Z', '2026-3-01T00:00:00Z',
  // journald's short-precise and its near misses.
  'Nov 25 16:55:59.5', 'Dec 31 23:59:59.999999999', 'Dec 31 23:59:60.5', 'Mar 12 00:00:00.1234567890', 'Mar 12 00:00:00.', 'Mar 12 00:00:00,5'];
const HOSTS = ['web1', 'a', 'x'.repeat(255), 'x'.repeat(256), '<auth.info>', 'host\tname', 'hö', 'sshd[1]:', '', 'h h'];
const PROGRAMS = ['sshd[123]', 'sshd', 'sshd-session[9]', 'sshd-auth[9]', 'sshd[1234567890]', 'sshd[12345678901]', 'sshd[]',
  'sshd-sess[1]', 'sshdx[1]', 'CRON[1]', 'sshd[1', 'sshd-session', 'sshd-auth'];
const SEPARATORS = [': ', ': ', ': ', ':', ':  '];
const MESSAGES = [
  'Failed password for {user} from {host} port {port} ssh2',
  'Failed password for invalid user {user} from {host} port {port} ssh2',
  'Failed publickey for {user} from {host} port {port} ssh2: RSA SHA256:abcDEF+/=',
  'Failed keyboard-interactive/pam for {user} from {host} port {port} ssh2',
  'Failed none for {user} from {host} port {port} ssh2',
  'Failed passwd for {user} from {host} port {port} ssh2',
  'Failed password for {user} from {host} port {port} ssh2 ',
  'Invalid user {user} from {host} port {port}',
  'Invalid user {user} from {host}',
  'Invalid user {user} from {host} port',
  'Connection closed by authenticating user {user} {host} port {port} [preauth]',
  'Connection reset by invalid user {user} {host} port {port} [preauth]',
  'Connection closed by {host} port {port} [preauth]',
  'Connection reset by {host} port {port} [preauth]',
  'Connection closed by {user} {host} port {port} [preauth]',
  'Connection closed by {host} port {port}',
  'Connection closed by {host}  port {port} [preauth]',
  'Connection closed by  {host} port {port} [preauth]',
  'Connection closed by invalid user {user} {host} port {port}',
  'Disconnected from invalid user {user} {host} port {port} [preauth]',
  'Disconnected from authenticating user {user} {host} port {port} [preauth]',
  'Disconnected from user {user} {host} port {port}',
  'Disconnected from {host} port {port} [preauth]',
  'Disconnected from invalid  user {user} {host} port {port} [preauth]',
  'error: kex_exchange_identification: Connection closed by remote host',
  'error: Received disconnect from {host} port {port}:14: No supported authentication methods available [preauth]',
  'error: maximum authentication attempts exceeded for invalid user {user} from {host} port {port} ssh2 [preauth]',
  'error:  PAM: Authentication failure for {user} from {host}',
  'error: PAM: User not known to the underlying authentication module for {user} from {host}',
  'Disconnecting invalid user {user} {host} port {port}: Too many authentication failures [preauth]',
  'error: maximum authentication attempts exceeded for {user} from {host} port {port} ssh2 [preauth]',
  'maximum authentication attempts exceeded for {user} from {host} port {port} ssh2 [preauth]',
  'error: maximum authentication attempts exceeded for {user} from {host} port {port} ssh2',
  'Disconnecting authenticating user {user} {host} port {port}: Too many authentication failures [preauth]',
  'Disconnecting user {user} {host} port {port}: Too many authentication failures [preauth]',
  'Disconnecting invalid user {user} {host} port {port}: Too many authentication failures',
  'User {user} from {host} not allowed because not listed in AllowUsers',
  'error: PAM: Authentication failure for {user} from {host}',
  'pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost={host}  user={user}',
  'pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost={host} user={user}',
  'pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost={host}',
  'pam_unix(sshd:auth): authentication failure; logname={user} uid={port} euid={port} tty={user} ruser={user} rhost={host}',
  'pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost={host}user={user}',
  'pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost={host} {user}',
  'pam_unix(sshd:auth): authentication failure; logname= uid=12345678901 euid=0 tty=ssh ruser= rhost={host}',
  'pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser=rhost={host} rhost={host}',
  'pam_unix(sshd:auth): check pass; user unknown',
  'pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost={host}\tuser={user}',
  'pam_unix(sshd:auth): authentication failure; logname=\v uid=0 euid=0 tty=ssh ruser= rhost={host}\fuser={user}',
  'pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh\t ruser= rhost={host} \tuser={user}',
  'pam_unix(sshd:auth):authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost={host}',
  'Did not receive identification string from {host} port {port}',
  'Unable to negotiate with {host} port {port}: no matching key exchange method found.',
  "Bad protocol version identification '{user}' from {host} port {port}",
  'banner exchange: Connection from {host} port {port}: invalid format',
  // failregex[6], [7] and [9], and the aggressive mode's, with their edges.
  'User {user} from {host} not allowed because listed in DenyUsers',
  'User {user} from {host} not allowed because not in any group',
  'User {user} from {host} not allowed because a group is listed in DenyGroups',
  "User {user} from {host} not allowed because none of user's groups are listed in AllowGroups",
  'User {user} from {host} not allowed because listed in DenyUsers ',
  'User {user} from {host}not allowed because not listed in AllowUsers',
  'User {user} {host} not allowed because not listed in AllowUsers',
  'User {user} from {host} not allowed because not listed in AllowUsers listed in DenyUsers',
  'User {user} from {host} not allowed because in DenyUsers',
  'User child is on pid {port}',
  'PAM: Authentication failure for {user} from {host}',
  'PAM: authentication error for {user} from {host}',
  'PAM: Authentication error for illegal user {user} from {host}',
  'error: PAM: Authentication failure for {user} from {host} ',
  'PAM: User not known to the underlying authentication module for {user} from {host} port {port}',
  'PAM: Authentication failure for {user} from {host}:{port}',
  'PAM: Authentication failure for {user} {host}',
  'PAM:Authentication failure for {user} from {host}',
  'PAM 2 more authentication failures; logname= uid=0 euid=0 tty=ssh ruser= rhost={host}  user={user}',
  'Did not receive identification string from {host}',
  'Did not receive identification string from {host} port {port} ',
  'Did not receive identification string from  {host} port {port}',
  'Did not receive identification string from {user} {host} port {port}',
  'Did not receive identification string from {host}{user}',
  'Did not receive identification string from{host}',
  'Unable to negotiate with {host} port {port}: no matching host key type found. Their offer: ssh-rsa,ssh-dss [preauth]',
  'Unable to negotiate with {host} port {port}: no matching cipher found.',
  'Unable to negotiate with {host} port {port}: no matching MAC found',
  'Unable to negotiate with {host}  port {port}: no matching cipher found.',
  'Unable to negotiate with {user} port {port}: no matching key exchange method found.',
  'Unable to negotiate with {host} port {port}:no matching cipher found.',
  'Unable to negotiate with {host} port {port}: no matching {user} found.',
  'banner exchange: Connection from {host} port {port}: invalid format ',
  'banner exchange: Connection from {user} {host} port {port}: invalid format',
  'banner exchange: Connection from {host} port {port}: could not read protocol version',
  'banner exchange: Connection from {host}: invalid format',
  "Bad protocol version identification '{user}' from {host}",
  "Bad protocol version identification '{user}' from {host} port {port} ",
  "Bad protocol version identification '' from {host} port {port}",
  "Bad protocol version identification '{user}' from ' from {host}",
  "Bad protocol version identification '{user}'from {host} port {port}",
  "Bad protocol version identification '{user} from {host} port {port}",
  'Bad protocol version identification {user} from {host} port {port}',
  'Accepted publickey for {user} from {host} port {port} ssh2: ED25519 SHA256:x',
  'pam_unix(sshd:session): session opened for user {user}(uid=1000) by (uid=0)',
  'Received disconnect from {host} port {port}:11: Bye Bye [preauth]',
];
const USERS = ['root', '', 'a b', 'x from 1.2.3.4 port 22 ssh2', 'x from 1.2.3.4', '1.2.3.4', 'a\rb', 'a\u2028b', 'a\u2029b',
  'a\u0000b', 'é', '\u{1d518}', 'user port 1', ' ', 'from', 'a  from 5.6.7.8 port 1 [preauth]', 'invalid user x',
  'x 9.9.9.9 port 2 [preauth]', 'x from 2001:db8::9 port 3 ssh2', '\ud800', 'port 22 ssh2'];
const ADDRESSES = ['192.0.2.1', '10.0.0.255', '256.1.1.1', '01.2.3.4', '1.2.3', '2001:db8::1', '2001:DB8::A', '::ffff:192.0.2.7',
  '::1', 'fe80::1%eth0', '2001:db8::1:52314', '1:2:3:4:5:6:7:8:9', 'example.com', '', '1.2.3.4.5', '::', ':::',
  '2001:db8:0:0:0:0:2:1', '0.0.0.0', '255.255.255.255', '\uff11.2.3.4', '999.999.999.999', '1.2.3.4%eth0', 'abcd::12345',
  '::ffff:1.2.3.4:5', '1.2.3.4 '];
const PORTS = ['22', '0', '65535', '123456', '', 'x', '1 2', '00022'];
const HOSTILE = [' ', ' from ', ' port ', ' ssh2', ' [preauth]', ':', '.', '1', 'f', '\r', '\n', '\u2028', '\u0000', '[', ']',
  'sshd', 'Failed ', 'Invalid user ', '%eth0', '\t', 'é', '\ud83d\ude00', '  '];

function line(): string {
  const message = pick(MESSAGES).replace('{user}', pick(USERS)).replace('{host}', pick(ADDRESSES)).replace('{port}', pick(PORTS));
  return `${pick(HEADS)} ${pick(HOSTS)} ${pick(PROGRAMS)}${pick(SEPARATORS)}${message}`;
}

function mutate(text: string): string {
  let s = text;
  for (let n = 1 + rnd(3); n > 0; n--) {
    const at = rnd(s.length + 1);
    const op = rnd(4);
    if (op === 0) s = s.slice(0, at) + pick(HOSTILE) + s.slice(at);
    else if (op === 1) s = s.slice(0, at) + s.slice(at + 1 + rnd(4));
    else if (op === 2) s = s.slice(0, at) + pick(HOSTILE) + s.slice(at + 1);
    else s = s.slice(0, at) + s.slice(rnd(s.length)); // splice a tail from elsewhere in the line
  }
  return s;
}

interface Pair { fast: Filter; slow: Filter; fallbacks: () => number; setNow: (t: number) => void }

function pair(modes: string[], withTime: boolean): Pair {
  let now = Date.UTC(2026, 5, 1);
  const clock = { now: () => now };
  const options = { modes, maxLineLength: 8192, withTime, clock, fastPath: false };
  const compile = (): Filter => {
    const r = compileFilter(def, options);
    if (!r.ok) throw new Error(r.error);
    return r.value;
  };
  const slow = compile();
  const inner = compile();
  let fallbacks = 0;
  const counted: Filter = { ...inner, match: (l) => { fallbacks++; return inner.match(l); } };
  return { slow, fast: withFastPath(def, options, counted, sshdSpec), fallbacks: () => fallbacks, setNow: (t) => { now = t; } };
}

/** Feeds every line to both; returns the lines where they differ (at most 10), with both answers. */
function compare(p: Pair, lines: Iterable<string>): string[] {
  const bad: string[] = [];
  for (const text of lines) {
    // Mostly this year, now and then right around New Year, when the year of a BSD time flips.
    p.setNow(rnd(4) === 0 ? Date.UTC(2026, 0, 1) + (rnd(5) - 2) * 86_400_000 + rnd(86_400_000) : Date.UTC(2026, 5, 1) + rnd(1e9));
    const a = JSON.stringify(p.fast.match(text)), b = JSON.stringify(p.slow.match(text));
    if (a !== b && bad.length < 10) bad.push(`${JSON.stringify(text)}: fast ${a}, regexes ${b}`);
  }
  return bad;
}

const TAILS = [' web1 sshd[1]: Failed password for root from 192.0.2.9 port 22 ssh2\n', ': Invalid user a from 192.0.2.9\n',
  '1]: Failed password for x from 192.0.2.9 port 22 ssh2', ' 192.0.2.9 port 22 [preauth]', '2 ssh2', '.9', '1 port 22 ssh2\n', ' ',
  'Failed password for root from 192.0.2.9 port 22 ssh2'];

/** A bytes entry as the fuzz test drives it: `null` means "match the string instead", as the callers do. */
type BytesEntry = (b: Buffer, start: number, end: number, now: number) => Match | undefined | null;

/** Whether `key[at, at + 4)` are the key words of the IPv6 address `address`. */
const sameKey = (key: Int32Array, at: number, address: Address): boolean => {
  const want = new Int32Array(4);
  return ipv6KeyInto(address, [0, 0, 0, 0, 0, 0, 0, 0], want, 0) && want.every((w, i) => key[at + i] === w);
};

/** {@link scanIPv4Of}'s entry, its numbers turned back into the `Match` they stand for. */
const viaScanIPv4 = (f: Filter): BytesEntry | undefined => {
  const scan = scanIPv4Of(f);
  const hit: IPv4Hit = { v4: -1, time: NaN, address: '' as Address, rule: -1, key: NO_KEY, keyAt: 0 };
  return scan && ((b, s, e, now) => {
    hit.address = '' as Address;
    const r = scan(b, s, e, now, hit);
    if (r === UNSURE) return null;
    if (r === NO_MATCH) return undefined;
    // The key words handed on with an IPv6 address are that address's: a wrong one shows as another address.
    if (r === OTHER_ADDRESS && !sameKey(hit.key, hit.keyAt, hit.address)) return { address: `wrong key for ${hit.address}` as Address, rule: hit.rule };
    const m = r === OTHER_ADDRESS ? { address: hit.address, rule: hit.rule } : { address: ipv4Address(hit.v4), rule: r };
    return Number.isNaN(hit.time) ? m : { ...m, time: hit.time };
  });
};

/**
 * The same through a bytes entry, as `dictdefence test` calls it: each ASCII line without NUL in the middle
 * of a buffer whose neighbouring bytes are other lines (a read past the line's end would see them), the rest as
 * strings; `null` from the bytes entry means the string is matched instead, as the caller does.
 */
function compareBytes(p: Pair, lines: readonly string[], entryOf: (f: Filter) => BytesEntry | undefined): string[] {
  const bytes = entryOf(p.fast);
  if (bytes === undefined) return ['no bytes entry'];
  const bad: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const text = lines[i]!;
    const now = Date.UTC(2026, 5, 1) + rnd(1e9);
    p.setNow(now);
    let a;
    if (/^[\x01-\x7f]*$/.test(text)) {
      // What follows the line completes it into a match for a reader that reads past its end.
      const before = `${lines[(i + 1) % lines.length]}\n`, after = pick(TAILS);
      const buf = Buffer.from(before + text + after, 'utf8');
      const start = Buffer.byteLength(before);
      const r = bytes(buf, start, start + text.length, now);
      a = JSON.stringify(r === null ? p.fast.match(text) : r);
    } else {
      a = JSON.stringify(p.fast.match(text));
    }
    const b = JSON.stringify(p.slow.match(text));
    if (a !== b && bad.length < 10) bad.push(`${JSON.stringify(text)}: bytes ${a}, regexes ${b}`);
  }
  return bad;
}

const samples = parseSamples(readFileSync(path.join(shippedFiltersDir, 'sshd.samples'), 'utf8')).samples.map((s) => s.text);

describe.each([
  { modes: [], withTime: true },
  { modes: [], withTime: false },
  { modes: ['aggressive'], withTime: true },
])('the sshd fast path with modes $modes and withTime $withTime', ({ modes, withTime }) => {
  it('agrees with the regexes on the annotated samples and on generated and mutated lines', () => {
    const p = pair(modes, withTime);
    const generated = Array.from({ length: 40_000 }, line);
    const mutated = generated.map(mutate);
    expect(compare(p, [...samples, ...samples.map(mutate), ...generated, ...mutated])).toEqual([]);
    expect(p.fast.counters).toEqual(p.slow.counters);
  });

  it('agrees with the regexes through the bytes entry, reading nothing past the line', () => {
    const p = pair(modes, withTime);
    const generated = Array.from({ length: 40_000 }, line);
    expect(compareBytes(p, [...samples, ...samples.map(mutate), ...generated, ...generated.map(mutate)], viaScanIPv4)).toEqual([]);
    expect(p.fast.counters).toEqual(p.slow.counters);
  });

  it('agrees through the bytes entry on many addresses other than IPv4, near misses among them', () => {
    const p = pair(modes, withTime);
    // 20,000 candidates, each back about three times among the others: IPv6 addresses, with a zone or not, and
    // near misses (not an address, or one that folds to IPv4), which the reader must not take for each other.
    const hex = (n: number): string => n.toString(16);
    const pool = Array.from({ length: 20_000 }, (_, i) => {
      const k = i % 5;
      if (k === 0) return `2001:db8:${hex(i)}::${hex(rnd(65536))}`;
      if (k === 1) return `2001:db8::${hex(i)}`;
      if (k === 2) return `::ffff:192.0.${(i >> 8) & 255}.${i & 255}`;
      if (k === 3) return `2001:db8:${hex(i)}::g${hex(rnd(16))}`;
      return `fe80::${hex(i)}%eth${rnd(3)}`;
    });
    const messages = [
      (a: string) => `Failed password for root from ${a} port 22 ssh2`,
      (a: string) => `Invalid user admin from ${a}`,
      (a: string) => `Connection closed by authenticating user root ${a} port 22 [preauth]`,
    ];
    const lines = Array.from({ length: 60_000 }, (_, i) =>
      `Mar  1 00:${String((i >> 10) % 60).padStart(2, '0')}:00 web1 sshd[1]: ${pick(messages)(pick(pool))}`);
    expect(compareBytes(p, lines, viaScanIPv4)).toEqual([]);
    expect(p.fast.counters).toEqual(p.slow.counters);
  });

  it('agrees on long hostile lines, and reads them in linear time', () => {
    const p = pair(modes, withTime);
    const head = 'Mar  1 00:00:00 web1 sshd[1]: ';
    const long = [
      `${head}Failed password for ${' from 1.2.3.4 port 22 ssh2'.repeat(4000)} from 192.0.2.1 port 22 ssh2`,
      `${head}Invalid user ${'a '.repeat(50_000)}from 192.0.2.1 port 22`,
      `${head}Connection closed by authenticating user ${'1'.repeat(100_000)} 192.0.2.1 port 22 [preauth]`,
      `${head}Failed password for ${'x'.repeat(100_000)}`,
    ];
    expect(compare(p, long)).toEqual([]);
    expect(p.fast.counters).toEqual(p.slow.counters);
  });

  it('decides most ordinary lines itself', () => {
    const p = pair(modes, withTime);
    const messages = [
      (a: string) => `Failed password for root from ${a} port 22 ssh2`,
      (a: string) => `Invalid user admin from ${a} port 22`,
      (a: string) => `pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=${a}  user=root`,
      (a: string) => `pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=${a}`,
      (a: string) => `Disconnected from ${a} port 22 [preauth]`,
      (a: string) => `Connection closed by ${a} port 22 [preauth]`,
      (a: string) => `error: maximum authentication attempts exceeded for root from ${a} port 22 ssh2 [preauth]`,
      (a: string) => `Disconnecting authenticating user root ${a} port 22: Too many authentication failures [preauth]`,
      () => 'error: kex_exchange_identification: Connection closed by remote host',
      (a: string) => `User root from ${a} not allowed because not listed in AllowUsers`,
      (a: string) => `error: PAM: Authentication failure for root from ${a}`,
      (a: string) => `Did not receive identification string from ${a} port 22`,
      (a: string) => `Unable to negotiate with ${a} port 22: no matching host key type found. Their offer: ssh-rsa [preauth]`,
      (a: string) => `banner exchange: Connection from ${a} port 22: invalid format`,
      (a: string) => `Bad protocol version identification 'GET / HTTP/1.1' from ${a} port 22`,
    ];
    // BSD heads, RFC 3339 heads as Debian's rsyslog writes them since version 12, journald's short-precise.
    const heads = [(s: string) => `Mar  1 00:00:${s}`, (s: string) => `2026-03-01T00:00:${s}.123456+01:00`, (s: string) => `Mar  1 00:00:${s}.123456`];
    const ordinary = Array.from({ length: 2000 }, (_, i) =>
      `${heads[Math.floor(i / messages.length) % heads.length]!(String(i % 60).padStart(2, '0'))} web1 sshd[${1000 + i}]: ${messages[i % messages.length]!(`10.0.${i >> 8}.${i & 255}`)}`);
    expect(compare(p, ordinary)).toEqual([]);
    expect(p.fallbacks()).toBe(0);
  });
});
