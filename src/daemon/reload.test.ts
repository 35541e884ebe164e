import { appendFileSync, chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../config/load.js';
import type { Config } from '../config/types.js';
import { parseAddress, type Address } from '../core/address.js';
import { ManualClock } from '../core/clock.js';
import { silentLogger } from '../core/log.js';
import { openSqliteStore } from '../stores/index.js';
import type { Store } from '../stores/store.js';
import { createDaemon, type Daemon } from './daemon.js';

const A = parseAddress('203.0.113.5') as Address;
const line = (a: string): string => `Jan  2 03:04:05 web1 sshd[42]: Failed password for root from ${a} port 4242 ssh2`;

/** Reload of a daemon in this process: which parts survive, where bans go, and that a bad config changes nothing. */
describe('reloading the daemon', () => {
  let dir: string;
  let store: Store | undefined;
  let daemon: Daemon | undefined;
  const clock = new ManualClock(Date.UTC(2025, 0, 2));
  afterEach(async () => { await daemon?.stop(); await store?.close(); rmSync(dir, { recursive: true, force: true }); });

  const recorder = (name: string): string => {
    const script = join(dir, name);
    writeFileSync(script, `#!/bin/sh\necho "$1 $2" >> '${script}.log'\n`);
    writeFileSync(`${script}.log`, '');
    chmodSync(script, 0o755);
    return script;
  };
  const calls = (name: string): string[] => readFileSync(join(dir, `${name}.log`), 'utf8').split('\n').filter(Boolean);
  /** A config with the given jails; every jail follows its own file (or `file`) and uses the named action. */
  const config = (jails: Record<string, { action: string; maxFailures?: number; ban?: string; file?: string; filter?: string }>, actions: Record<string, string>): Config => {
    const file = join(dir, 'dd.yaml');
    writeFileSync(file, [
      `state_dir: ${dir}`, 'whitelist_self: false', 'actions:',
      ...Object.entries(actions).map(([n, script]) => `  ${n}: { type: command, ban: [${script}, ban, "{address}"], unban: [${script}, unban, "{address}"] }`),
      'jails:',
      ...Object.entries(jails).flatMap(([n, j]) => [
        `  ${n}:`, `    sources: [{ type: file, path: ${join(dir, `${j.file ?? n}.log`)} }]`, `    filter: ${j.filter ?? 'sshd'}`, `    actions: [${j.action}]`,
        `    tracker: { max_failures: ${j.maxFailures ?? 3} }`, ...(j.ban ? [`    ban: { time: ${j.ban} }`] : []),
      ]),
    ].join('\n'));
    const r = loadConfig(file);
    if (!r.ok) throw new Error(r.errors.map((e) => e.message).join('; '));
    return r.config;
  };
  const start = async (c: Config): Promise<Daemon> => {
    store = await openSqliteStore({ path: join(dir, 'state.db') });
    daemon = createDaemon(c, { clock, log: silentLogger, store, selfAddresses: () => [] });
    await daemon.start();
    return daemon;
  };
  const fail = (d: Daemon, jail: string, address: string, times: number): void => {
    d.jails.get(jail)?.handle(Array.from({ length: times }, () => ({ text: line(address), source: 'test', receivedAt: clock.now() })));
  };
  const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 300));

  it('keeps an unchanged jail object and its tracker counts, and starts an added jail', async () => {
    dir = mkdtempSync(join(tmpdir(), 'dd-reload-'));
    const fw = recorder('fw');
    const d = await start(config({ sshd: { action: 'fw' } }, { fw }));
    const before = d.jails.get('sshd');
    fail(d, 'sshd', '203.0.113.5', 2);
    const r = await d.reload(config({ sshd: { action: 'fw' }, mail: { action: 'fw' } }, { fw }));
    expect(r).toEqual({ ok: true, summary: { added: ['mail'], removed: [], changed: [], kept: ['sshd'], needRestart: [] } });
    expect(d.jails.get('sshd')).toBe(before);
    fail(d, 'sshd', '203.0.113.5', 1);
    await settle();
    expect(calls('fw')).toEqual(['ban 203.0.113.5']);
    fail(d, 'mail', '203.0.113.6', 3);
    await settle();
    expect(calls('fw')).toContain('ban 203.0.113.6');
  });

  it('reads a file once for the jails that share it, each line offered to the jails that can match it, and keeps it on reload', async () => {
    dir = mkdtempSync(join(tmpdir(), 'dd-reload-'));
    const fw = recorder('fw');
    writeFileSync(join(dir, 'auth.log'), '');
    const jails = { sshd: { action: 'fw', file: 'auth' }, pure: { action: 'fw', file: 'auth', filter: 'pure-ftpd' } };
    const d = await start(config(jails, { fw }));
    const source = d.jails.get('sshd')?.sources[0];
    expect(d.jails.get('pure')?.sources).toEqual([source]);
    const ftp = 'Jan  2 03:04:05 web1 pure-ftpd: (?@203.0.113.7) [WARNING] Authentication failed for user [admin]';
    appendFileSync(join(dir, 'auth.log'), `${[line('203.0.113.5'), line('203.0.113.5'), ftp].join('\n')}\n`);
    await settle();
    expect(source?.counters.lines).toBe(3);
    expect(d.jails.get('sshd')?.counters).toMatchObject({ lines: 3, matched: 2 });
    expect(d.jails.get('pure')?.counters).toMatchObject({ lines: 3, matched: 1 });
    // Routed: the sshd filter never saw the pure-ftpd line, nor pure-ftpd's the sshd lines.
    expect(d.jails.get('sshd')?.filter.counters.lines).toBe(2);
    expect(d.jails.get('pure')?.filter.counters.lines).toBe(1);
    await d.reload(config({ ...jails, pure: { ...jails.pure, maxFailures: 5 } }, { fw }));
    expect(d.jails.get('pure')?.sources[0]).toBe(source);
    appendFileSync(join(dir, 'auth.log'), `${line('203.0.113.5')}\n`);
    await settle();
    expect(calls('fw')).toEqual(['ban 203.0.113.5']);
    // The rebuilt jail counts from the reload on; it still gets every line of the source it shares.
    expect(d.jails.get('pure')?.counters.lines).toBe(1);
  });

  it('rebuilds a jail whose ban policy changed but keeps its tracker, whose config did not', async () => {
    dir = mkdtempSync(join(tmpdir(), 'dd-reload-'));
    const fw = recorder('fw');
    const d = await start(config({ sshd: { action: 'fw' } }, { fw }));
    const tracker = d.jails.get('sshd')?.tracker;
    fail(d, 'sshd', '203.0.113.5', 2);
    const r = await d.reload(config({ sshd: { action: 'fw', ban: '2h' } }, { fw }));
    expect(r.ok && r.summary.changed).toEqual(['sshd']);
    expect(d.jails.get('sshd')?.tracker).toBe(tracker);
    fail(d, 'sshd', '203.0.113.5', 1);
    await settle();
    const [ban] = d.activeBans();
    expect(ban?.until).toBe(clock.now() + 2 * 3_600_000);
  });

  it('recompiles a filter whose mode rules alone changed', async () => {
    dir = mkdtempSync(join(tmpdir(), 'dd-reload-'));
    const fw = recorder('fw');
    mkdirSync(join(dir, 'filters'));
    const filter = (word: string): void => writeFileSync(join(dir, 'filters', 'own.yaml'),
      `prefix: '<SYSLOG>own: '\nfailregex: ['never <HOST>$']\nmodes:\n  extra:\n    failregex: ['${word} <HOST>$']\n`);
    const file = join(dir, 'dd.yaml');
    writeFileSync(file, [`state_dir: ${dir}`, 'whitelist_self: false',
      `actions: { fw: { type: command, ban: [${fw}, ban, "{address}"], unban: [${fw}, unban, "{address}"] } }`,
      'jails:', '  own:', `    sources: [{ type: file, path: ${join(dir, 'own.log')} }]`,
      '    filter: { name: own, modes: [extra] }', '    actions: [fw]', '    tracker: { max_failures: 1 }'].join('\n'));
    const load = (): Config => { const r = loadConfig(file); if (!r.ok) throw new Error(r.errors.map((e) => e.message).join('; ')); return r.config; };
    filter('Denied');
    const d = await start(load());
    filter('Refused');
    expect((await d.reload(load())).ok).toBe(true);
    d.jails.get('own')?.handle([{ text: 'Jan  2 03:04:05 web1 own: Refused 203.0.113.9', source: 'test', receivedAt: clock.now() }]);
    await settle();
    expect(calls('fw')).toEqual(['ban 203.0.113.9']);
  });

  it('moves active bans to the action a jail now uses, and lifts the bans of a removed jail', async () => {
    dir = mkdtempSync(join(tmpdir(), 'dd-reload-'));
    const fw = recorder('fw'), other = recorder('other');
    const d = await start(config({ sshd: { action: 'fw' }, mail: { action: 'fw' } }, { fw, other }));
    await d.ban(A, 'sshd', {});
    await d.ban(parseAddress('203.0.113.7') as Address, 'mail', {});
    await settle();
    const r = await d.reload(config({ sshd: { action: 'other' } }, { fw, other }));
    expect(r.ok && r.summary).toMatchObject({ removed: ['mail'], changed: ['sshd'] });
    await settle();
    expect(calls('other')).toEqual(['ban 203.0.113.5']);
    expect(calls('fw').sort()).toEqual(['ban 203.0.113.5', 'ban 203.0.113.7', 'unban 203.0.113.5', 'unban 203.0.113.7']);
    expect(d.activeBans().map((b) => `${b.jail} ${b.address}`)).toEqual(['sshd 203.0.113.5']);
    expect((await store!.activeBans()).map((b) => b.jail)).toEqual(['sshd']);
  });

  it('still bans, and records the ban the slow way, when the store fails to record it in one step', async () => {
    dir = mkdtempSync(join(tmpdir(), 'dd-reload-'));
    const fw = recorder('fw');
    store = await openSqliteStore({ path: join(dir, 'state.db') });
    const real = store;
    const failing: Store = Object.assign(Object.create(real) as Store, {
      recordBanNow: () => { throw new Error('disk I/O error'); },
    });
    const d = createDaemon(config({ sshd: { action: 'fw' } }, { fw }), { clock, log: silentLogger, store: failing, selfAddresses: () => [] });
    daemon = d;
    await d.start();
    fail(d, 'sshd', '203.0.113.5', 3);
    await settle();
    expect(calls('fw')).toEqual(['ban 203.0.113.5']);
    expect(d.counters.storeErrors).toBe(1);
    expect((await real.activeBans()).map((b) => b.address)).toEqual(['203.0.113.5']);
  });

  it('refuses to start when an action cannot start, while the store was read meanwhile', async () => {
    dir = mkdtempSync(join(tmpdir(), 'dd-reload-'));
    const fw = recorder('fw');
    const c = config({ sshd: { action: 'fw' } }, { fw });
    const broken: Config = { ...c, actions: new Map([...c.actions].map(([n, a]) => [n, { ...a, options: { ...a.options, init: [join(dir, 'missing-program')] } }])) };
    const unhandled: unknown[] = [];
    const onUnhandled = (e: unknown): void => { unhandled.push(e); };
    process.on('unhandledRejection', onUnhandled);
    try {
      store = await openSqliteStore({ path: join(dir, 'state.db') });
      // A store slower than the action's failure (a database across the network): the failure comes first.
      const real = store;
      const slow: Store = Object.assign(Object.create(real) as Store, {
        activeBans: async () => { await new Promise((r) => setTimeout(r, 500)); return real.activeBans(); },
      });
      const d = createDaemon(broken, { clock, log: silentLogger, store: slow, selfAddresses: () => [] });
      await expect(d.start()).rejects.toThrow('Cannot start action "fw"');
      await settle();
    } finally { process.off('unhandledRejection', onUnhandled); }
    expect(unhandled).toEqual([]);
  });

  it('rejects a config whose new action cannot start and keeps running the old one', async () => {
    dir = mkdtempSync(join(tmpdir(), 'dd-reload-'));
    const fw = recorder('fw');
    const d = await start(config({ sshd: { action: 'fw' } }, { fw }));
    const before = d.jails.get('sshd');
    const next = config({ sshd: { action: 'broken' } }, { fw, broken: fw });
    const broken: Config = { ...next, actions: new Map([...next.actions].map(([n, a]) => [n, n === 'broken' ? { ...a, options: { ...a.options, init: [join(dir, 'missing-program')] } } : a])) };
    const r = await d.reload(broken);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.errors[0]).toContain('Cannot start action "broken"');
    expect(d.jails.get('sshd')).toBe(before);
    fail(d, 'sshd', '203.0.113.5', 3);
    await settle();
    expect(calls('fw')).toEqual(['ban 203.0.113.5']);
  });
});
