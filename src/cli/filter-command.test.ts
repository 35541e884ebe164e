import { existsSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { missing } from '../../test/ci.js';
import { parseFilterText } from '../filters/load.js';
import type { Io } from './args.js';
import { filterCommand } from './filter-command.js';

const fixtures = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../testdata/filters/fail2ban/filter.d');

function run(argv: string[]): { code: number; out: string; err: string } {
  let out = '', err = '';
  const io: Io = { out: (t) => { out += t; }, err: (t) => { err += t; }, stdin: Readable.from([]) };
  return { code: filterCommand(argv, io), out, err };
}

describe('dictdefence filter import', () => {
  it('writes a filter file that loads, and lists what it left out on standard error', () => {
    const { code, out, err } = run(['import', path.join(fixtures, 'demo.conf')]);
    expect(code).toBe(0);
    expect(parseFilterText(out, 'demo.yaml').ok).toBe(true);
    expect(err).toBe('');
    const unlinked = run(['import', path.join(fixtures, 'unlinked.conf')]);
    expect(unlinked.code).toBe(0);
    expect(parseFilterText(unlinked.out, 'unlinked.yaml').ok).toBe(true);
    expect(unlinked.err).toContain('Left out failregex at unlinked.conf:11: marked <F-NOFAIL>');
    expect(unlinked.err).toContain('Left out failregex at unlinked.conf:12: no <HOST>');
  });

  it('passes --mode and --param on as fail2ban filter parameters', () => {
    expect(run(['import', '--mode', 'aggressive', path.join(fixtures, 'demo.conf')]).out).toContain('Probe from');
    expect(run(['import', '--param', 'mode=aggressive', path.join(fixtures, 'demo.conf')]).out).toContain('Probe from');
  });

  it('fails with exit code 1 naming the construct, the file and the line', () => {
    const { code, err } = run(['import', path.join(fixtures, 'bad-dns.conf')]);
    expect(code).toBe(1);
    expect(err).toMatch(/bad-dns\.conf:2: Cannot convert failregex "\^login from <DNS>\$": <DNS> matches host names/);
  });

  it('answers usage errors with exit code 2', () => {
    expect(run([]).code).toBe(2);
    expect(run(['export', 'x']).code).toBe(2);
    expect(run(['import']).code).toBe(2);
    expect(run(['import', '--param', 'novalue', 'x.conf']).code).toBe(2);
  });

  it('converts the sshd filter of the installed fail2ban package', () => {
    if (!existsSync('/etc/fail2ban/filter.d/sshd.conf') && missing('fail2ban (Debian package)', 'no /etc/fail2ban/filter.d/sshd.conf')) return;
    const { code, out } = run(['import', '/etc/fail2ban/filter.d/sshd.conf']);
    expect(code).toBe(0);
    const def = parseFilterText(out, 'sshd-f2b.yaml');
    expect(def.ok && def.value.failregex.length).toBeGreaterThan(10);
  });
});
