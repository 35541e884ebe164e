import fs from 'node:fs';

/**
 * The lock file of the file store: `PATH.lock`, made with O_EXCL and holding the owner's pid. The file store
 * keeps its state in memory and rewrites the journal when it compacts, so a second writer would silently lose
 * the first one's bans: it must be refused, not merely serialised.
 *
 * Stale detection: a lock whose pid is dead (or a zombie: killed but not yet reaped) is taken over. A lock
 * that is empty or unreadable is stale only when older than {@link EMPTY_GRACE_MS}: its owner may be between
 * creating it and writing its pid. Two processes may find the same stale lock at once; each renames it to a
 * name of its own before deleting it, and the one that finds a live pid in what it renamed has taken a fresh
 * lock by mistake, so it puts it back and gives up. Only one of them can rename the stale file.
 */

const EMPTY_GRACE_MS = 5000;

export interface Lock {
  readonly file: string;
  /** Deletes the lock if it is still ours. Idempotent. */
  release(): void;
}

/** Throws `in use by process N (lock file "…")` when a live process holds it; the caller adds the store name. */
export function acquireLock(file: string): Lock {
  for (let attempt = 0; attempt < 5; attempt++) {
    if (tryCreate(file)) return ownLock(file);
    const holder = readHolder(file);
    if (holder.state === 'live') throw new Error(`in use by process ${holder.pid} (lock file "${file}")`);
    if (holder.state === 'young') throw new Error(`lock file "${file}" is being created by another process`);
    if (holder.state === 'gone') continue;
    breakStale(file, holder.pid);
  }
  throw new Error(`cannot take lock file "${file}": it keeps changing`);
}

function tryCreate(file: string): boolean {
  let fd: number;
  try {
    fd = fs.openSync(file, 'wx', 0o600);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  }
  try { fs.writeSync(fd, `${process.pid}\n`); fs.fsyncSync(fd); } finally { fs.closeSync(fd); }
  return true;
}

function ownLock(file: string): Lock {
  let held = true;
  return {
    file,
    release() {
      if (!held) return;
      held = false;
      try { if (fs.readFileSync(file, 'utf8').trim() === String(process.pid)) fs.unlinkSync(file); } catch { /* gone already */ }
    },
  };
}

type Holder = { state: 'live'; pid: number } | { state: 'stale'; pid: number | undefined } | { state: 'young' } | { state: 'gone' };

function readHolder(file: string): Holder {
  let text: string, mtime: number;
  try {
    text = fs.readFileSync(file, 'utf8');
    mtime = fs.statSync(file).mtimeMs;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { state: 'gone' };
    throw e;
  }
  const pid = Number(text.trim());
  if (!Number.isInteger(pid) || pid <= 0) return Date.now() - mtime < EMPTY_GRACE_MS ? { state: 'young' } : { state: 'stale', pid: undefined };
  // Our own pid: another instance in this process still holds it (two opens of one store): as live as it gets.
  return pid === process.pid || isAlive(pid) ? { state: 'live', pid } : { state: 'stale', pid };
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    // Field 3 of /proc/PID/stat is the state; after the command name, which may contain spaces and ')'.
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true; // no /proc: trust kill(0)
  }
}

function breakStale(file: string, seen: number | undefined): void {
  const mine = `${file}.stale-${process.pid}`;
  try {
    fs.renameSync(file, mine);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return; // another process broke it first
    throw e;
  }
  const taken = readHolder(mine);
  if (taken.state === 'live' && taken.pid !== seen) {
    // We renamed a lock created after we looked: hand it back (link fails only if yet another lock appeared).
    try { fs.linkSync(mine, file); } catch { /* a newer lock exists; ours is refused below anyway */ }
    fs.rmSync(mine, { force: true });
    throw new Error(`in use by process ${taken.pid} (lock file "${file}")`);
  }
  fs.rmSync(mine, { force: true });
}
