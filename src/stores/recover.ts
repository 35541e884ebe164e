import fs from 'node:fs';
import { CorruptStoreError } from './file-journal.js';

/**
 * `dictdefence run --recover`: a store file that cannot be opened because it is damaged is moved aside, so
 * that the daemon starts with an empty store instead of failing at every start. Only damage counts: a file
 * that is locked, unreadable for lack of permission, or on a full disk is left alone, because moving it would
 * lose a healthy store.
 */

/** SQLite's codes for a file that is not a database or whose pages are damaged. */
const SQLITE_DAMAGE = new Set(['SQLITE_CORRUPT', 'SQLITE_NOTADB', 'SQLITE_CORRUPT_INDEX', 'SQLITE_CORRUPT_SEQUENCE', 'SQLITE_CORRUPT_VTAB']);

/** Whether `e` (or an error in its cause chain) says the store's file is damaged. */
export function isDamaged(e: unknown): boolean {
  for (let cur: unknown = e, depth = 0; cur instanceof Error && depth < 5; cur = cur.cause, depth++) {
    if (cur instanceof CorruptStoreError) return true;
    const code = (cur as { code?: unknown }).code;
    if (typeof code === 'string' && SQLITE_DAMAGE.has(code)) return true;
  }
  return false;
}

/** `20261125T171100Z`: sortable, and free of the colons some tools mishandle in file names. */
const stamp = (now: number): string => new Date(now).toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');

/**
 * Renames `file` to `FILE.corrupt-STAMP`, with its companions (`-wal` and `-shm` of SQLite, which belong to
 * that file and would be replayed into a fresh one) renamed alike. Returns the new name of `file`.
 */
export function moveAside(file: string, companions: readonly string[], now: number): string {
  const target = `${file}.corrupt-${stamp(now)}`;
  fs.renameSync(file, target);
  for (const suffix of companions) {
    try {
      fs.renameSync(`${file}${suffix}`, `${target}${suffix}`);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
  }
  return target;
}
