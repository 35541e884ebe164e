import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import type { Io } from './args.js';
import { testCommand } from './test-command.js';
import { numberedLines } from './test-input.js';

const dir = mkdtempSync(path.join(tmpdir(), 'dd-test-command-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const FAIL = (ip: string, n = 1): string => `Nov 25 16:55:${String(n % 60).padStart(2, '0')} web1 sshd[1]: Failed password for root from ${ip} port 22 ssh2`;
const INVALID = (ip: string): string => `Nov 25 16:56:00 web1 sshd[1]: Invalid user admin from ${ip} port 22`;

function log(name: string, content: string | Buffer): string {
  const file = path.join(dir, name);
  writeFileSync(file, content);
  return file;
}

async function run(argv: string[], stdin: string | Buffer = ''): Promise<{ code: number; out: string; err: string }> {
  let out = '', err = '';
  const io: Io = { out: (t) => { out += t; }, err: (t) => { err += t; }, stdin: Readable.from([Buffer.from(stdin)]) };
  const code = await testCommand(argv, io);
  return { code, out, err };
}

describe('dictdefence test', () => {
  const sshd = log('auth.log', [FAIL('203.0.113.1', 1), FAIL('203.0.113.1', 2), INVALID('203.0.113.2'), 'Nov 25 16:56:01 web1 CRON[2]: nothing here',
    FAIL('203.0.113.1', 3), FAIL('203.0.113.1', 4), FAIL('203.0.113.1', 5), 'Nov 25 16:56:02 web1 app[3]: login failure for x from 198.51.100.9', ''].join('\n'));

  it('counts matches per rule, shows up to N sample lines per rule and the addresses that would be banned', async () => {
    const { code, out } = await run(['--filter', 'sshd', '--samples', '2', sshd]);
    expect(code).toBe(0);
    expect(out).toMatch(/#0 +5 {2}failregex\[0\] \(.*filters\/sshd\.yaml:\d+\)/);
    expect(out).toMatch(/#1 +1 {2}failregex\[1\]/);
    expect(out.match(/ {8}line \d+: .*Failed password/g)).toHaveLength(2);
    expect(out).toContain('line 3: Nov 25 16:56:00 web1 sshd[1]: Invalid user admin');
    expect(out).toMatch(/Would ban under window: 5 failures in 10m: 1 address\n +203\.0\.113\.1 +1 ban +first at line 7/);
    expect(out).toContain('Run with --show-missed');
  });

  it('judges the lines the fast path leaves to the regexes in their place among the others', async () => {
    // The bytes reader leaves line 1 (a key after "ssh2") to the regexes; the fifth failure, the ban, is line 5
    // when the lines are judged in order, and was line 1 when such lines came after the rest of their chunk.
    const first = `${FAIL('203.0.113.9', 0).replace('Failed password', 'Failed publickey')}: RSA SHA256:abcDEF`;
    const mixed = log('order.log', [first, ...[1, 2, 3, 4].map((n) => FAIL('203.0.113.9', n)), ''].join('\n'));
    const { out } = await run(['--filter', 'sshd', mixed]);
    expect(out).toMatch(/Matched 5 lines/);
    expect(out).toMatch(/203\.0\.113\.9 +1 ban +first at line 5\n/);
  });

  it('bans the same IPv6 addresses at the same lines by the bytes path as by the regexes (--show-missed)', async () => {
    // Thirty IPv6 attackers, five failures each, in turn: each new one is filed by the key words the reader
    // keeps in its own slot, and a slip there would fold them into fewer entries.
    const lines = [1, 2, 3, 4, 5].flatMap((n) => Array.from({ length: 30 }, (_, i) => FAIL(`2001:db8:${i.toString(16)}::${(7 * i + 1).toString(16)}`, n)));
    const file = log('v6.log', [...lines, ''].join('\n'));
    const bans = (out: string): string => out.slice(out.indexOf('Would ban'), out.indexOf('\n\n', out.indexOf('Would ban')));
    const bytes = await run(['--filter', 'sshd', file]);
    const regexes = await run(['--filter', 'sshd', '--show-missed', file]);
    expect(bans(bytes.out)).toMatch(/: 30 addresses\n/);
    expect(bans(bytes.out)).toBe(bans(regexes.out));
  });

  it('lists lines with an address and a failure word that no rule matched only with --show-missed', async () => {
    const { out } = await run(['--filter', 'sshd', '--show-missed', sshd]);
    expect(out).toContain('Missed (an address and a failure word, but no rule matched): 1\n  line 8: Nov 25 16:56:02 web1 app[3]: login failure for x from 198.51.100.9');
  });

  it('writes one JSON object per matched line, then a summary with the rules, samples and counters', async () => {
    const { code, out } = await run(['--filter', 'sshd', '--json', '--samples', '1', '--show-missed', sshd]);
    expect(code).toBe(0);
    const objects = out.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(objects[0]).toEqual({ line: 1, address: '203.0.113.1', filter: 'sshd', rule: 0 });
    const summary = objects[objects.length - 1]!['summary'] as Record<string, unknown> & { rules: { key: string; matches: number; samples: unknown[] }[] };
    expect(summary).toMatchObject({ lines: 8, matched: 6, addresses: 2, overlong: 0, binary: 0, invalidUtf8: 0, missed: { count: 1 } });
    expect(summary.rules[0]).toMatchObject({ key: 'failregex[0]', matches: 5, samples: [{ line: 1, text: FAIL('203.0.113.1', 1) }] });
  });

  it('runs a single --regex, searched anywhere unless it starts with ^', async () => {
    const anywhere = await run(['--regex', 'login failure for \\S+ from <HOST>$', sshd]);
    expect(anywhere.out).toMatch(/#0 +1 {2}failregex\[0\]/);
    const anchored = await run(['--regex', '^login failure for \\S+ from <HOST>$', sshd]);
    expect(anchored.out).toMatch(/#0 +0 {2}failregex\[0\]/);
  });

  it('refuses a --regex without <HOST>, one that does not compile and a catastrophic one, saying why', async () => {
    expect(await run(['--regex', '^failed from \\S+', sshd])).toMatchObject({ code: 1, err: expect.stringContaining('<HOST> exactly once') });
    expect(await run(['--regex', '^failed (from <HOST>', sshd])).toMatchObject({ code: 1, err: expect.stringContaining('Invalid regular expression') });
    expect(await run(['--regex', '^(\\w+\\s?)+ from <HOST>', sshd])).toMatchObject({ code: 1, err: expect.stringContaining('Catastrophic pattern') });
  });

  it('reads standard input with -', async () => {
    const { out } = await run(['--filter', 'sshd', '-'], `${FAIL('203.0.113.7')}\n`);
    expect(out).toContain('on standard input: 1 lines');
    expect(out).toMatch(/Matched 1 lines from 1 addresses/);
  });

  it('skips and counts a 1 MB line and binary lines, matches invalid UTF-8, and keeps line numbers right', async () => {
    const file = log('bad.log', Buffer.concat([
      Buffer.from(`${'x'.repeat(1 << 20)}\n`), Buffer.from(`${FAIL('203.0.113.3')}\u0000\n`),
      Buffer.from('Nov 25 16:55:59 web1 sshd[1]: Failed password for r'), Buffer.from([0xff, 0xfe]),
      Buffer.from(' from 203.0.113.4 port 22 ssh2\n'), Buffer.from(`${FAIL('203.0.113.5')}\n`),
    ]));
    const { code, out } = await run(['--filter', 'sshd', '--json', file]);
    expect(code).toBe(0);
    const objects = out.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(objects.slice(0, 2)).toEqual([
      { line: 3, address: '203.0.113.4', filter: 'sshd', rule: 0 }, { line: 4, address: '203.0.113.5', filter: 'sshd', rule: 0 },
    ]);
    expect(objects[2]!['summary']).toMatchObject({ lines: 2, overlong: 1, binary: 1, invalidUtf8: 1 });
  });

  it('answers a usage error with exit code 2', async () => {
    expect((await run([])).code).toBe(2);
    expect((await run(['--filter', 'sshd', '--regex', 'x <HOST>', sshd])).code).toBe(2);
    expect((await run(['--samples', 'many', sshd])).code).toBe(2);
  });

  it('reports a missing file with exit code 1', async () => {
    expect(await run(['--filter', 'sshd', path.join(dir, 'none.log')])).toMatchObject({ code: 1, err: expect.stringContaining('Cannot read') });
  });
});

describe('dictdefence test, bytes path and string path', () => {
  // --show-missed needs every unmatched line's text, so it turns the bytes path (addresses as numbers) off:
  // both must come to the same verdicts, whitelist, repeat and permanent bans included.
  it('bans the same addresses, as often, from the same lines', async () => {
    // ::ffff:10.1.2.3 is 10.1.2.3 written otherwise: one address, however it is written.
    const pool = ['203.0.113.7', '10.1.2.3', '255.255.255.254', '192.0.2.1', '192.0.2.200', '2001:db8::7', '2001:db8:1::1', '198.51.100.77',
      '::ffff:10.1.2.3', '2001:db8:2::5', '2001:db8:2:1::9'];
    const lines: string[] = [];
    let seed = 11;
    const rnd = (n: number): number => { seed = (Math.imul(seed, 1103515245) + 12345) >>> 0; return (seed >>> 8) % n; };
    for (let i = 0; i < 4000; i++) {
      const t = new Date(Date.UTC(2025, 2, 1) + i * 7_000);
      const head = `Mar  1 ${t.toISOString().slice(11, 19)} web1 sshd[${100 + rnd(5)}]:`;
      const ip = pool[rnd(pool.length)]!;
      lines.push(rnd(3) === 0 ? `${head} Invalid user u${i} from ${ip} port 22` : `${head} Failed password for root from ${ip} port 22 ssh2`);
    }
    const file = log('mixed-paths.log', `${lines.join('\n')}\n`);
    const config = log('paths.yaml', [
      `state_dir: ${dir}/state`, `store: { type: sqlite, path: ${dir}/state/s.db }`,
      'whitelist: [192.0.2.0/25, "2001:db8:1::1", "2001:db8:2::/48", 255.255.255.254]',
      'defaults:', '  tracker: { type: window, max_failures: 3, period: 10m }', '  ban: { time: 2m, factor: 2, max_time: 1h, permanent_after: 4 }',
      'actions: { none: { type: noban } }',
      `jails: { sshd: { sources: [{ type: file, path: ${file} }], filter: sshd, actions: [none] } }`, ''].join('\n'));
    const summary = async (extra: string[]): Promise<Record<string, unknown>> => {
      const r = await run(['-c', config, '--json', ...extra, file]);
      expect(r).toMatchObject({ code: 0, err: '' });
      const s = JSON.parse(r.out.trim().split('\n').at(-1)!) as { summary: Record<string, unknown> };
      return s.summary;
    };
    const bytes = await summary([]);
    const strings = await summary(['--show-missed']);
    expect(Object.keys(bytes)).toEqual(expect.arrayContaining(['wouldBan', 'addresses', 'whitelisted', 'rules']));
    for (const key of ['wouldBan', 'addresses', 'whitelisted', 'rules']) expect(bytes[key]).toEqual(strings[key]);
    // The log makes every kind of verdict: bans of IPv4 and IPv6 addresses, repeats, and whitelisted matches.
    const bans = bytes.wouldBan as { address: string; bans: number }[];
    expect(bans.map((b) => b.address).sort()).toEqual(['10.1.2.3', '192.0.2.200', '198.51.100.77', '2001:db8::7', '203.0.113.7']);
    // Each reaches its permanent fourth ban, after which its failures count no more.
    expect(bans.map((b) => b.bans)).toEqual([4, 4, 4, 4, 4]);
    expect(bytes.whitelisted).toBeGreaterThan(1000);
  });
});

describe('numberedLines', () => {
  it('numbers every line, splits across chunk borders and never buffers an overlong line', async () => {
    const counters = { overlong: 0, binary: 0, invalid: 0 };
    const chunks = ['a\nb', 'c\n\nd', 'x'.repeat(50), 'y\ne\r\n', 'last'];
    const got: { n: number; text: string }[] = [];
    for await (const { first, lines, places } of numberedLines(Readable.from(chunks.map((c) => Buffer.from(c))), 10, counters)) {
      lines.forEach((text, i) => got.push({ n: first + places[i]!, text }));
    }
    expect(got).toEqual([{ n: 1, text: 'a' }, { n: 2, text: 'bc' }, { n: 5, text: 'e' }, { n: 6, text: 'last' }]);
    expect(counters).toEqual({ overlong: 1, binary: 0, invalid: 0 });
  });
});
