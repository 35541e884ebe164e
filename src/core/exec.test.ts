import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { missing } from '../../test/ci.js';
import { exec } from './exec.js';

describe('exec', () => {
  let home: string;
  beforeAll(() => { home = mkdtempSync(join(tmpdir(), 'dd-exec-')); });
  afterAll(() => { rmSync(home, { recursive: true, force: true }); });

  it('gives a command that takes no input /dev/null as its stdin, not a socket', async () => {
    const r = await exec(['sh', '-c', 'if [ -S /dev/stdin ]; then echo socket; elif [ -c /dev/stdin ]; then echo device; else echo other; fi']);
    expect(r).toEqual({ ok: true, value: expect.objectContaining({ code: 0, stdout: 'device\n' }) });
  });

  it('writes the input of a command that takes one to its stdin, then closes it', async () => {
    const r = await exec(['cat'], { input: 'add element inet dictdefence v4 { 192.0.2.7 }\n' });
    expect(r).toEqual({ ok: true, value: expect.objectContaining({ code: 0, stdout: 'add element inet dictdefence v4 { 192.0.2.7 }\n' }) });
  });

  // Under systemd a daemon's environment has no SHLVL, and bash built with SSH_SOURCE_BASHRC (Debian's) takes a
  // socket on stdin for an ssh session and sources ~/.bashrc: Node's 'pipe' is a socket pair.
  it("runs a bash action of a daemon started without SHLVL without sourcing the user's ~/.bashrc", async (ctx) => {
    const marker = join(home, 'sourced');
    writeFileSync(join(home, '.bashrc'), 'echo yes >> "$HOME/sourced"\n');
    const env = { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: home };
    // The same bash with a socket pair on stdin, as actions had it: does it source ~/.bashrc here at all?
    await new Promise((resolve) => {
      const c = spawn('bash', ['-c', 'true'], { env, stdio: ['pipe', 'ignore', 'ignore'] });
      c.on('close', resolve);
      c.on('error', resolve);
      c.stdin.end();
    });
    if (!existsSync(marker) && missing('a bash that sources ~/.bashrc when its stdin is a socket', 'this bash did not')) return ctx.skip();
    rmSync(marker, { force: true });
    const r = await exec(['bash', '-c', 'echo banned 192.0.2.7'], { env });
    expect(r).toEqual({ ok: true, value: expect.objectContaining({ code: 0, stdout: 'banned 192.0.2.7\n' }) });
    expect(existsSync(marker)).toBe(false);
  });
});
