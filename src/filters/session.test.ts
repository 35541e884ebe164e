import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { parseAddress } from '../core/address.js';
import type { Address } from '../core/address.js';
import { compileFilter } from './compile.js';
import type { Filter } from './filter.js';
import { parseFilterText } from './load.js';
import { createSessions, roleOf } from './session.js';

const FILTER = String.raw`
prefix: '<SYSLOG>sshd\[(?<pid>\d{1,10})\]: '
session:
  id: pid
  max: 3
  expire: 5m
failregex:
  - 'Failed password for (?:invalid user )?(?<user>.*) from <HOST> port \d{1,5} ssh2$'
  - 'Disconnecting: Too many authentication failures(?: for (?<user>\S+))? \[preauth\]$'
  - rule: 'Connection from <HOST> port \d{1,5}(?: on \S+ port \d{1,5})?$'
    session: nofail
  - rule: 'Connection closed by <HOST> port \d{1,5}(?: \[preauth\])?$'
    session: [nofail, forget]
  - rule: 'Accepted \w+ for (?<user>\S+) from <HOST> port \d{1,5} ssh2$'
    session: [gained, forget]
  - rule: 'pam_unix\(sshd:auth\): authentication failure; ruser=(?<altuser>\S*) rhost=<HOST>(?: user=(?<user>\S*))?$'
    session: nofail
`;

function compile(text = FILTER, modes: string[] = []): Filter {
  const def = parseFilterText(text, 'ssh-session.yaml');
  if (!def.ok) throw new Error(JSON.stringify(def.errors));
  // A fixed clock: BSD times below are read as 2026.
  const compiled = compileFilter(def.value, { modes, maxLineLength: 4096, clock: { now: () => Date.UTC(2026, 11, 31) } });
  if (!compiled.ok) throw new Error(compiled.error);
  return compiled.value;
}

/** Runs the lines through one filter in order: the address each yields, or '-'. */
function run(lines: readonly string[], filter = compile()): string[] {
  return lines.map((l) => filter.match(l)?.address ?? '-');
}

const at = (time: string, pid: number, text: string): string => `Mar  7 ${time} srv sshd[${pid}]: ${text}`;

describe('filter sessions', () => {
  it('gives a failure without an address the address an earlier line of its session named', () => {
    expect(run([
      at('10:00:00', 100, 'Connection from 192.0.2.10 port 5000 on 198.51.100.1 port 22'),
      at('10:00:03', 100, 'Disconnecting: Too many authentication failures for root [preauth]'),
    ])).toEqual(['-', '192.0.2.10']);
  });

  it('keeps a failure pending until a later line of its session names the address', () => {
    expect(run([
      at('10:00:00', 100, 'Disconnecting: Too many authentication failures [preauth]'),
      at('10:00:01', 100, 'Connection closed by 192.0.2.11 port 5000 [preauth]'),
    ])).toEqual(['-', '192.0.2.11']);
  });

  it('never takes the address of another session: a pid mismatch is no match', () => {
    expect(run([
      at('10:00:00', 100, 'Connection from 192.0.2.10 port 5000'),
      at('10:00:01', 101, 'Disconnecting: Too many authentication failures [preauth]'),
      at('10:00:02', 102, 'Connection closed by 192.0.2.12 port 5001'),
    ])).toEqual(['-', '-', '-']);
  });

  it('is no failure for a line that only names the address, nor for a session that ends without failures', () => {
    expect(run([
      at('10:00:00', 100, 'Connection from 192.0.2.10 port 5000'),
      at('10:00:01', 100, 'Connection closed by 192.0.2.10 port 5000'),
    ])).toEqual(['-', '-']);
  });

  it('forgets a session after its line time passes the expiry', () => {
    expect(run([
      at('10:00:00', 100, 'Connection from 192.0.2.10 port 5000'),
      at('10:05:01', 100, 'Disconnecting: Too many authentication failures [preauth]'),
    ])).toEqual(['-', '-']);
    expect(run([
      at('10:00:00', 100, 'Connection from 192.0.2.10 port 5000'),
      at('10:04:59', 100, 'Disconnecting: Too many authentication failures [preauth]'),
    ])).toEqual(['-', '192.0.2.10']);
  });

  it('forgets a session at a forget rule: a later line with the same pid starts over', () => {
    expect(run([
      at('10:00:00', 100, 'Connection from 192.0.2.10 port 5000'),
      at('10:00:01', 100, 'Connection closed by 192.0.2.10 port 5000'),
      at('10:00:02', 100, 'Disconnecting: Too many authentication failures [preauth]'),
    ])).toEqual(['-', '-', '-']);
  });

  it('lets a successful login forget the failures its session left pending, when one user name was tried', () => {
    expect(run([
      at('10:00:00', 100, 'pam_unix(sshd:auth): authentication failure; ruser= rhost=192.0.2.13 user=rda'),
      at('10:00:00', 100, 'pam_unix(sshd:auth): authentication failure; ruser=rda rhost=192.0.2.13'),
      at('10:00:01', 100, 'Accepted password for rda from 192.0.2.13 port 5000 ssh2'),
      at('10:00:02', 100, 'Connection closed by 192.0.2.13 port 5000'),
    ])).toEqual(['-', '-', '-', '-']);
    expect(run([
      at('10:00:00', 101, 'Disconnecting: Too many authentication failures for rda [preauth]'),
      at('10:00:01', 101, 'Accepted password for rda from 192.0.2.13 port 5000 ssh2'),
    ])).toEqual(['-', '-']);
  });

  it('counts a session that tried several user names as failing, even when it ends in a login', () => {
    expect(run([
      at('10:00:00', 100, 'pam_unix(sshd:auth): authentication failure; ruser=root rhost=192.0.2.14'),
      at('10:00:01', 100, 'pam_unix(sshd:auth): authentication failure; ruser=sudoer rhost=192.0.2.14'),
      at('10:00:02', 100, 'Accepted password for known from 192.0.2.14 port 5000 ssh2'),
    ])).toEqual(['-', '192.0.2.14', '192.0.2.14']);
  });

  it('holds at most `max` sessions, dropping the one idle longest', () => {
    const lines = [0, 1, 2, 3].map((i) => at(`10:00:0${i}`, 200 + i, `Connection from 192.0.2.${20 + i} port 5000`));
    expect(run([
      ...lines,
      at('10:00:05', 203, 'Disconnecting: Too many authentication failures [preauth]'),
      at('10:00:06', 200, 'Disconnecting: Too many authentication failures [preauth]'),
    ])).toEqual(['-', '-', '-', '-', '192.0.2.23', '-']);
    const sessions = createSessions({ max: 3, expire: 60_000 });
    const nofail = roleOf(['nofail']);
    for (let i = 0; i < 1000; i++) sessions.judge(`pid${i}`, nofail, parseAddress('192.0.2.1') as Address, `user${i}`, i);
    expect(sessions.size).toBe(3);
  });

  it('keeps its ids and user names as strings of their own, not as views into the chunk their line was cut from', () => {
    v8.setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const sessions = createSessions({ max: 1000, expire: 60_000 });
    const rule = /^\S+ \S+ sshd\[(?<pid>\d+)\]: Invalid user (?<user>\S+) from/;
    const filler = `${'x'.repeat(99)}\n`.repeat(2_000);
    gc();
    const before = process.memoryUsage().heapUsed;
    for (let i = 0; i < 200; i++) {
      // Lines as the line splitter cuts them: slices of the chunk's one string of ~200 KB.
      const chunk = `${filler}Nov25 host sshd[${1_000_000_000 + i}]: Invalid user administrator${i} from 192.0.2.1\n`;
      const groups = rule.exec(chunk.split('\n').at(-2)!)?.groups;
      sessions.judge(groups?.['pid'], roleOf([]), undefined, groups?.['user'], i);
    }
    gc();
    // Held as views, the 200 ids and names keep their 200 chunks: 40 MB.
    expect(process.memoryUsage().heapUsed - before).toBeLessThan(10_000_000);
    expect(sessions.size).toBe(200);
  });

  it('never remembers an address a client wrote into its user name', () => {
    expect(run([
      // The user name is "x from 192.0.2.1 port 22 ssh2": the rule's anchored end finds the address sshd wrote.
      at('10:00:00', 100, 'Failed password for invalid user x from 192.0.2.1 port 22 ssh2 from 203.0.113.9 port 4000 ssh2'),
      at('10:00:01', 100, 'Disconnecting: Too many authentication failures [preauth]'),
      // A line no rule matches names nothing, whatever it contains.
      at('10:00:02', 101, 'input_userauth_request: invalid user y from 192.0.2.1 port 22 [preauth]'),
      at('10:00:03', 101, 'Disconnecting: Too many authentication failures for from_192.0.2.1 [preauth]'),
      at('10:00:04', 101, 'Connection closed by 203.0.113.10 port 4001 [preauth]'),
    ])).toEqual(['203.0.113.9', '203.0.113.9', '-', '-', '203.0.113.10']);
  });

  it('starts a new session when a line names another address than its session knows', () => {
    expect(run([
      at('10:00:00', 100, 'Failed password for root from 192.0.2.30 port 22 ssh2'),
      at('10:00:01', 100, 'Failed password for admin from 192.0.2.30 port 22 ssh2'),
      // Two user names would make this closing line a failure, but its address is not the session's.
      at('10:00:02', 100, 'Connection closed by 192.0.2.31 port 5000 [preauth]'),
      at('10:00:03', 101, 'Disconnecting: Too many authentication failures [preauth]'),
      at('10:00:04', 101, 'Connection from 192.0.2.32 port 5000'),
      at('10:00:05', 101, 'Connection closed by 192.0.2.33 port 5000'),
    ])).toEqual(['192.0.2.30', '192.0.2.30', '-', '-', '192.0.2.32', '-']);
  });

  it('applies the session flags of a mode\'s rules when the mode is enabled', () => {
    const text = `${FILTER}modes:\n  verbose:\n    failregex:\n      - rule: 'Postponed \\w+ for \\S+ from <HOST> port \\d{1,5} ssh2$'\n        session: nofail\n`;
    expect(run([
      at('10:00:00', 100, 'Postponed publickey for git from 192.0.2.40 port 5000 ssh2'),
      at('10:00:01', 100, 'Disconnecting: Too many authentication failures [preauth]'),
    ], compile(text, ['verbose']))).toEqual(['-', '192.0.2.40']);
  });

    it('judges a line alone when the prefix captured no session id', () => {
    const filter = compile(FILTER.replace(String.raw`sshd\[(?<pid>\d{1,10})\]: `, String.raw`sshd(?:\[(?<pid>\d{1,10})\])?: `));
    expect(run([
      'Mar  7 10:00:00 srv sshd: Connection from 192.0.2.10 port 5000',
      'Mar  7 10:00:01 srv sshd: Disconnecting: Too many authentication failures [preauth]',
      'Mar  7 10:00:02 srv sshd: Failed password for root from 192.0.2.15 port 22 ssh2',
    ], filter)).toEqual(['-', '-', '192.0.2.15']);
  });
});

describe('filter sessions as written in a filter file', () => {
  const errors = (text: string): string[] => {
    const r = parseFilterText(text, 'x.yaml');
    return r.ok ? [] : r.errors.map((e) => `${e.key}: ${e.message}`);
  };

  it('shows the session and the flags in the definition\'s JSON, which the daemon compares on reload', () => {
    const def = parseFilterText(FILTER, 'ssh-session.yaml');
    const json = def.ok ? JSON.stringify(def.value) : '';
    expect(json).toContain('"session":{"id":"pid","max":3,"expire":300000}');
    expect(json).toContain('"failregex[3]":["nofail","forget"]');
  });

  it('refuses session flags and rules without an address in a filter without sessions', () => {
    expect(errors("failregex:\n  - rule: 'from <HOST>'\n    session: nofail\n  - 'no address'\n")).toEqual([
      'failregex[0]: Session flags need the filter\'s "session" key (the id that links a session\'s lines)',
      'failregex[1]: A rule must contain <HOST> exactly once, found 0',
    ]);
  });

  it('refuses a session id the prefix does not capture, unknown flags, and nofail rules without an address', () => {
    expect(errors("prefix: 'x '\nsession:\n  id: pid\nfailregex:\n  - 'a <HOST>'\n")).toEqual([
      'session.id: The prefix must capture the session id in a group (?<pid>...) ("host" is taken)',
    ]);
    expect(errors("prefix: '(?<pid>\\d+) '\nsession: { id: pid, expire: '10' }\nfailregex:\n  - rule: 'b'\n    session: [nofail, later]\n")).toEqual([
      'session.expire: Invalid duration "10" (write 90s, 10m, 1h)',
      'failregex[0].session: Unknown session flag "later" (known: nofail, forget, gained)',
      'failregex[0]: A rule must contain <HOST> exactly once, found 0',
    ]);
  });
});
