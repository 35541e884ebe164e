import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { parseAddress, type Address } from '../core/address.js';
import { realClock, type Clock } from '../core/clock.js';
import { silentLogger, type Logger } from '../core/log.js';
import { banKey, type Ban, type Hit } from '../core/types.js';
import type { Position } from '../sources/source.js';
import { unpackActiveBan, unpackActivePage, type PackedBanRow } from './sqlite-active.js';
import * as sql from './schema-sqlite.js';
import { createCoalescedSync } from './coalesced-sync.js';
import { deferCheckpoints } from './deferred-checkpoint.js';
import { sqlitePortable, type BanRow } from './sqlite-portable.js';
import type { PortableStore, StoreStats, StoredBan } from './store.js';

/** A row of SELECT_ACTIVE_BAN_PAGE: the page's highest id, its rows, its text and its irregular rows (null where a value is). */
type ActivePage = [highest: bigint, rows: bigint, text: string | null, irregular: bigint | null];

/*
 * Durability. The file is in WAL mode with `synchronous = NORMAL`.
 * - A commit is in the WAL file (the OS page cache) before the call returns, so no committed transaction is
 *   lost when the process dies: kill -9, OOM killer, a crash (the SIGKILL test checks this). Only an OS crash
 *   or power cut can lose the latest commits, and then always a suffix: the file stays consistent.
 * - `durable()` makes every earlier commit survive that too: one fdatasync of the WAL file on the thread pool
 *   (the WAL being sequential, it covers all of them), shared by every caller asking meanwhile
 *   (coalesced-sync.ts). `addBan` starts one at once, so it runs while the daemon spawns the action: the
 *   firewall changes after the ban is committed, not after it reached the disk. A power cut in that
 *   millisecond takes the kernel's firewall rules with it too; the daemon marks the ban's log lines read only
 *   once `durable()` resolved, so the next start reads them again and bans again.
 * - Hits, positions and lifts commit NORMAL and become durable with the next ban's flush or a checkpoint; a
 *   lost lift of an expired ban is redone by start-up recovery. The price: a manual unban lost to a power
 *   cut comes back as an active ban.
 */

export interface SqliteStoreOptions {
  readonly path: string;
  /** When set, lifted bans and hits older than this are pruned at open; the daemon also prunes periodically. */
  readonly retentionMs?: number;
}

export interface SqliteStoreDeps {
  readonly clock?: Clock;
  /** Origin of bans added without one; `os.hostname()` by default. */
  readonly hostname?: string;
  /** Told about rows skipped because their address does not parse. */
  readonly log?: Logger;
  /** Flushes the WAL file to disk; `FileHandle.datasync` by default (tests watch what it covers). */
  readonly datasync?: (wal: fs.promises.FileHandle) => Promise<void>;
  /** Runs a deferred WAL checkpoint (deferred-checkpoint.ts); `setImmediate` by default (tests hold it back). */
  readonly schedule?: (task: () => void) => void;
}

export interface SqliteStore extends PortableStore {
  readonly type: 'sqlite';
  readonly path: string;
  /** Rows skipped on read because their address does not parse (a damaged or hand-edited file). */
  readonly invalidRows: number;
  /** Flushes the WAL file (always there: SQLite's commits resolve before they reach the disk). */
  durable(): Promise<void>;
  /** Always there: better-sqlite3 runs a transaction synchronously. */
  recordBanNow: NonNullable<PortableStore['recordBanNow']>;
}

interface HitRow { address: string; jail: string; at: number; line: string; rule: number | null }
interface BanParams {
  address: string; jail: string; bannedAt: number; until: number | null; count: number; reason: string;
  origin: string;
}

/**
 * Opens (creating when missing) the SQLite store at `options.path` and brings its schema up to date.
 * Throws an `Error` whose message names the file and the cause, e.g.
 * `Cannot open SQLite store "/var/lib/dictdefence/state.db": file is not a database`; the cause is kept as
 * `error.cause`. A folder that is missing is created with mode 0700, a file that is missing with mode 0600.
 */
export function createSqliteStore(options: SqliteStoreOptions, deps: SqliteStoreDeps = {}): SqliteStore {
  let db: Database.Database | undefined;
  try {
    db = openFile(options.path);
    verify(db);
    migrate(db);
    return storeOver(db, options, deps);
  } catch (e) {
    db?.close();
    const detail = e instanceof Error ? e.message : String(e);
    throw new Error(`Cannot open SQLite store "${options.path}": ${detail}`, { cause: e });
  }
}

/** {@link createSqliteStore} for callers that open every store alike: rejects with the same error. */
export async function openSqliteStore(options: SqliteStoreOptions, deps: SqliteStoreDeps = {}): Promise<SqliteStore> {
  return createSqliteStore(options, deps);
}

function openFile(file: string): Database.Database {
  const dir = path.dirname(path.resolve(file));
  if (!fs.existsSync(dir)) fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  // SQLite would create the file with the umask's mode (often 0644); it holds log lines, so make it first.
  // Its -wal and -shm files inherit the database file's mode.
  try {
    fs.closeSync(fs.openSync(file, 'wx', 0o600));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  }
  const db = new Database(file);
  for (const pragma of sql.FRESH_FILE_PRAGMAS) db.pragma(pragma);
  for (const pragma of sql.CONNECTION_PRAGMAS) db.pragma(pragma);
  return db;
}

/**
 * A damaged page deep in the file would otherwise surface later, as a failed write on every ban. Checking at
 * open turns it into one clear error that `run --recover` acts on. `quick_check` reads every page once but
 * skips the index cross-checks of `integrity_check`: 0.4 s for a 230 MB file in the page cache.
 */
function verify(db: Database.Database): void {
  const result: unknown = db.pragma('quick_check(1)', { simple: true });
  if (result === 'ok') return;
  // One line for the log: SQLite's report starts with a banner and spans lines.
  const detail = String(result).replace(/\*\*\* in database \w+ \*\*\*\s*/g, '').replace(/\s*\n\s*/g, '; ').trim();
  throw Object.assign(new Error(`the file is damaged (${detail})`), { code: 'SQLITE_CORRUPT' });
}

/** Runs the pending migrations in one immediate transaction, so two processes opening a new file agree. */
function migrate(db: Database.Database): void {
  db.transaction(() => {
    db.exec(sql.META_DDL);
    const row = db.prepare<[], { value: string }>(sql.GET_SCHEMA_VERSION).get();
    const current = row === undefined ? 0 : Number(row.value);
    if (!Number.isInteger(current) || current < 0) throw new Error(`schema version "${row?.value}" is not a number`);
    const latest = sql.MIGRATIONS.length;
    if (current > latest) {
      throw new Error(`schema version ${current} is newer than this version of DictDefence supports (${latest})`);
    }
    if (current === latest) return;
    for (const migration of sql.MIGRATIONS.slice(current)) db.exec(migration);
    db.prepare(sql.SET_SCHEMA_VERSION).run(String(latest));
  }).immediate();
}

/** `Infinity` (or NaN) as a caller's limit means none, which SQLite spells `LIMIT -1`. */
const sqlLimit = (n: number): number => (Number.isFinite(n) ? Math.max(0, Math.trunc(n)) : -1);

const fileSize = (file: string): number => {
  try { return fs.statSync(file).size; } catch { return 0; }
};

function isPosition(value: unknown): value is Position {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  return Object.values(value).every((v) => typeof v === 'string' || typeof v === 'number');
}

function storeOver(db: Database.Database, options: SqliteStoreOptions, deps: SqliteStoreDeps): SqliteStore {
  const clock = deps.clock ?? realClock;
  const log = deps.log ?? silentLogger;
  const hostname = deps.hostname ?? os.hostname();
  let invalidRows = 0;

  const q = {
    insertBan: db.prepare<[BanParams], never>(sql.INSERT_BAN),
    activeBan: db.prepare<[string, string], BanRow>(sql.SELECT_ACTIVE_BAN),
    liftBan: db.prepare<[number, string, number], never>(sql.LIFT_BAN),
    // Raw: 100,000 active bans are read at every start (restore); see SELECT_ACTIVE_BAN_PAGE. Its ids as
    // BigInt, so that the next page starts right after the last whatever the ids.
    activeBans: db.prepare<[bigint], PackedBanRow>(sql.SELECT_ACTIVE_BANS).raw(true),
    activeBanPage: db.prepare<[bigint], ActivePage>(sql.SELECT_ACTIVE_BAN_PAGE).raw(true).safeIntegers(true),
    countInJail: db.prepare<[string, string, number], { n: number }>(sql.COUNT_BANS_IN_JAIL),
    countAllJails: db.prepare<[string, number], { n: number }>(sql.COUNT_BANS_ALL_JAILS),
    history: db.prepare<[string, number], BanRow>(sql.SELECT_BAN_HISTORY),
    insertHit: db.prepare<[string, string, number, string, number | null], never>(sql.INSERT_HIT),
    trimHits: db.prepare<[string, string, number], never>(sql.TRIM_HITS),
    recentHits: db.prepare<[string, number], HitRow>(sql.SELECT_RECENT_HITS),
    pruneBans: db.prepare<[number], never>(sql.PRUNE_BANS),
    pruneHits: db.prepare<[number], never>(sql.PRUNE_HITS),
    getPosition: db.prepare<[string], { value: string }>(sql.GET_POSITION),
    setPosition: db.prepare<[string, string, number], never>(sql.SET_POSITION),
    stats: db.prepare<[], { active: number; history: number; hits: number }>(sql.STATS),
  };

  const skip = (table: string, id: number | undefined, raw: string): undefined => {
    invalidRows++;
    log.warn('Skipped a store row whose address does not parse', { store: options.path, table, id, address: raw });
    return undefined;
  };

  const toStoredBan = (row: BanRow, address: Address): StoredBan => ({
    id: row.id, address, jail: row.jail, bannedAt: row.banned_at, until: row.until, count: row.count,
    reason: row.reason, origin: row.origin, liftedAt: row.lifted_at, liftReason: row.lift_reason,
  });

  const readBans = (rows: BanRow[]): StoredBan[] => {
    const out: StoredBan[] = [];
    for (const row of rows) {
      const address = parseAddress(row.address);
      if (address === undefined) skip('bans', row.id, row.address);
      else out.push(toStoredBan(row, address));
    }
    return out;
  };

  /** Earlier bans of `address` in `jail` (all jails when undefined) since `since`. */
  const countBans = (address: Address, jail: string | undefined, since: number): number =>
    (jail === undefined ? q.countAllJails.get(address, since) : q.countInJail.get(address, jail, since))?.n ?? 0;

  /** Inserts `ban` as active; its row id. */
  const insertBan = (ban: Ban, origin: string): number => {
    const params: BanParams = {
      address: ban.address, jail: ban.jail, bannedAt: ban.bannedAt, until: ban.until, count: ban.count,
      reason: ban.reason, origin,
    };
    return Number(q.insertBan.run(params).lastInsertRowid);
  };

  const addBanTx = db.transaction((ban: Ban, origin: string): BanRow => {
    const existing = q.activeBan.get(ban.jail, ban.address);
    if (existing) return existing;
    const id = insertBan(ban, origin);
    return {
      id, address: ban.address, jail: ban.jail, banned_at: ban.bannedAt, until: ban.until, count: ban.count,
      reason: ban.reason, origin, lifted_at: null, lift_reason: null,
    };
  });

  const recordBanTx = db.transaction((address: Address, jail: string, countIn: string | undefined, since: number,
    make: (previous: number) => Ban, origin: string): Ban => {
    const existing = q.activeBan.get(jail, address);
    if (existing) return toStoredBan(existing, address);
    const ban = make(countBans(address, countIn, since));
    insertBan(ban, origin);
    return ban;
  });

  const liftBanTx = db.transaction((jail: string, address: Address, at: number, reason: string) => {
    const row = q.activeBan.get(jail, address);
    if (!row) return undefined;
    q.liftBan.run(at, reason, row.id);
    return { ...row, lifted_at: at, lift_reason: reason };
  });

  const addHitsTx = db.transaction((hits: readonly Hit[], keep: number) => {
    const touched = new Map<string, Hit>();
    for (const hit of hits) {
      q.insertHit.run(hit.address, hit.jail, hit.at, hit.line, hit.rule ?? null);
      touched.set(banKey(hit.jail, hit.address), hit);
    }
    for (const hit of touched.values()) q.trimHits.run(hit.address, hit.jail, keep);
  });

  const pruneTx = db.transaction((before: number): number =>
    q.pruneBans.run(before).changes + q.pruneHits.run(before).changes);

  const pruneNow = (before: number): number => {
    const deleted = pruneTx.immediate(before);
    if (deleted > 0) {
      // Without these the file keeps its size: freed pages go back to the file system only through a vacuum,
      // and the WAL file keeps the size of the largest transaction until a truncating checkpoint.
      db.exec('PRAGMA incremental_vacuum');
      db.pragma('wal_checkpoint(TRUNCATE)');
    }
    return deleted;
  };

  if (options.retentionMs !== undefined) pruneNow(clock.now() - options.retentionMs);

  // The WAL file, opened at the first flush (a commit has made it exist by then). It is the same file for as
  // long as this connection is open: SQLite deletes it only when the last connection closes.
  let walFile: fs.promises.FileHandle | undefined;
  const wal = createCoalescedSync(async () => {
    if (walFile === undefined) {
      walFile = await fs.promises.open(`${options.path}-wal`, 'r');
      // Once per process: the WAL file's own name must survive the power cut too.
      const dir = await fs.promises.open(path.dirname(path.resolve(options.path)), 'r');
      try { await dir.sync(); } finally { await dir.close(); }
    }
    await (deps.datasync ?? ((f: fs.promises.FileHandle) => f.datasync()))(walFile);
  });
  const durable = (): Promise<void> => wal.request();
  const checkpoints = deferCheckpoints(db, deps.schedule);
  const wrote = (): void => {
    wal.wrote();
    checkpoints.committed();
  };
  /** After a ban's commit: its flush starts now, so that the disk works while the caller spawns its actions. */
  const banWritten = (): void => {
    wrote();
    durable().catch(() => {}); // a failed flush is retried by the next durable()
  };

  return {
    ...sqlitePortable(db, readBans),
    type: 'sqlite',
    path: options.path,
    get invalidRows() { return invalidRows; },

    async addBan(ban, origin = hostname) {
      const row = addBanTx.immediate(ban, origin);
      banWritten();
      return toStoredBan(row, ban.address);
    },

    recordBanNow(address, jail, countIn, since, make, origin = hostname) {
      const ban = recordBanTx.immediate(address, jail, countIn, since, make, origin);
      banWritten();
      return ban;
    },

    durable,

    async liftBan(jail, address, at, reason) {
      const row = liftBanTx.immediate(jail, address, at, reason);
      wrote();
      return row && toStoredBan(row, address);
    },

    async activeBans() {
      const out: StoredBan[] = [];
      const last = { jail: '', reason: '', origin: '' };
      const bad = (id: number | undefined, address: string): void => { skip('bans', id, address); };
      // A page at a time: its strings die young, where `all()` kept 100,000 rows alive through the young
      // generation's collections until the last was read (590–610 → 425–440 ms for a restore's reading and
      // unpacking, measured), and a call into the addon per page, not per row (schema-sqlite.ts).
      for (let after = -(2n ** 63n); ;) {
        const page = q.activeBanPage.get(after);
        if (page === undefined || page[1] === 0n) break;
        const [highest, rows, text, irregular] = page;
        if (irregular !== 0n || text === null || !unpackActivePage(text, Number(rows), last, bad, out)) {
          for (const row of q.activeBans.iterate(after)) {
            const ban = unpackActiveBan(row, last, bad);
            if (ban !== undefined) out.push(ban);
          }
        }
        after = highest;
      }
      // Pages come in id order; within one, SQLite joins rows in the order the subquery gives them, which its
      // documentation does not promise: checked, and sorted should it ever differ.
      if (out.some((b, i) => i > 0 && b.id <= out[i - 1]!.id)) out.sort((a, b) => a.id - b.id);
      return out;
    },

    async banCount(address, jail, since) { return countBans(address, jail, since); },

    async banHistory(address, limit) { return readBans(q.history.all(address, sqlLimit(limit))); },

    async addHits(hits, perAddress) {
      if (hits.length === 0) return;
      addHitsTx.immediate(hits, Math.max(0, Math.trunc(perAddress)));
      wrote();
    },

    async recentHits(address, limit) {
      const out: Hit[] = [];
      for (const row of q.recentHits.all(address, sqlLimit(limit))) {
        const parsed = parseAddress(row.address);
        if (parsed === undefined) { skip('hits', undefined, row.address); continue; }
        const hit = { address: parsed, jail: row.jail, at: row.at, line: row.line };
        out.push(row.rule === null ? hit : { ...hit, rule: row.rule });
      }
      return out;
    },

    async prune(before) { return pruneNow(before); },

    async stats(): Promise<StoreStats> {
      const row = q.stats.get() ?? { active: 0, history: 0, hits: 0 };
      return {
        activeBans: row.active, historyRows: row.history, hitRows: row.hits,
        bytes: fileSize(options.path) + fileSize(`${options.path}-wal`),
      };
    },

    async getPosition(key) {
      const row = q.getPosition.get(key);
      if (!row) return undefined;
      let value: unknown;
      try { value = JSON.parse(row.value); } catch { value = undefined; }
      if (isPosition(value)) return value;
      log.warn('Ignored a source position that is not a JSON object', { store: options.path, key });
      return undefined;
    },

    async setPosition(key, position) {
      q.setPosition.run(key, JSON.stringify(position), clock.now());
      wrote();
    },

    async close() {
      await wal.idle();
      await walFile?.close().catch(() => {});
      walFile = undefined;
      if (db.open) db.close();
    },
  };
}
