import { spawn } from 'node:child_process';
import type { ExecOptions, ExecOutcome } from './exec.js';

/** Node's child_process: libuv forks the whole daemon, then the child execs `argv`. See exec.ts. */
export function execForked(argv: readonly string[], options: ExecOptions = {}): Promise<ExecOutcome> {
  const [file, ...args] = argv;
  if (!file) return Promise.resolve({ ok: false, error: 'Cannot run an empty command' });
  const timeoutMs = options.timeoutMs ?? 30_000;
  const maxOutput = options.maxOutput ?? 1 << 20;
  return new Promise((resolve) => {
    let settled = false;
    const finish = (o: ExecOutcome): void => { if (!settled) { settled = true; resolve(o); } };
    let child;
    try {
      const how = { detached: true, env: options.env ?? process.env, shell: false } as const;
      // Without input, stdin is /dev/null. Node's 'pipe' is a socket pair, and bash (Debian's, and every one built
      // with SSH_SOURCE_BASHRC) takes a socket on stdin for an ssh session: with SHLVL unset, as under systemd,
      // a `bash -c` or `#!/bin/bash` action then sourced root's ~/.bashrc at every ban (measured here: the
      // bench's action started in 150–350 ms instead of 3–5 ms, with a .bashrc that runs `pyenv init`).
      child = options.input === undefined
        ? spawn(file, args, { ...how, stdio: ['ignore', 'pipe', 'pipe'] })
        : spawn(file, args, { ...how, stdio: ['pipe', 'pipe', 'pipe'] });
    } catch (e) {
      finish({ ok: false, error: `Cannot run "${file}": ${(e as Error).message}` });
      return;
    }
    const out: Buffer[] = [], errs: Buffer[] = [];
    let outLen = 0, errLen = 0, timedOut = false;
    child.stdout.on('data', (b: Buffer) => { if (outLen < maxOutput) { out.push(b); outLen += b.length; } });
    child.stderr.on('data', (b: Buffer) => { if (errLen < maxOutput) { errs.push(b); errLen += b.length; } });
    const timer = setTimeout(() => {
      timedOut = true;
      try { if (child.pid) process.kill(-child.pid, 'SIGKILL'); } catch { /* already gone */ }
    }, timeoutMs);
    child.on('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      finish({ ok: false, error: e.code === 'ENOENT' ? `Cannot run "${file}": not found` : `Cannot run "${file}": ${e.message}` });
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      finish({
        ok: true,
        value: {
          code, signal, timedOut,
          stdout: Buffer.concat(out).toString('utf8'),
          stderr: Buffer.concat(errs).toString('utf8'),
        },
      });
    });
    if (options.input !== undefined && child.stdin) {
      child.stdin.on('error', () => { /* the child may exit without reading its input */ });
      child.stdin.end(options.input);
    }
  });
}

