import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { missing } from '../../test/ci.js';
import type { Spawner } from './exec.js';

/** An outcome whose value holds at least `value`'s fields, for `toEqual`. */
const okWith = (value: Record<string, unknown>): { readonly ok: true; readonly value: unknown } => ({ ok: true, value: expect.objectContaining(value) });

/** A running process's fields from /proc/PID/status (SigIgn, SigBlk…), as the kernel reports them. */
const statusScript = 'grep -E "^(SigIgn|SigBlk):" /proc/self/status; ls /proc/self/fd';

/** exec's contract, held against every way of starting a command (exec-fork.ts, exec-native.ts). */
export function describeExecContract(name: string, get: () => Spawner | undefined, options: {
  /**
   * Whether the command gets no descriptor but 0, 1 and 2 even where the daemon holds one not opened
   * close-on-exec. Node's child_process passes those on (under vitest, the worker's IPC channel).
   */
  readonly closesOthers: boolean;
}): void {
  describe(`exec through ${name}`, () => {
    let home: string;
    let run: Spawner;
    beforeAll(() => {
      home = mkdtempSync(join(tmpdir(), 'dd-exec-'));
      const s = get();
      if (s === undefined) throw new Error(`the ${name} spawner is not available`);
      run = s;
    });
    afterAll(() => { rmSync(home, { recursive: true, force: true }); });

    it('runs argv without a shell: an element with shell syntax is one argument', async () => {
      expect(await run(['printf', '%s|', 'a b', '$(id)', '; rm -rf /'], {})).toEqual(okWith({ code: 0, signal: null, stdout: 'a b|$(id)|; rm -rf /|', timedOut: false }));
    });

    it('gives the exit code, stdout and stderr', async () => {
      expect(await run(['sh', '-c', 'echo out; echo err >&2; exit 3'], {})).toEqual(okWith({ code: 3, signal: null, stdout: 'out\n', stderr: 'err\n', timedOut: false }));
    });

    it('names the signal that ended the command', async () => {
      expect(await run(['sh', '-c', 'kill -TERM $$'], {})).toEqual(okWith({ code: null, signal: 'SIGTERM', timedOut: false }));
    });

    it('reports a program that is not there as an error value', async () => {
      expect(await run(['dictdefence-no-such-program'], {})).toEqual({ ok: false, error: 'Cannot run "dictdefence-no-such-program": not found' });
      expect(await run([join(home, 'absent')], {})).toEqual({ ok: false, error: `Cannot run "${join(home, 'absent')}": not found` });
      expect(await run([], {})).toEqual({ ok: false, error: 'Cannot run an empty command' });
    });

    it('refuses an argument with a NUL character instead of cutting it short', async () => {
      const r = await run(['echo', 'a\0b'], {});
      expect(r.ok).toBe(false);
    });

    it('finds a bare program name in the PATH of the environment it is given', async () => {
      const bin = join(home, 'bin');
      rmSync(bin, { recursive: true, force: true });
      await run(['mkdir', bin], {});
      writeFileSync(join(bin, 'dd-probe'), '#!/bin/sh\necho "probe $1"\n', { mode: 0o755 });
      expect(await run(['dd-probe', 'x'], { env: { PATH: `${bin}:/usr/bin:/bin` } })).toEqual(okWith({ code: 0, stdout: 'probe x\n' }));
      expect(await run(['dd-probe'], { env: { PATH: '/usr/bin:/bin' } })).toEqual({ ok: false, error: 'Cannot run "dd-probe": not found' });
    });

    it('passes the environment it is given, and only that', async () => {
      expect(await run(['/usr/bin/env'], { env: { DD_ONE: 'a b', DD_TWO: '2' } })).toEqual(okWith({ code: 0, stdout: 'DD_ONE=a b\nDD_TWO=2\n' }));
    });

    it("passes the daemon's own environment where it is given none, as it is at that moment", async () => {
      process.env['DD_EXEC_CONTRACT'] = `set at ${Date.now()}`;
      try {
        expect(await run(['sh', '-c', 'echo "$DD_EXEC_CONTRACT"'], {})).toEqual(okWith({ code: 0, stdout: `${process.env['DD_EXEC_CONTRACT']}\n` }));
      } finally {
        delete process.env['DD_EXEC_CONTRACT'];
      }
      expect(await run(['sh', '-c', 'echo "${DD_EXEC_CONTRACT-unset}"'], {})).toEqual(okWith({ code: 0, stdout: 'unset\n' }));
    });

    it('gives a command that takes no input /dev/null as its stdin, not a socket', async () => {
      const r = await run(['sh', '-c', 'if [ -S /dev/stdin ]; then echo socket; elif [ -c /dev/stdin ]; then echo device; else echo other; fi'], {});
      expect(r).toEqual(okWith({ code: 0, stdout: 'device\n' }));
    });

    it('writes the input of a command that takes one to its stdin, then closes it', async () => {
      const r = await run(['cat'], { input: 'add element inet dictdefence v4 { 192.0.2.7 }\n' });
      expect(r).toEqual(okWith({ code: 0, stdout: 'add element inet dictdefence v4 { 192.0.2.7 }\n' }));
    });

    it('writes an input larger than a pipe holds, and reads an output larger than one', async () => {
      const input = 'add element inet dictdefence v4 { 198.51.100.1 }\n'.repeat(20_000);
      const r = await run(['cat'], { input, maxOutput: 4 << 20 });
      expect(r.ok && r.value.stdout === input).toBe(true);
    });

    it('survives a command that exits without reading its input', async () => {
      expect(await run(['true'], { input: 'x'.repeat(1 << 20) })).toEqual(okWith({ code: 0 }));
    });

    it('keeps at most maxOutput bytes of each stream, and reads the rest so the command can finish', async () => {
      const r = await run(['sh', '-c', 'head -c 300000 /dev/zero | tr "\\0" a; head -c 300000 /dev/zero | tr "\\0" b >&2'], { maxOutput: 70_000 });
      expect(r.ok).toBe(true);
      if (!r.ok) return;
      expect(r.value.code).toBe(0);
      // Node's child_process keeps whole chunks until the cap is passed; the native spawner cuts at the cap.
      expect(r.value.stdout.length).toBeGreaterThanOrEqual(70_000);
      expect(r.value.stdout.length).toBeLessThan(300_000);
      expect(r.value.stderr.length).toBeGreaterThanOrEqual(70_000);
      expect(r.value.stderr.length).toBeLessThan(300_000);
    });

    it('kills the whole process group at the timeout, what the command started too', async () => {
      const pidFile = join(home, 'grandchild.pid');
      const started = Date.now();
      const r = await run(['sh', '-c', `sleep 30 & echo $! > ${pidFile}; wait`], { timeoutMs: 300 });
      expect(r).toEqual(okWith({ timedOut: true, signal: 'SIGKILL' }));
      expect(Date.now() - started).toBeLessThan(20_000);
      const grandchild = Number((await run(['cat', pidFile], {}).then((o) => (o.ok ? o.value.stdout : ''))).trim());
      expect(grandchild).toBeGreaterThan(0);
      // Gone, or a zombie waiting for its reaper: not running.
      const state = await run(['sh', '-c', `cut -d" " -f3 /proc/${grandchild}/stat 2>/dev/null || echo gone`], {});
      expect(state.ok && ['gone', 'Z'].includes(state.value.stdout.trim())).toBe(true);
    });

    it('starts the command in a session and process group of its own', async () => {
      const r = await run(['sh', '-c', 'echo $$; cut -d" " -f5,6 /proc/$$/stat'], {});
      expect(r.ok).toBe(true);
      if (!r.ok) return;
      const [pid, groups] = r.value.stdout.trim().split('\n');
      expect(groups).toBe(`${pid} ${pid}`);
    });

    it("leaves no signal of the daemon's ignored or blocked, and gives the command 0, 1 and 2", async () => {
      const r = await run(['sh', '-c', statusScript], {});
      expect(r.ok).toBe(true);
      if (!r.ok) return;
      const lines = r.value.stdout.trim().split('\n');
      const field = (name: string): string => lines.find((l) => l.startsWith(`${name}:`))?.split(/\s+/)[1] ?? '';
      const fds = lines.filter((l) => /^\d+$/.test(l)).map(Number);
      // SIGPIPE (13) is ignored in every Node process and must not stay so; glibc's posix_spawn leaves its two
      // own signals (32, 33) ignored, which nothing else uses.
      expect(BigInt(`0x${field('SigIgn')}`) & ~((1n << 31n) | (1n << 32n))).toBe(0n);
      expect(BigInt(`0x${field('SigBlk')}`)).toBe(0n);
      // ls's own descriptor for /proc/self/fd is the one past 2.
      if (options.closesOthers) expect(fds.filter((fd) => fd > 3)).toEqual([]);
      expect(fds.slice(0, 3)).toEqual([0, 1, 2]);
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
      const r = await run(['bash', '-c', 'echo banned 192.0.2.7'], { env });
      expect(r).toEqual(okWith({ code: 0, stdout: 'banned 192.0.2.7\n' }));
      expect(existsSync(marker)).toBe(false);
    });
  });
}
