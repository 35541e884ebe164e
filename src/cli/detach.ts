import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import { livePid } from '../daemon/pidfile.js';

/** Set in the environment of the child that `run -d` starts, and removed by the child at once. */
const MARKER = 'DICTDEFENCE_DETACHED';

type ChildMessage = { readonly type: 'ready'; readonly pid: number } | { readonly type: 'error'; readonly error: string };

/** True in the child of `run -d`. Removes the marker so that commands the daemon runs do not inherit it. */
export function takeDetachedMarker(): boolean {
  const set = process.env[MARKER] === '1';
  delete process.env[MARKER];
  return set && typeof process.send === 'function';
}

/** In the child: tells the waiting parent that the daemon is up, or why it is not, then lets it go. */
export function reportToParent(error?: string): void {
  const message: ChildMessage = error === undefined ? { type: 'ready', pid: process.pid } : { type: 'error', error };
  process.send?.(message, () => { if (process.connected) process.disconnect(); });
}

export interface DetachOptions {
  /** Arguments for the child's `run`, without -d, with absolute paths (the child runs in "/"). */
  readonly args: readonly string[];
  readonly pidfile: string;
  /** The child's stdout and stderr go here (crash traces included); otherwise to /dev/null. */
  readonly logFile?: string;
  readonly timeoutMs: number;
}

/**
 * `run -d`: starts the daemon again as a child in a new session (setsid, no controlling terminal, stdin
 * /dev/null, cwd "/") and waits on an IPC channel until the child reports that it is up — pidfile written,
 * control socket listening — or why it could not start. Resolves with the error, or the child's pid.
 */
export async function detach(o: DetachOptions): Promise<{ ok: true; pid: number } | { ok: false; error: string }> {
  // Refuse early and plainly; the child's own claim of the pidfile is what settles a race of two starts.
  const end = Date.now() + 3000;
  let other = livePid(o.pidfile);
  while (other !== undefined && Date.now() < end) {
    await new Promise((r) => setTimeout(r, 100));
    other = livePid(o.pidfile);
  }
  if (other !== undefined) return { ok: false, error: `DictDefence is already running with pid ${other} (pidfile "${o.pidfile}")` };

  let out: number | 'ignore' = 'ignore';
  if (o.logFile) {
    try {
      mkdirSync(dirname(o.logFile), { recursive: true, mode: 0o750 });
      out = openSync(o.logFile, 'a', 0o640);
    } catch (e) { return { ok: false, error: `Cannot open log file "${o.logFile}": ${(e as Error).message}` }; }
  }
  const script = process.argv[1];
  if (!script) return { ok: false, error: 'Cannot tell which script to start again' };
  const child = spawn(process.execPath, [...process.execArgv, script, 'run', ...o.args], {
    detached: true, cwd: '/', stdio: ['ignore', out, out, 'ipc'], env: { ...process.env, [MARKER]: '1' },
  });
  if (typeof out === 'number') closeSync(out);

  const outcome = await new Promise<{ ok: true; pid: number } | { ok: false; error: string }>((resolve) => {
    const timer = setTimeout(() => resolve({
      ok: false, error: `The daemon (pid ${child.pid}) did not report that it is up within ${Math.round(o.timeoutMs / 1000)} s; it may still be starting: see its log`,
    }), o.timeoutMs);
    const done = (r: { ok: true; pid: number } | { ok: false; error: string }): void => { clearTimeout(timer); resolve(r); };
    child.on('message', (m: ChildMessage) => done(m.type === 'ready' ? { ok: true, pid: m.pid } : { ok: false, error: m.error }));
    child.on('error', (e) => done({ ok: false, error: `Cannot start the daemon: ${e.message}` }));
    child.on('exit', (code, signal) => done({
      ok: false, error: `The daemon exited (${signal ?? `code ${code}`}) before it was up${o.logFile ? `; see "${o.logFile}"` : ''}`,
    }));
  });
  child.removeAllListeners();
  if (child.connected) child.disconnect();
  child.unref();
  return outcome;
}
