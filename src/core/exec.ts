import { spawn } from 'node:child_process';

export interface ExecOptions {
  /** Kill the whole process group after this long (default 30 s). */
  readonly timeoutMs?: number;
  /** Written to the child's stdin, which is then closed. */
  readonly input?: string;
  readonly env?: NodeJS.ProcessEnv;
  /** Output beyond this many bytes per stream is dropped (default 1 MiB). */
  readonly maxOutput?: number;
}

export interface ExecResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly timedOut: boolean;
}

export type ExecOutcome = { readonly ok: true; readonly value: ExecResult } | { readonly ok: false; readonly error: string };

/**
 * Runs `argv` without a shell — the address is always its own element — in a new process group, so a
 * timeout kills everything the command started. Never throws: a missing binary or a spawn failure comes
 * back as an error value; a non-zero exit is a result the caller judges.
 */
export function exec(argv: readonly string[], options: ExecOptions = {}): Promise<ExecOutcome> {
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
      // Without input, stdin is /dev/null. Node's 'pipe' is a socket pair, and bash (Debian's, and any built
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

/** One line describing why a finished command counts as failed, or `undefined` when it succeeded. */
export function describeFailure(argv: readonly string[], r: ExecResult, timeoutMs?: number): string | undefined {
  if (r.timedOut) return `Command "${argv[0]}" timed out after ${timeoutMs ?? 30_000} ms and was killed`;
  if (r.code === 0) return undefined;
  const why = r.stderr.trim().split('\n').slice(-2).join(' ').slice(0, 300);
  return `Command "${argv[0]}" failed (${r.signal ? `signal ${r.signal}` : `exit ${r.code}`})${why ? `: ${why}` : ''}`;
}
