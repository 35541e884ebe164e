import { execFile } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { writeConfig } from './cli.js';
import { BIN, ROOT, recorder, tempDir, until, type TempDir } from './daemon.js';

/** The service files in contrib/, checked with the tools that read them and run against the real daemon. */
const run = (file: string, args: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<{ code: number; out: string }> =>
  new Promise((resolve) => {
    execFile(file, [...args], { env, timeout: 60_000 }, (e, stdout, stderr) => {
      resolve({ code: e ? (typeof e.code === 'number' ? e.code : 127) : 0, out: `${stdout}${stderr}` });
    });
  });
const which = (tool: string): boolean => (process.env.PATH ?? '').split(':').some((d) => d !== '' && existsSync(join(d, tool)));
const contrib = (p: string): string => join(ROOT, 'contrib', p);
/** The daemon's bin/ first on PATH, with node beside it, as after "npm install -g". */
const env = (more: Record<string, string>): NodeJS.ProcessEnv => ({ ...process.env, PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ''}`, ...more });

describe('the service files in contrib/', () => {
  let dir: TempDir | undefined;
  afterEach(() => {
    const pid = dir && existsSync(dir.file('dd.pid')) ? Number(readFileSync(dir.file('dd.pid'), 'utf8')) : 0;
    if (pid > 1) try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
    dir?.cleanup();
    dir = undefined;
  });

  it('has a hardened systemd unit that systemd-analyze verify accepts', async () => {
    const unit = readFileSync(contrib('systemd/dictdefence.service'), 'utf8');
    for (const line of ['Type=simple', 'ProtectSystem=strict', 'NoNewPrivileges=yes', 'CapabilityBoundingSet=CAP_NET_ADMIN CAP_NET_RAW CAP_DAC_READ_SEARCH',
      'ReadWritePaths=/var/lib/dictdefence /var/log/dictdefence /run/dictdefence', 'ExecReload=/bin/kill -HUP $MAINPID', 'RuntimeDirectory=dictdefence',
      'ExecStartPre=/usr/bin/dictdefence check-config', 'WantedBy=multi-user.target']) {
      expect(unit).toContain(line);
    }
    if (!which('systemd-analyze')) {
      process.stderr.write('NOTE: systemd-analyze is not installed: the unit got the structural check only\n');
      return;
    }
    dir = tempDir('dd-unit-');
    // verify insists that the binary exists: point it at this checkout's.
    writeFileSync(dir.file('dictdefence.service'), unit.replaceAll('/usr/bin/dictdefence', BIN));
    const r = await run('systemd-analyze', ['verify', '--man=no', dir.file('dictdefence.service')]);
    expect(r.out).toBe('');
    expect(r.code).toBe(0);
  });

  it('has rc scripts that sh parses', async () => {
    for (const f of ['freebsd/dictdefence', 'openrc/dictdefence', 'openrc/dictdefence.confd']) {
      const r = await run('sh', ['-n', contrib(f)]);
      expect(r, f).toEqual({ code: 0, out: '' });
    }
  });

  it('starts, reloads and stops the real daemon with the OpenRC script', async () => {
    dir = tempDir('dd-openrc-');
    const config = writeConfig(dir, recorder(dir).script);
    // OpenRC's own functions, as far as the script uses them; then call one of its functions.
    const harness = dir.file('openrc-run');
    writeFileSync(harness, [
      'ebegin() { echo "* $*"; }', 'eend() { return "$1"; }', 'need() { :; }', 'use() { :; }', 'before() { :; }',
      'RC_SVCNAME=dictdefence', `. '${contrib('openrc/dictdefence.confd')}'`,
      `DICTDEFENCE_BIN='${BIN}' DICTDEFENCE_CONFIG='${config}' DICTDEFENCE_PIDFILE='${dir.file('dd.pid')}'`,
      `. '${contrib('openrc/dictdefence')}'`, 'depend', '"$1"',
    ].join('\n'));
    const rc = (verb: string): Promise<{ code: number; out: string }> => run('sh', [harness, verb], env({}));
    const started = await rc('start');
    expect(started.code, started.out).toBe(0);
    const pid = Number(readFileSync(dir.file('dd.pid'), 'utf8'));
    expect(() => process.kill(pid, 0)).not.toThrow();
    expect((await rc('checkconfig')).code).toBe(0);
    expect((await rc('reload')).out).toContain('Reloaded the configuration');
    expect((await rc('start')).code).toBe(1); // already running
    const stopped = await rc('stop');
    expect(stopped.code, stopped.out).toBe(0);
    expect(() => process.kill(pid, 0)).toThrow();
    expect(existsSync(dir.file('dd.pid'))).toBe(false);
  });

  it('starts, reports and stops the real daemon with the FreeBSD rc.d script under a stand-in rc.subr', async () => {
    dir = tempDir('dd-rcd-');
    const config = writeConfig(dir, recorder(dir).script);
    writeFileSync(dir.file('rc.subr'), [
      'load_rc_config() { :; }',
      'run_rc_command() {',
      '  eval "_enabled=\\$$rcvar"',
      '  case "$1" in',
      '    start) [ "$_enabled" = YES ] || { echo "$name is not enabled"; return 0; }; $start_cmd ;;',
      '    stop) $stop_cmd ;; status) $status_cmd ;; reload) $reload_cmd ;; configtest) $configtest_cmd ;;',
      '    *) echo "unknown command $1"; return 1 ;;',
      '  esac',
      '}',
    ].join('\n'));
    const script = dir.file('dictdefence');
    writeFileSync(script, readFileSync(contrib('freebsd/dictdefence'), 'utf8').replace('. /etc/rc.subr', `. '${dir.file('rc.subr')}'`));
    chmodSync(script, 0o755);
    const vars = { dictdefence_program: BIN, dictdefence_config: config, dictdefence_pidfile: dir.file('dd.pid') };
    expect((await run('sh', [script, 'start'], env(vars))).out).toContain('not enabled');
    const started = await run('sh', [script, 'start'], env({ ...vars, dictdefence_enable: 'YES' }));
    expect(started.code, started.out).toBe(0);
    const status = await run('sh', [script, 'status'], env(vars));
    expect(status.out).toMatch(/DictDefence [\d.]+, pid \d+/);
    expect((await run('sh', [script, 'configtest'], env(vars))).code).toBe(0);
    expect((await run('sh', [script, 'stop'], env(vars))).code).toBe(0);
    expect(existsSync(dir.file('dd.pid'))).toBe(false);
  });

  it('has a logrotate snippet whose postrotate makes the daemon write to a fresh log file', async () => {
    const snippet = readFileSync(contrib('logrotate/dictdefence'), 'utf8');
    expect(snippet).toContain('kill -USR1');
    if (!which('logrotate')) {
      process.stderr.write('NOTE: logrotate is not installed: its snippet got the structural check only\n');
      return;
    }
    dir = tempDir('dd-logrotate-');
    const config = writeConfig(dir, recorder(dir).script);
    const r0 = await run(process.execPath, [BIN, 'run', '-d', '-c', config]);
    expect(r0.code, r0.out).toBe(0);
    const conf = dir.file('logrotate.conf');
    writeFileSync(conf, snippet.replace('/var/log/dictdefence/*.log', dir.file('dd.log')).replace('/run/dictdefence.pid', dir.file('dd.pid')));
    chmodSync(conf, 0o644);
    const r = await run('logrotate', ['-f', '-s', dir.file('logrotate.state'), conf]);
    expect(r.code, r.out).toBe(0);
    expect(readFileSync(dir.file('dd.log.1'), 'utf8')).toContain('Started with 1 jail');
    const log = dir.file('dd.log');
    expect(await until(() => readFileSync(log, 'utf8').includes('Reopened the log file'))).toBe(true);
  });
});
