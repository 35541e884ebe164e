import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { realClock, type Clock } from '../core/clock.js';
import { silentLogger, type Logger } from '../core/log.js';
import type { Hit } from '../core/types.js';
import { acquireLock, type Lock } from './file-lock.js';
import { openJournal, readJournal, type Journal } from './file-journal.js';
import { createFileState, JOURNAL_FORMAT, JOURNAL_VERSION, type BanRecord, type FileState, type HitRecord, type JournalRecord } from './file-state.js';
import { decideImport, tally } from './portable.js';
import type { PortableBan, PortableStore, StoreStats } from './store.js';

/*
 * The file store: no native code, one folder, readable with `jq`. The whole state lives in memory (see
 * docs/stores.md for the cost per ban); the journal `PATH` is the durable copy, and `PATH.lock` keeps a
 * second daemon out.
 *
 * Durability mirrors the SQLite store. A ban decision (addBan, liftBan, an import) is fdatasynced before the
 * call resolves. Hits, positions and prunes are written (so a killed process keeps them: they are in the page
 * cache) but not synced; a power cut may lose them, and losing them is harmless (see sqlite.ts).
 *
 * Compaction: when the journal is more than twice the size of the state it describes (plus a floor, so a
 * small store is not rewritten over and over), the state is written as a snapshot to `PATH.tmp` and renamed
 * over the journal. It runs inside the write that crossed the limit; a failed compaction (full disk) is logged
 * and leaves the old journal in place.
 */

export interface FileStoreOptions {
  readonly path: string;
  /** When set, lifted bans and hits older than this are pruned at open. */
  readonly retentionMs?: number;
  /** Open without the lock and refuse writes: lets `store export` read the journal of a running daemon. */
  readonly readOnly?: boolean;
  /** Journal bytes beyond twice the live state that trigger a compaction. Default 4 MiB. */
  readonly compactSlackBytes?: number;
}

export interface FileStoreDeps {
  readonly clock?: Clock;
  readonly hostname?: string;
  readonly log?: Logger;
}

export interface FileStore extends PortableStore {
  readonly type: 'file';
  readonly path: string;
  /** Records skipped on load because their address does not parse, or their line was damaged. */
  readonly invalidRows: number;
  /** Rewrites the journal as a snapshot now. */
  compact(): void;
}

/**
 * Opens (creating when missing) the file store at `options.path`. Rejects with an error naming the file:
 * `Cannot open file store "/var/lib/dictdefence/state.journal": in use by process 4242 (lock file "….lock")`.
 */
export async function openFileStore(options: FileStoreOptions, deps: FileStoreDeps = {}): Promise<FileStore> {
  const log = deps.log ?? silentLogger;
  let lock: Lock | undefined;
  try {
    if (!options.readOnly) {
      // The folder first: the lock file is made in it. 0700, like the state folder: the journal holds log lines.
      fs.mkdirSync(path.dirname(path.resolve(options.path)), { recursive: true, mode: 0o700 });
      lock = acquireLock(`${options.path}.lock`);
    }
    let invalidRows = 0;
    const state = createFileState((what, raw) => {
      invalidRows++;
      log.warn('Skipped a store record whose address does not parse', { store: options.path, record: what, address: raw });
    });
    const read = readJournal(options.path, (r, bytes) => { state.apply(r, bytes); });
    if (read.badLines > 0) log.warn(`Skipped ${read.badLines} damaged lines of the journal`, { store: options.path });
    if (read.tornBytes > 0) log.warn(`Ignored a torn last line (${read.tornBytes} bytes) of the journal, left by a crash`, { store: options.path });
    invalidRows += read.badLines;
    const journal = options.readOnly ? undefined : openJournal(options.path, read.goodBytes, header(state));
    return storeOver(state, journal, lock, () => invalidRows, options, deps);
  } catch (e) {
    lock?.release();
    const detail = e instanceof Error ? e.message : String(e);
    throw new Error(`Cannot open file store "${options.path}": ${detail}`, { cause: e });
  }
}

const header = (state: FileState): JournalRecord =>
  ({ op: 'header', format: JOURNAL_FORMAT, version: JOURNAL_VERSION, nextId: state.nextId });

function storeOver(
  state: FileState, journal: Journal | undefined, lock: Lock | undefined, invalidRows: () => number,
  options: FileStoreOptions, deps: FileStoreDeps,
): FileStore {
  const clock = deps.clock ?? realClock;
  const log = deps.log ?? silentLogger;
  const hostname = deps.hostname ?? os.hostname();
  const slack = options.compactSlackBytes ?? 4 << 20;
  let closed = false;
  // After a failed compaction, wait until the journal has grown by a quarter before trying again.
  let retryAbove = 0;

  const writable = (): Journal => {
    if (closed) throw new Error(`The file store "${options.path}" is closed`);
    if (!journal) throw new Error(`The file store "${options.path}" is open read-only`);
    return journal;
  };

  /** Write-ahead: the records reach the file first, and only then the state, so the two never disagree. */
  const write = (records: JournalRecord[], sync: boolean): number => {
    const j = writable();
    const sizes = j.append(records, sync);
    let deleted = 0;
    records.forEach((r, i) => { deleted += state.apply(r, sizes[i] ?? 0); });
    maybeCompact(j);
    return deleted;
  };

  const compact = (j: Journal): void => {
    j.rewrite(state.snapshot());
    retryAbove = 0;
  };

  const maybeCompact = (j: Journal): void => {
    if (j.bytes <= 2 * state.liveBytes + slack || j.bytes <= retryAbove) return;
    try {
      compact(j);
    } catch (e) {
      retryAbove = j.bytes * 1.25;
      log.warn(`Cannot compact the file store: ${(e as Error).message}; the journal keeps growing until it can`, { store: options.path });
    }
  };

  if (journal && options.retentionMs !== undefined) write([{ op: 'prune', before: clock.now() - options.retentionMs }], false);

  return {
    type: 'file',
    path: options.path,
    get invalidRows() { return invalidRows(); },
    compact: () => compact(writable()),

    async addBan(ban, origin = hostname) {
      const existing = state.activeBan(ban.jail, ban.address);
      if (existing) return existing;
      const id = state.nextId;
      write([banRecord(id, { ...ban, origin, liftedAt: null, liftReason: null })], true);
      const stored = state.ban(id);
      if (!stored) throw new Error(`The file store "${options.path}" lost ban ${id} it just wrote`);
      return stored;
    },

    async liftBan(jail, address, at, reason) {
      const existing = state.activeBan(jail, address);
      if (!existing) return undefined;
      write([{ op: 'lift', id: existing.id, at, reason }], true);
      return state.ban(existing.id);
    },

    async activeBans() { writableOrReadOnly(); return state.activeBans(); },
    async banCount(address, jail, since) { writableOrReadOnly(); return state.banCount(address, jail, since); },
    async banHistory(address, limit) { writableOrReadOnly(); return state.banHistory(address, limit); },

    async addHits(hits, perAddress) {
      if (hits.length === 0) return;
      write([{ op: 'hits', keep: Math.max(0, Math.trunc(perAddress)), hits: hits.map(hitRecord) }], false);
    },

    async recentHits(address, limit) { writableOrReadOnly(); return state.recentHits(address, limit); },

    async prune(before) {
      return write([{ op: 'prune', before }], false);
    },

    async stats(): Promise<StoreStats> {
      writableOrReadOnly();
      return { ...state.counts(), bytes: journal?.bytes ?? fileSize(options.path) };
    },

    async getPosition(key) { writableOrReadOnly(); return state.position(key); },
    async setPosition(key, position) { write([{ op: 'pos', key, value: position, at: clock.now() }], false); },

    async *exportBans() {
      writableOrReadOnly();
      for (const id of state.banIds()) {
        const ban = state.ban(id);
        if (ban) yield ban;
      }
    },

    async importBans(rows) {
      const j = writable();
      const count = tally();
      for (const row of rows) {
        const same = state.banAt(row.jail, row.address, row.bannedAt);
        const decision = decideImport(row, same, state.activeBan(row.jail, row.address) !== undefined);
        if (decision === 'lift' && same) write([{ op: 'lift', id: same.id, at: row.liftedAt ?? 0, reason: row.liftReason ?? 'imported' }], false);
        if (decision === 'add') write([banRecord(state.nextId, row)], false);
        count.add(decision);
      }
      j.sync();
      return count.result();
    },

    async close() {
      if (closed) return;
      closed = true;
      journal?.close();
      lock?.release();
    },
  };

  function writableOrReadOnly(): void {
    if (closed) throw new Error(`The file store "${options.path}" is closed`);
  }
}

/** Field by field, so that nothing but a ban's own fields reaches the file whatever object the caller passed. */
const banRecord = (id: number, b: PortableBan): BanRecord => ({
  op: 'ban', id, address: b.address, jail: b.jail, bannedAt: b.bannedAt, until: b.until, count: b.count,
  reason: b.reason, origin: b.origin, liftedAt: b.liftedAt, liftReason: b.liftReason,
});

const hitRecord = (h: Hit): HitRecord =>
  h.rule === undefined ? { address: h.address, jail: h.jail, at: h.at, line: h.line } : { address: h.address, jail: h.jail, at: h.at, line: h.line, rule: h.rule };

const fileSize = (file: string): number => {
  try { return fs.statSync(file).size; } catch { return 0; }
};
