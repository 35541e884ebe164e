import { closeSync, mkdirSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

/** The pid in `file` when it names a live DictDefence process; a stale file yields undefined. */
export function livePid(file: string): number | undefined {
  let pid: number;
  try { pid = Number(readFileSync(file, 'utf8').trim()); } catch { return undefined; }
  if (!Number.isInteger(pid) || pid <= 1) return undefined;
  try { process.kill(pid, 0); } catch (e) { if ((e as NodeJS.ErrnoException).code !== 'EPERM') return undefined; }
  // A recycled pid may belong to anything: only a process whose command line names us counts.
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    if (!cmdline.includes('dictdefence')) return undefined;
  } catch { /* no /proc: trust kill(0) */ }
  return pid;
}

/**
 * Claims the pidfile for this process: refuses when it names another live DictDefence, replaces a stale one.
 * The write goes through a temp file and rename so a reader never sees half a pid.
 */
export function claimPidfile(file: string): { ok: true } | { ok: false; error: string } {
  const other = livePid(file);
  if (other !== undefined && other !== process.pid) {
    return { ok: false, error: `DictDefence is already running with pid ${other} (pidfile "${file}")` };
  }
  try {
    mkdirSync(dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    const fd = openSync(tmp, 'w', 0o644);
    writeSync(fd, `${process.pid}\n`);
    closeSync(fd);
    renameSync(tmp, file);
    return { ok: true };
  } catch (e) {
    return { ok: false, error: `Cannot write pidfile "${file}": ${(e as Error).message}` };
  }
}

export function releasePidfile(file: string): void {
  try { if (livePid(file) === process.pid || readFileSync(file, 'utf8').trim() === String(process.pid)) unlinkSync(file); } catch { /* gone */ }
}
