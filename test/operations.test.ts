import { execFileSync, spawn } from 'node:child_process';
import { appendFileSync, closeSync, constants, existsSync, openSync, readFileSync, renameSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { cli, writeConfig } from './cli.js';
import { BIN, recorder, sshdFailure, tempDir, until, type TempDir } from './daemon.js';

/** `run -d`, the pidfile, signals and every control command, against the real daemon through its real socket. */
describe('the daemon in the background, driven through its control socket', () => {
  let dir: TempDir;
  afterEach(() => {
    for (const f of ['dd.pid', 'other.pid']) {
      const pid = existsSync(dir.file(f)) ? Number(readFileSync(dir.file(f), 'utf8')) : 0;
      if (pid > 1) try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
    }
    dir.cleanup();
  });

  const setUp = (extra = ''): { config: string; rec: ReturnType<typeof recorder> } => {
    dir = tempDir('dd-ops-');
    const rec = recorder(dir);
    return { config: writeConfig(dir, rec.script, extra), rec };
  };
  const pid = (): number => Number(readFileSync(dir.file('dd.pid'), 'utf8'));
  const alive = (p: number): boolean => { try { process.kill(p, 0); return true; } catch { return false; } };

  it('starts with run -d only once it is up, and status, ban, bans, why, unban and stop drive it', async () => {
    const { config, rec } = setUp();
    const started = await cli(['run', '-d', '-c', config]);
    expect(started.code, started.stderr).toBe(0);
    expect(alive(pid())).toBe(true);
    expect(statSync(dir.file('run')).mode & 0o777).toBe(0o700);
    expect(statSync(dir.file('run/control.sock')).mode & 0o777).toBe(0o600);

    const status = await cli(['status', '--json', '-c', config]);
    expect(status.code).toBe(0);
    const s = JSON.parse(status.stdout) as { pid: number; version: string; jails: { name: string }[] };
    expect(s.pid).toBe(pid());
    expect(s.jails.map((j) => j.name)).toEqual(['sshd']);
    expect((await cli(['status', '--socket', dir.file('run/control.sock')])).stdout).toMatch(/JAIL\s+FILTER\s+BANS/);

    expect((await cli(['ban', '203.0.113.61', '--jail', 'sshd', '--for', '10m', '-c', config])).code).toBe(0);
    expect(await until(() => rec.lines().includes('ban 203.0.113.61'))).toBe(true);
    const bans = JSON.parse((await cli(['bans', '--json', '-c', config])).stdout) as { address: string; until: number; bannedAt: number }[];
    expect(bans.map((b) => b.address)).toEqual(['203.0.113.61']);
    expect(bans[0]!.until - bans[0]!.bannedAt).toBe(600_000);
    const human = await cli(['bans', '-c', config]);
    expect(human.stdout).toMatch(/^ADDRESS\s+JAIL\s+SINCE\s+UNTIL\s+COUNT\s+REASON\n203\.0\.113\.61\s+sshd\s/);

    const why = JSON.parse((await cli(['why', '203.0.113.61', '--json', '-c', config])).stdout) as { active: unknown[]; history: unknown[] };
    expect(why.active).toHaveLength(1);
    expect(why.history).toHaveLength(1);
    const refused = await cli(['ban', '127.0.0.1', '--jail', 'sshd', '-c', config]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('whitelisted');

    expect((await cli(['unban', '203.0.113.61', '-c', config])).code).toBe(0);
    expect(await until(() => rec.lines().includes('unban 203.0.113.61'))).toBe(true);
    const again = await cli(['unban', '203.0.113.61', '-c', config]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('is not banned');

    const p = pid();
    const stopped = await cli(['stop', '-c', config]);
    expect(stopped.code, stopped.stderr).toBe(0);
    expect(alive(p)).toBe(false);
    expect(existsSync(dir.file('dd.pid'))).toBe(false);
    expect(existsSync(dir.file('run/control.sock'))).toBe(false);
  });

  it('bans from the log with the lines behind the ban, and why names the jail, the rule and those lines', async () => {
    const { config, rec } = setUp();
    expect((await cli(['run', '-d', '-c', config])).code).toBe(0);
    for (let i = 0; i < 3; i++) appendFileSync(dir.file('auth.log'), sshdFailure('203.0.113.70'));
    expect(await until(() => rec.lines().includes('ban 203.0.113.70'))).toBe(true);
    const why = await cli(['why', '203.0.113.70', '-c', config]);
    expect(why.code).toBe(0);
    expect(why.stdout).toContain('banned in sshd');
    expect(why.stdout).toMatch(/failregex\[\d+\]|Failed/);
    expect(why.stdout.match(/Failed password for root from 203\.0\.113\.70/g)).toHaveLength(3);
  });

  it('refuses a second run -d while one runs, and of two started at once exactly one survives', async () => {
    const { config } = setUp();
    const [a, b] = await Promise.all([cli(['run', '-d', '-c', config]), cli(['run', '-d', '-c', config])]);
    expect([a.code, b.code].sort()).toEqual([0, 1]);
    expect((a.code === 1 ? a : b).stderr).toContain('already running');
    const first = pid();
    expect(alive(first)).toBe(true);
    const third = await cli(['run', '-d', '-c', config]);
    expect(third.code).toBe(1);
    expect(pid()).toBe(first);
  });

  /** A shell stand-in: a process that starts the daemon in the foreground with `config`, to be killed. */
  const startedBy = (config: string): ReturnType<typeof spawn> =>
    spawn(process.execPath, ['-e', `require('node:child_process').spawn(process.execPath, ${JSON.stringify([BIN, 'run', '-c', config])}, { stdio: 'ignore' }); setInterval(() => {}, 1000);`], { stdio: 'ignore' });
  /** The daemon `daemon` stops by itself, frees its pidfile and says why. */
  const stopsOnItsOwn = async (daemon: number): Promise<void> => {
    expect(await until(() => !alive(daemon) && !existsSync(dir.file('dd.pid')), 10_000)).toBe(true);
    expect(readFileSync(dir.file('dd.log'), 'utf8')).toContain('exit of the parent process');
  };

  it('in the foreground, stops and frees its pidfile when the process that started it is killed with -9', async () => {
    const { config } = setUp();
    const parent = startedBy(config);
    try {
      expect(await until(() => existsSync(dir.file('dd.pid')) && readFileSync(dir.file('dd.log'), 'utf8').includes('Started'))).toBe(true);
      const daemon = pid();
      expect(alive(daemon)).toBe(true);
      parent.kill('SIGKILL');
      await stopsOnItsOwn(daemon);
    } finally {
      parent.kill('SIGKILL');
    }
  });

  it('in the foreground, stops when the process that started it is killed while it is still starting', async () => {
    const { config } = setUp();
    const parent = startedBy(config);
    try {
      // The pidfile is claimed before the store is opened and the jails start: the parent dies during the start.
      expect(await until(() => existsSync(dir.file('dd.pid')), 10_000, 2)).toBe(true);
      parent.kill('SIGKILL');
      await stopsOnItsOwn(pid());
    } finally {
      parent.kill('SIGKILL');
    }
  });

  it('in the foreground, stops when the process that started it is killed while it reads its config', async () => {
    const { config } = setUp();
    // The config comes through a FIFO: the daemon is held inside reading it, after bin/dictdefence.js ran and
    // long before runService, while its parent is killed; then it gets the config and starts, its parent gone.
    const fifo = dir.file('config.fifo');
    execFileSync('mkfifo', [fifo]);
    const parent = startedBy(fifo);
    try {
      // Opening a FIFO to write without waiting succeeds only once a reader has it open: the daemon.
      let fd = -1;
      expect(await until(() => {
        try { fd = openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK); return true; } catch { return false; }
      }, 10_000, 5)).toBe(true);
      parent.kill('SIGKILL');
      expect(await until(() => parent.exitCode !== null || parent.signalCode !== null)).toBe(true);
      try { writeSync(fd, readFileSync(config)); } finally { closeSync(fd); }
      expect(await until(() => existsSync(dir.file('dd.pid')))).toBe(true);
      await stopsOnItsOwn(pid());
    } finally {
      parent.kill('SIGKILL');
    }
  });

  it('replaces a stale pidfile that names a process which is gone', async () => {
    const { config } = setUp();
    writeFileSync(dir.file('dd.pid'), '999999\n');
    const r = await cli(['run', '-d', '-c', config]);
    expect(r.code, r.stderr).toBe(0);
    expect(pid()).not.toBe(999999);
  });

  it('reports a daemon start failure to the caller of run -d', async () => {
    const { config } = setUp();
    writeFileSync(dir.file('run'), 'not a folder'); // the control socket cannot be created under a file
    const r = await cli(['run', '-d', '-c', config]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/Cannot start/);
    expect(existsSync(dir.file('dd.pid'))).toBe(false);
  });

  it('answers oversized, invalid and unknown requests with an error, closes, and goes on serving', async () => {
    const { config } = setUp();
    expect((await cli(['run', '-d', '-c', config])).code).toBe(0);
    const raw = (payload: string): Promise<string> => new Promise((resolve) => {
      const s = connect(dir.file('run/control.sock'));
      let got = '';
      s.on('data', (b) => { got += b.toString(); });
      s.on('error', () => resolve(got));
      s.on('close', () => resolve(got));
      s.write(payload);
    });
    expect(JSON.parse(await raw('x'.repeat(70 * 1024)))).toMatchObject({ ok: false, error: expect.stringContaining('too large') });
    expect(JSON.parse(await raw('this is not json\n'))).toMatchObject({ ok: false, error: 'Invalid request: not JSON' });
    expect(JSON.parse(await raw('{"command":"format-disk"}\n'))).toMatchObject({ ok: false, error: expect.stringContaining('Unknown command') });
    expect(JSON.parse(await raw('{"command":"ban","address":7}\n'))).toMatchObject({ ok: false });
    expect(JSON.parse(await raw('{"command":"ban","address":"0x7f.1","jail":"sshd"}\n'))).toMatchObject({ ok: false, error: 'Invalid address "0x7f.1"' });
    expect((await cli(['status', '-c', config])).code).toBe(0);
  });

  it('keeps the running config on SIGHUP with a broken file, and a good reload keeps the counts of an unchanged jail', async () => {
    const { config, rec } = setUp();
    expect((await cli(['run', '-d', '-c', config])).code).toBe(0);
    const good = readFileSync(config, 'utf8');
    for (let i = 0; i < 2; i++) appendFileSync(dir.file('auth.log'), sshdFailure('203.0.113.80'));
    const matched = async (): Promise<number> =>
      (JSON.parse((await cli(['status', '--json', '-c', config])).stdout) as { jails: { counters: { matched: number } }[] }).jails[0]!.counters.matched;
    for (let i = 0; i < 100 && (await matched()) < 2; i++) await new Promise((r) => setTimeout(r, 100));
    expect(await matched()).toBe(2);

    writeFileSync(config, `${good}\n  bogus_key: [\n`);
    process.kill(pid(), 'SIGHUP');
    expect(await until(() => readFileSync(dir.file('dd.log'), 'utf8').includes('Reload rejected'))).toBe(true);
    expect(alive(pid())).toBe(true);
    const rejected = await cli(['reload', '-c', config]);
    expect(rejected.code).toBe(1);
    expect(rejected.stderr).toContain('rejected');
    expect(rejected.stderr).toContain('dd.yaml:');

    writeFileSync(dir.file('auth2.log'), '');
    writeFileSync(config, `${good}\n  sshd2:\n    sources: [{ type: file, path: ${dir.file('auth2.log')} }]\n    filter: sshd\n    actions: [record]\n`);
    const reloaded = await cli(['reload', '--json', '-c', config]);
    expect(reloaded.code, reloaded.stderr).toBe(0);
    expect(JSON.parse(reloaded.stdout)).toMatchObject({ added: ['sshd2'], kept: ['sshd'], removed: [], changed: [] });
    appendFileSync(dir.file('auth.log'), sshdFailure('203.0.113.80'));
    expect(await until(() => rec.lines().includes('ban 203.0.113.80')), rec.lines().join(';')).toBe(true);
    for (let i = 0; i < 3; i++) appendFileSync(dir.file('auth2.log'), sshdFailure('203.0.113.81'));
    expect(await until(() => rec.lines().includes('ban 203.0.113.81'))).toBe(true);
  });

  it('reopens its log file on SIGUSR1 after logrotate moved it', async () => {
    const { config } = setUp();
    expect((await cli(['run', '-d', '-c', config])).code).toBe(0);
    renameSync(dir.file('dd.log'), dir.file('dd.log.1'));
    process.kill(pid(), 'SIGUSR1');
    expect(await until(() => existsSync(dir.file('dd.log')) && readFileSync(dir.file('dd.log'), 'utf8').includes('Reopened the log file'))).toBe(true);
    expect(readFileSync(dir.file('dd.log.1'), 'utf8')).toContain('Started with 1 jail');
  });

  it('says plainly when no daemon runs, and exits 2 on bad usage', async () => {
    dir = tempDir('dd-ops-');
    const sock = ['--socket', dir.file('none.sock')];
    for (const command of ['status', 'bans', 'reload', 'stop']) {
      const r = await cli([command, ...sock]);
      expect(r.code, command).toBe(1);
      expect(r.stderr).toContain('DictDefence is not running');
    }
    expect((await cli(['ban', ...sock])).code).toBe(2);
    expect((await cli(['ban', '203.0.113.1', '--for', '5 minutes', ...sock])).code).toBe(2);
    expect((await cli(['ban', '203.0.113.1', '--for', '5m', '--permanent', ...sock])).code).toBe(2);
    expect((await cli(['unban', '203.0.113.1', '--jail', 'a', '--all-jails', ...sock])).code).toBe(2);
    expect((await cli(['status', '--bogus'])).code).toBe(2);
    expect((await cli(['why', ...sock])).code).toBe(2);
  });

  it('prints help for every command with exit 0', async () => {
    dir = tempDir('dd-ops-');
    for (const command of ['run', 'check-config', 'test', 'status', 'bans', 'ban', 'unban', 'why', 'reload', 'stop', 'init']) {
      const r = await cli([command, '--help']);
      expect(r.code, command).toBe(0);
      expect(r.stdout, command).toContain(`Usage: dictdefence ${command}`);
    }
  });
});
