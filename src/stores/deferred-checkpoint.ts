import type Database from 'better-sqlite3';
import { COUNT_CHECKPOINT } from './schema-sqlite.js';

/** Commits between two checkpoints: a few hundred WAL pages at the daemon's usual five to seven per ban. */
export const CHECKPOINT_EVERY = 100;

export interface DeferredCheckpoint {
  /** A transaction was committed. */
  committed(): void;
}

/**
 * Checkpoints off the ban's path. By itself SQLite checkpoints inside the commit that takes the WAL past 1,000
 * pages: two fsyncs and the pages copied back, in whichever transaction that is. On a host with a slow disk
 * the strace of a latency run showed it inside a ban's transaction, 8 ms between its two fsyncs, every 80 bans
 * or so (the section's max 28.9 ms in one run). Here a commit only counts; every CHECKPOINT_EVERY commits a
 * passive checkpoint is queued (`schedule`, `setImmediate` by default), so it runs once the task that
 * committed is over: after the ban is logged and its actions spawned.
 */
export function deferCheckpoints(db: Database.Database, schedule: (task: () => void) => void = later): DeferredCheckpoint {
  db.pragma('wal_autocheckpoint = 0');
  let commits = 0;
  let queued = false;
  // The first commit after a checkpoint starts the WAL over and syncs its new header: one more fsync, which
  // would fall in whatever commit comes next, a ban's as likely as another (seen in the same strace). So the
  // task also commits once itself: a row of `meta` that counts them.
  const restart = db.prepare(COUNT_CHECKPOINT);
  let done = 0;
  const run = (): void => {
    queued = false;
    if (!db.open) return;
    try {
      db.pragma('wal_checkpoint(PASSIVE)');
      restart.run(String(++done));
      commits = 0;
    } catch {
      // A full disk, or another process holding the write lock past busy_timeout: the WAL keeps what it
      // holds (the commits are in it), and the next commit queues another try.
    }
  };
  return {
    committed() {
      commits++;
      if (commits < CHECKPOINT_EVERY || queued) return;
      queued = true;
      schedule(run);
    },
  };
}

const later = (task: () => void): void => { setImmediate(task).unref(); };
