import { closeSync, mkdirSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

/** The pid in `file` when it names a live DictDefence process; a stale file yields undefined. */
export function livePid(file: string): number | undefined {
  let pid: number;
  try { pid = Number(readFileSync(file, 'utf8').trim()); } catch { return undefined; }
  if (!Number.isInteger(pid) || pid <= 1) return undefined;
  if (!alive(pid)) return undefined;
  // A recycled pid may belong to anything: only a process whose command line names us counts.
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    if (!cmdline.includes('dictdefence')) return undefined;
  } catch { /* no /proc: trust kill(0) */ }
  return pid;
}

/** Whether a process with this pid exists (EPERM: it does, but belongs to someone else). */
export function alive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 1) return false; // 0 and -1 would signal whole process groups
  try { process.kill(pid, 0); return true; } catch (e) { return (e as NodeJS.ErrnoException).code === 'EPERM'; }
}

const sleepSync = (ms: number): void => { Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms); };

/**
 * Takes `FILE.lock` with O_EXCL, so that checking the pidfile and writing it is one step even when two
 * daemons start at the same instant: exactly one sees no live owner and writes. A lock left by a process that
 * died inside that step (its pid is gone, or it is older than 10 s) is removed. Two starters could both
 * judge such a lock stale in the same microsecond; that needs a crash inside the step first, and the pidfile
 * check that follows still stops the second one in all but that case.
 */
function lock(file: string): { ok: true; release: () => void } | { ok: false; error: string } {
  const path = `${file}.lock`;
  const end = Date.now() + 3000;
  for (;;) {
    try {
      const fd = openSync(path, 'wx', 0o644);
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      return { ok: true, release: () => { try { unlinkSync(path); } catch { /* gone */ } } };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') return { ok: false, error: `Cannot lock pidfile "${file}": ${(e as Error).message}` };
    }
    let holder = 0, age = 0;
    try {
      holder = Number(readFileSync(path, 'utf8').trim());
      age = Date.now() - statSync(path).mtimeMs;
    } catch { continue; /* released meanwhile: try again at once */ }
    // An empty lock is one being written right now: only its age can make it stale.
    if ((Number.isInteger(holder) && holder > 1 && !alive(holder)) || age > 10_000) {
      try { if (Number(readFileSync(path, 'utf8').trim()) === holder) unlinkSync(path); } catch { /* gone */ }
      continue;
    }
    if (Date.now() > end) return { ok: false, error: `Cannot lock pidfile "${file}": "${path}" is held by pid ${holder || 'unknown'}` };
    sleepSync(10);
  }
}

/**
 * Claims the pidfile for this process: refuses when it names another live DictDefence, replaces a stale one.
 * The check and the write happen under an exclusive lock file (see `lock`); the write goes through a temp file
 * and rename so a reader never sees half a pid.
 */
export function claimPidfile(file: string): { ok: true } | { ok: false; error: string } {
  try { mkdirSync(dirname(file), { recursive: true }); } catch (e) {
    return { ok: false, error: `Cannot create the folder of pidfile "${file}": ${(e as Error).message}` };
  }
  const held = lock(file);
  if (!held.ok) return held;
  try {
    const other = livePid(file);
    if (other !== undefined && other !== process.pid) {
      return { ok: false, error: `DictDefence is already running with pid ${other} (pidfile "${file}")` };
    }
    const tmp = `${file}.${process.pid}.tmp`;
    const fd = openSync(tmp, 'w', 0o644);
    writeSync(fd, `${process.pid}\n`);
    closeSync(fd);
    renameSync(tmp, file);
    return { ok: true };
  } catch (e) {
    return { ok: false, error: `Cannot write pidfile "${file}": ${(e as Error).message}` };
  } finally {
    held.release();
  }
}

export function releasePidfile(file: string): void {
  try { if (readFileSync(file, 'utf8').trim() === String(process.pid)) unlinkSync(file); } catch { /* gone */ }
}

/** A daemon that is just stopping still holds the pidfile for a moment: give it `waitMs` before refusing. */
export async function claimPidfileWaiting(file: string, waitMs: number): Promise<ReturnType<typeof claimPidfile>> {
  const end = Date.now() + waitMs;
  for (;;) {
    const other = livePid(file);
    if (other === undefined || other === process.pid || Date.now() >= end) return claimPidfile(file);
    await new Promise((r) => setTimeout(r, 100));
  }
}
