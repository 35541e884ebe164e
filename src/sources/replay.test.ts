/**
 * Replay by line time: `dictdefence test` on a whole old log bans what the daemon would have banned when
 * the lines were written, and not an address whose failures were spread over more than the window — for
 * syslog lines and for web server access logs (line-time-extra.ts). test/replay.test.ts does the same
 * through `dictdefence run` with a stdin source.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { testCommand } from '../cli/test-command.js';
import { tempDir } from '../../test/sources.js';

let dir: { dir: string; remove: () => void };
beforeEach(() => { dir = tempDir(); });
afterEach(() => dir.remove());

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad = (n: number): string => String(n).padStart(2, '0');
/** Yesterday at 10:00 local time, plus `minutes`. */
const at = (minutes: number): Date => {
  const d = new Date();
  d.setDate(d.getDate() - 1);
  d.setHours(10, minutes, 0, 0);
  return d;
};
const syslog = (d: Date, address: string): string =>
  `${MONTHS[d.getMonth()]} ${String(d.getDate()).padStart(2, ' ')} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())} web1 sshd[42]: Failed password for root from ${address} port 50022 ssh2`;
const access = (d: Date, address: string): string =>
  `${address} - admin [${pad(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} +0000] "POST /login HTTP/1.1" 401 17 "-" "curl/8"`;

async function wouldBan(args: string[], log: string[]): Promise<string[]> {
  const file = join(dir.dir, 'old.log');
  writeFileSync(file, log.map((l) => `${l}\n`).join(''));
  let out = '';
  const code = await testCommand([...args, '--json', file], { out: (t) => { out += t; }, err: (t) => { out += t; }, stdin: process.stdin });
  expect(code).toBe(0);
  const last = out.trim().split('\n').at(-1) ?? '{}';
  const summary = (JSON.parse(last) as { summary: { wouldBan: { address: string }[] } }).summary;
  return summary.wouldBan.map((w) => w.address).sort();
}

/** Five failures each: one address within 8 minutes, the other once every 3 minutes (12 minutes in all). */
function interleaved(line: (d: Date, a: string) => string): string[] {
  const out: string[] = [];
  for (let i = 0; i < 5; i++) {
    out.push(line(at(i * 2), '203.0.113.1'));
    out.push(line(at(i * 3), '203.0.113.2'));
  }
  return out;
}

describe('replay of an old log by its own timestamps', () => {
  it('bans a burst and not failures spread over more than the window (syslog lines, 5 in 10m)', async () => {
    expect(await wouldBan(['--filter', 'sshd'], interleaved(syslog))).toEqual(['203.0.113.1']);
  });

  it('does the same for a web server access log, timed by its [dd/Mon/yyyy:hh:mm:ss ±zzzz] field', async () => {
    const regex = '^<HOST> - \\S+ \\[[^\\]]+\\] "POST /login[^"]*" 401 ';
    expect(await wouldBan(['--regex', regex], interleaved(access))).toEqual(['203.0.113.1']);
  });
});
