import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { missing } from '../../../test/ci.js';
import { parseAddress } from '../../core/address.js';
import { compileFilter } from '../compile.js';
import type { Filter } from '../filter.js';
import { parseFilterText } from '../load.js';
import { importFail2banFilter } from './convert.js';
import { readSampleLogs } from './sample-logs.js';

// The importer against the real thing: Debian's fail2ban package (installed by .ci/run) ships the filters in
// /etc/fail2ban/filter.d and fail2ban's own annotated sample logs in its test files. Each filter is converted
// once per option set the logs use (mode, logging…), and every annotated line is run through that one filter
// instance in file order, as fail2ban's samplestestcase.py does: sessions link a line to the earlier lines of
// its connection. Agreement: the line matches exactly when fail2ban's annotation says it does, with the same
// address. The bar is 95% of all annotated lines; every line that differs is listed with the reason when one
// is known. Some differ by design: fail2ban bans host names and quads with leading zeros, DictDefence never does.
const FILTERS = '/etc/fail2ban/filter.d';
const LOGS = '/usr/lib/python3/dist-packages/fail2ban/tests/files/logs';
const NAMES = ['sshd', 'postfix', 'dovecot', 'nginx-http-auth', 'apache-auth'];
const THRESHOLD = 0.95;
const available = existsSync(path.join(FILTERS, 'sshd.conf')) && existsSync(path.join(LOGS, 'sshd'));
const report: string[] = [];

/** Where DictDefence disagrees on purpose (docs/filters.md). */
function byDesign(host: string | undefined): string | undefined {
  if (host === undefined || parseAddress(host) !== undefined) return undefined;
  return /^[\d.]+$/.test(host) ? 'by design: not a valid address (leading zeros)' : 'by design: a host name, never banned';
}

function importFilter(name: string, options: Readonly<Record<string, string>>): Filter {
  const { mode, ...rest } = options;
  const imported = importFail2banFilter(path.join(FILTERS, `${name}.conf`), { mode, params: new Map(Object.entries(rest)) });
  if (!imported.ok) throw new Error(imported.errors.map((e) => `${e.file}:${e.line}: ${e.message}`).join('\n'));
  const def = parseFilterText(imported.value.yaml, `${name}.yaml`);
  if (!def.ok) throw new Error(JSON.stringify(def.errors));
  const compiled = compileFilter(def.value, { modes: [], maxLineLength: 8192 });
  if (!compiled.ok) throw new Error(compiled.error);
  return compiled.value;
}

describe('fail2ban filter import on fail2ban\'s own sample logs', () => {
  afterAll(() => { if (report.length > 0) process.stdout.write(`\n${report.join('\n')}\n`); });

  it.each(NAMES)('%s converted agrees with fail2ban on at least 95% of all annotated lines', (name) => {
    if (!available && missing('fail2ban (Debian package)', `no ${FILTERS}/sshd.conf or ${LOGS}/sshd`)) return;
    // One instance per option set, fed every line of that set in file order: its sessions see them in order.
    const filters = new Map<string, Filter>();
    let agree = 0;
    const rest: string[] = [];
    const cases = readSampleLogs(LOGS, name);
    for (const c of cases) {
      // A journal entry reaches DictDefence with a head; fail2ban's journal samples are "host prog[pid]: msg".
      const text = c.options['logtype'] === 'journal' ? `Jan  1 00:00:00 ${c.text}` : c.text;
      const key = JSON.stringify(c.options);
      const filter = filters.get(key) ?? importFilter(name, c.options);
      filters.set(key, filter);
      const got = filter.match(text);
      const want = c.match ? (c.host === undefined ? 'a match' : parseAddress(c.host) ?? c.host) : 'no match';
      const ok = c.match ? got !== undefined && (c.host === undefined || got.address === parseAddress(c.host)) : got === undefined;
      if (ok) { agree++; continue; }
      const why = (c.match ? byDesign(c.host) : undefined) ?? 'not by design: a difference to look into';
      const opts = Object.keys(c.options).length ? ` ${JSON.stringify(c.options)}` : '';
      rest.push(`    ${c.file}:${c.line}${opts}: fail2ban ${want}, DictDefence ${got?.address ?? 'no match'} (${why})\n      ${c.text.slice(0, 160)}`);
    }
    const total = cases.length;
    const share = agree / total;
    report.push(`${name}: agrees on ${agree}/${total} annotated lines (${(share * 100).toFixed(1)}%)`, ...rest);
    expect(total).toBeGreaterThan(10);
    expect(share, `${name}: ${(share * 100).toFixed(1)}% agreement`).toBeGreaterThanOrEqual(THRESHOLD);
  });

  it('converted sshd never lets a user name a client chose become the address of a session', () => {
    if (!available && missing('fail2ban (Debian package)', `no ${FILTERS}/sshd.conf`)) return;
    const filter = importFilter('sshd', {});
    const at = (pid: number, text: string): string => `Mar  7 10:00:00 srv sshd[${pid}]: ${text}`;
    const run = (lines: string[]): string[] => lines.map((l) => filter.match(l)?.address ?? '-');
    // The user name is "x from 192.0.2.1 port 22 ssh2": the address is the one sshd wrote last.
    expect(run([
      at(700, 'Failed password for invalid user x from 192.0.2.1 port 22 ssh2 from 203.0.113.9 port 4000 ssh2'),
      at(700, 'Disconnecting: Too many authentication failures [preauth]'),
    ])).toEqual(['203.0.113.9', '203.0.113.9']);
    // Two user names make the session's closing line a failure; the user "x 192.0.2.1 on" makes fail2ban's
    // closing rule read 192.0.2.1 as the address. A line naming another address starts a new session.
    expect(run([
      at(701, 'Invalid user x 192.0.2.1 on from 203.0.113.9 port 4000'),
      at(701, 'Invalid user y from 203.0.113.9 port 4000'),
      at(701, 'Connection closed by invalid user x 192.0.2.1 on 203.0.113.9 port 4000 [preauth]'),
    ])).toEqual(['203.0.113.9', '203.0.113.9', '-']);
  });
});
