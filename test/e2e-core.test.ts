import { appendFileSync, writeFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { cli } from './cli.js';
import { recorder, sleep, sshdFailure, startDaemon, tempDir, until, type Daemon, type TempDir } from './daemon.js';

/**
 * The core engine end to end, with real processes: a log file, the daemon, the sshd filter and a command
 * action that records what it is asked to do.
 */
describe('the daemon, end to end', () => {
  let dir: TempDir;
  const daemons: Daemon[] = [];
  afterEach(async () => {
    for (const d of daemons.splice(0)) await d.stop('SIGKILL');
    dir?.cleanup();
  });

  /** A log file, a config with one jail per filter named, all reading it, and a command action recording `what`. */
  type SetUp = { config: string; log: string; rec: ReturnType<typeof recorder> };
  const setUp = (banTime: string, filters = ['sshd'], what = '{address}'): SetUp => {
    dir = tempDir('dd-e2e-');
    const rec = recorder(dir);
    const log = dir.file('auth.log');
    writeFileSync(log, '');
    const config = dir.file('dd.yaml');
    writeFileSync(config, [
      `state_dir: ${dir.file('state')}`,
      `pidfile: ${dir.file('dd.pid')}`,
      `control: { socket: ${dir.file('control.sock')} }`,
      `store: { type: sqlite, path: ${dir.file('state.db')} }`,
      'whitelist: [198.51.100.0/24]',
      'defaults:',
      '  tracker: { type: window, max_failures: 5, period: 10m }',
      `  ban: { time: ${banTime} }`,
      'actions:',
      `  record: { type: command, ban: [${rec.script}, ban, "${what}"], unban: [${rec.script}, unban, "${what}"] }`,
      'jails:',
      ...filters.flatMap((f) => [`  ${f}:`, `    sources: [{ type: file, path: ${log} }]`, `    filter: ${f}`, '    actions: [record]']),
    ].join('\n'));
    return { config, log, rec };
  };

  const start = async (config: string): Promise<Daemon> => {
    const d = startDaemon(['run', '-c', config]);
    daemons.push(d);
    expect(await until(() => d.output().includes('Started with'), 10_000), d.output()).toBe(true);
    return d;
  };

  const fail = (log: string, address: string, times: number): void => {
    for (let i = 0; i < times; i++) appendFileSync(log, sshdFailure(address));
  };

  it('bans at five failures, not at four, never a whitelisted address, and keeps the ban across kill -9', async () => {
    const { config, log, rec } = setUp('6s');
    const first = await start(config);
    fail(log, '203.0.113.77', 5);
    fail(log, '203.0.113.78', 4);
    fail(log, '198.51.100.5', 7);
    expect(await until(() => rec.lines().includes('ban 203.0.113.77')), first.output()).toBe(true);
    const bannedAt = Date.now();
    await sleep(1000);
    expect(rec.lines()).toEqual(['ban 203.0.113.77']);

    first.child.kill('SIGKILL');
    await first.stop();
    const second = await start(config);
    expect(second.output()).toContain('Restored 1 active ban');
    expect(await until(() => rec.lines().length === 2), second.output()).toBe(true);
    expect(rec.lines()).toEqual(['ban 203.0.113.77', 'ban 203.0.113.77']);

    // Lifted at its time (6 s after the ban), not at the restart.
    expect(await until(() => rec.lines().includes('unban 203.0.113.77'), 12_000), second.output()).toBe(true);
    const liftedAfter = Date.now() - bannedAt;
    expect(liftedAfter).toBeGreaterThanOrEqual(5_000);
    expect(rec.lines()).toEqual(['ban 203.0.113.77', 'ban 203.0.113.77', 'unban 203.0.113.77']);

    // The lines read before the kill are not read again: no new ban after the unban.
    await sleep(1500);
    expect(rec.lines().filter((l) => l.startsWith('ban '))).toHaveLength(2);
  });

  it('lifts at start a ban that expired while the daemon was down', async () => {
    const { config, log, rec } = setUp('2s');
    const first = await start(config);
    fail(log, '203.0.113.90', 5);
    expect(await until(() => rec.lines().includes('ban 203.0.113.90')), first.output()).toBe(true);
    first.child.kill('SIGKILL');
    await first.stop();
    await sleep(2500);
    const second = await start(config);
    expect(await until(() => rec.lines().includes('unban 203.0.113.90')), second.output()).toBe(true);
    expect(second.output()).toContain('lifted 1 that expired while stopped');
    expect(rec.lines()).toEqual(['ban 203.0.113.90', 'unban 203.0.113.90']);
  });

  it('runs two jails on one file, the sshd jail reading bytes, and each bans what its filter finds', async () => {
    const { config, log, rec } = setUp('10m', ['sshd', 'pam-generic'], '{jail}/{address}');
    const d = await start(config);
    const head = sshdFailure('192.0.2.1').slice(0, 16);
    const pam = (service: string, address: string): string =>
      `${head}web1 ${service}: pam_unix(${service}:auth): authentication failure; logname= uid=0 euid=0 tty= ruser= rhost=${address}  user=root\n`;
    // 203.0.113.31 fails at sshd only, 203.0.113.32 at su only (pam-generic's), 203.0.113.33 with sshd's PAM line,
    // which both filters match; other programs' lines between them.
    const lines: string[] = [];
    for (let i = 0; i < 5; i++) {
      lines.push(sshdFailure('203.0.113.31'), pam('su', '203.0.113.32'), pam('sshd', '203.0.113.33'),
        `${head}web1 CRON[12]: pam_unix(cron:session): session opened for user root\n`,
        `${head}web1 sshd[7]: Accepted publickey for a from 192.0.2.9 port 2 ssh2\n`);
    }
    appendFileSync(log, lines.join(''));
    expect(await until(() => rec.lines().length >= 4), d.output()).toBe(true);
    await sleep(500);
    expect([...rec.lines()].sort()).toEqual(
      ['ban pam-generic/203.0.113.32', 'ban pam-generic/203.0.113.33', 'ban sshd/203.0.113.31', 'ban sshd/203.0.113.33']);
    // Both jails count every line of the file as delivered, whichever way it reached them.
    type Status = { jails: { name: string; counters: { lines: number; matched: number } }[] };
    const status = JSON.parse((await cli(['status', '--json', '--socket', dir.file('control.sock')])).stdout) as Status;
    expect(status.jails.map((j) => [j.name, j.counters.lines, j.counters.matched])).toEqual([['sshd', 25, 10], ['pam-generic', 25, 10]]);
  });

  it('refuses to start on a broken config and names file, line and key', async () => {
    dir = tempDir('dd-e2e-');
    const config = dir.file('bad.yaml');
    writeFileSync(config, 'jails:\n  sshd:\n    sources: [{ type: file, path: /dev/null }]\n    filter: sshd\n    failregx: oops\n');
    const d = startDaemon(['run', '-c', config]);
    daemons.push(d);
    expect(await d.stop('SIGCONT')).toBe(1);
    expect(d.output()).toMatch(/bad\.yaml:5: jails\.sshd\.failregx: unknown key "failregx"/);
  });
});
