import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from './load.js';
import { formatConfigError } from './types.js';

const fixtures = resolve(import.meta.dirname, '../../testdata/config-invalid');
const tmp = mkdtempSync(join(tmpdir(), 'dd-config-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const write = (name: string, text: string): string => {
  const p = join(tmp, name);
  mkdirSync(join(p, '..'), { recursive: true });
  writeFileSync(p, text);
  return p;
};

describe('invalid configs in testdata/config-invalid', () => {
  const files = readdirSync(fixtures).filter((f) => f.endsWith('.yaml')).sort();

  it('are at least twenty', () => {
    expect(files.length).toBeGreaterThanOrEqual(20);
  });

  for (const f of files) {
    it(`${f} is rejected with its expected message, file and line`, () => {
      const text = readFileSync(join(fixtures, f), 'utf8');
      const expectText = /^# expect: (.*)$/m.exec(text)?.[1];
      const expectLine = Number(/^# line: (\d+)$/m.exec(text)?.[1]);
      expect(expectText, 'fixture has an "# expect:" line').toBeTruthy();
      const r = loadConfig(join(fixtures, f));
      expect(r.ok).toBe(false);
      if (r.ok) return;
      const messages = r.errors.map(formatConfigError);
      const hit = messages.find((m) => m.includes(expectText as string));
      expect(hit, `errors were:\n${messages.join('\n')}`).toBeDefined();
      expect(hit).toContain(`${f}:${expectLine}:`);
    });
  }
});

describe('loadConfig', () => {
  const base = `actions:\n  rec: { type: noban }\njails:\n  sshd:\n    sources: [{ type: file, path: auth.log }]\n    filter: sshd\n    actions: [rec]\n`;

  it('fills every default and resolves paths relative to the config file', () => {
    const file = write('a/dd.yaml', base);
    const r = loadConfig(file);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const c = r.config;
    expect(c.stateDir).toBe('/var/lib/dictdefence');
    expect(c.store).toEqual({ type: 'sqlite', path: '/var/lib/dictdefence/state.db', retentionMs: 30 * 86_400_000 });
    expect(c.maxLineLength).toBe(8192);
    expect(c.whitelistSelf).toBe(true);
    const jail = c.jails.get('sshd');
    expect(jail?.tracker).toEqual({ type: 'window', maxFailures: 5, periodMs: 600_000, maxEntries: 1_000_000 });
    expect(jail?.ban).toEqual({ timeMs: 3_600_000, factor: 2, maxTimeMs: 604_800_000, permanentAfter: 0, countAllJails: false });
    expect(jail?.sources[0]?.path).toBe(join(tmp, 'a/auth.log'));
  });

  it('merges conf.d drop-ins in name order, key by key, appending to the whitelist', () => {
    const file = write('b/dd.yaml', `whitelist: [192.0.2.0/24]\n${base}`);
    write('b/conf.d/10-tune.yaml', 'jails:\n  sshd:\n    tracker: { max_failures: 3 }\nwhitelist: ["2001:db8::/32"]\n');
    write('b/conf.d/20-off.yaml', 'jails:\n  sshd:\n    enabled: false\n');
    const r = loadConfig(file);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const jail = r.config.jails.get('sshd');
    expect(jail?.enabled).toBe(false);
    expect(jail?.tracker).toMatchObject({ type: 'window', maxFailures: 3, periodMs: 600_000 });
    expect(r.config.whitelist.map((w) => w.text)).toEqual(['192.0.2.0/24', '2001:db8::/32']);
  });

  it('names the drop-in file and line when the error is in a drop-in', () => {
    const file = write('c/dd.yaml', base);
    write('c/conf.d/50-bad.yaml', 'jails:\n  sshd:\n    tracker: { period: soon }\n');
    const r = loadConfig(file);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors.map(formatConfigError).join('\n')).toContain(`50-bad.yaml:3: jails.sshd.tracker.period: invalid duration "soon"`);
  });

  it('reads whitelist files and names the line of a bad entry', () => {
    write('d/white.txt', '# trusted\n198.51.100.7\n2001:db8::/48  # office\nnot-an-ip\n');
    const file = write('d/dd.yaml', `whitelist: [{ file: white.txt }]\n${base}`);
    const r = loadConfig(file);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors.map(formatConfigError)).toEqual([`${join(tmp, 'd/white.txt')}:4: whitelist: invalid address or CIDR "not-an-ip"`]);
  });

  it('reports every error at once, not only the first', () => {
    const file = write('e/dd.yaml', `bogus: 1\ndefaults:\n  ban: { time: forever }\n${base}`);
    const r = loadConfig(file);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors.length).toBe(2);
  });

  it('accepts the ema tracker with a rate per minute', () => {
    const file = write('f/dd.yaml', `defaults:\n  tracker: { type: ema, rate: 12/m, alpha: 0.5 }\n${base}`);
    const r = loadConfig(file);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.config.jails.get('sshd')?.tracker).toMatchObject({ type: 'ema', rate: 0.2, alpha: 0.5, minFailures: 3 });
  });
});
