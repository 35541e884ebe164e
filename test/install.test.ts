import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cli } from './cli.js';
import { ROOT, tempDir, type TempDir } from './daemon.js';

const run = (file: string, args: readonly string[], cwd = ROOT): Promise<{ code: number; out: string; err: string }> =>
  new Promise((resolve) => {
    execFile(file, [...args], { cwd, timeout: 280_000, maxBuffer: 1 << 24 }, (e, stdout, stderr) => {
      resolve({ code: e ? (typeof e.code === 'number' ? e.code : 1) : 0, out: stdout, err: stderr });
    });
  });

/** The install layout: `dictdefence init`, and the package as npm installs it from a packed tarball. */
describe('installing DictDefence', () => {
  let dir: TempDir | undefined;
  afterEach(() => { dir?.cleanup(); dir = undefined; });

  it('writes with init a commented config tree that check-config accepts and a daemon runs on', async () => {
    dir = tempDir('dd-init-');
    const r = await cli(['init', '--prefix', dir.path]);
    expect(r.code, r.stderr).toBe(0);
    const etc = dir.file('etc/dictdefence');
    expect(readdirSync(etc).sort()).toEqual(['conf.d', 'dictdefence.yaml', 'filters', 'whitelist.txt']);
    expect(statSync(dir.file('var/lib/dictdefence')).mode & 0o777).toBe(0o700);
    const yaml = readFileSync(join(etc, 'dictdefence.yaml'), 'utf8');
    expect(yaml).toContain(`state_dir: ${dir.path}/var/lib/dictdefence`);
    expect(yaml).toMatch(/^# notifiers:/m);
    expect(readFileSync(join(etc, 'whitelist.txt'), 'utf8')).toMatch(/^# /);
    const config = join(etc, 'dictdefence.yaml');
    const checked = await cli(['check-config', '-c', config]);
    expect(checked.code, checked.stderr).toBe(0);

    const again = await cli(['init', '--prefix', dir.path]);
    expect(again.stdout).toContain('kept');

    expect((await cli(['run', '-d', '-c', config])).code).toBe(0);
    expect(existsSync(dir.file('run/dictdefence/control.sock'))).toBe(true);
    expect((await cli(['status', '-c', config])).code).toBe(0);
    expect((await cli(['stop', '-c', config])).code).toBe(0);
  });

  it('installs from the packed tarball with npm install -g into a prefix, and the command runs', async () => {
    dir = tempDir('dd-pack-');
    // npm test has built dist/ already; --ignore-scripts keeps pack from rebuilding it under running tests.
    const packed = await run('npm', ['pack', '--ignore-scripts', '--pack-destination', dir.path]);
    expect(packed.code, packed.err).toBe(0);
    const tarball = readdirSync(dir.path).find((f) => /^dictdefence-.*\.tgz$/.test(f));
    expect(tarball).toBeDefined();
    // Installing builds the SQLite addon (a minute of compiling): at the lowest priority, so that the
    // timing-sensitive tests running beside this one keep their CPU.
    const installed = await run('nice', ['-n', '19', 'npm', 'install', '-g', '--prefix', dir.file('prefix'), '--no-audit', '--no-fund', '--prefer-offline', dir.file(tarball!)], dir.path);
    expect(installed.code, installed.err).toBe(0);
    const bin = dir.file('prefix/bin/dictdefence');
    const v = await run(bin, ['--version'], dir.path);
    expect(v.out.trim()).toBe(`dictdefence ${(JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version}`);
    expect((await run(bin, ['init', '--prefix', dir.file('root')], dir.path)).code).toBe(0);
    const checked = await run(bin, ['check-config', '-c', dir.file('root/etc/dictdefence/dictdefence.yaml')], dir.path);
    expect(checked.code, checked.err).toBe(0);
    expect(checked.out).toContain('OK, 1 jail');
    expect(existsSync(dir.file('prefix/lib/node_modules/dictdefence/contrib/man/dictdefence.8'))).toBe(true);
    // The tarball carries native/ and binding.gyp, and installing builds the spawner the daemon runs commands with.
    expect(existsSync(dir.file('prefix/lib/node_modules/dictdefence/build/Release/dd_spawn.node'))).toBe(true);
  }, 300_000);
});
