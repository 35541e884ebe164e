import { createHash } from 'node:crypto';
import os from 'node:os';
import { createPool, type Pool, type PoolConnection } from 'mysql2/promise';
import { parseAddress, type Address } from '../core/address.js';
import { realClock, type Clock } from '../core/clock.js';
import { silentLogger, type Logger } from '../core/log.js';
import { banKey, type Hit } from '../core/types.js';
import { isConnectionError, isLockConflict } from './mysql-errors.js';
import { change, select, type BanRow, type Queryable } from './mysql-query.js';
import { mysqlPortable } from './mysql-portable.js';
import * as schema from './schema-mysql.js';
import { StoreUnavailableError, type PortableStore, type StoreStats, type StoredBan } from './store.js';

/*
 * The MySQL/MariaDB store: a mysql2 pool, server-side prepared statements with bound parameters only, InnoDB.
 * A write resolves after its COMMIT returned, so it is as durable as the server makes commits (with the
 * default `innodb_flush_log_at_trx_commit = 1`, flushed to disk). Every error that means "the server cannot
 * be reached" becomes a StoreUnavailableError, which the queueing decorator (queueing.ts) turns into a queued
 * write; any other error rejects as it is.
 */

export interface MysqlStoreOptions {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password: string;
  readonly database: string;
  readonly tablePrefix: string;
  readonly retentionMs?: number;
  /** How long a new connection may take; also how fast an outage is noticed. Default 5 s. */
  readonly connectTimeoutMs?: number;
}

export interface MysqlStoreDeps {
  readonly clock?: Clock;
  readonly hostname?: string;
  readonly log?: Logger;
}

export interface MysqlStore extends PortableStore {
  readonly type: 'mysql';
  /** `user@host:port/database`, as every error message names it (never the password). */
  readonly name: string;
  readonly invalidRows: number;
}

/** `Infinity` as a caller's limit means none. Sent as a string: MySQL 8.0.22+ rejects a numeric LIMIT parameter. */
const limitParam = (n: number): string => String(Number.isFinite(n) ? Math.max(0, Math.trunc(n)) : Number.MAX_SAFE_INTEGER);

/**
 * Connects, checks the credentials, creates or migrates the schema and prunes past retention. Rejects with
 * `Cannot open MySQL store "dictdefence@db.example:3306/dictdefence": Access denied for user …`.
 */
export async function openMysqlStore(options: MysqlStoreOptions, deps: MysqlStoreDeps = {}): Promise<MysqlStore> {
  const name = `${options.user}@${options.host}:${options.port}/${options.database}`;
  if (!schema.SAFE_PREFIX.test(options.tablePrefix)) {
    throw new Error(`Cannot open MySQL store "${name}": table_prefix "${options.tablePrefix}" may only hold letters, digits and "_" (at most 32)`);
  }
  const pool = createPool({
    host: options.host, port: options.port, user: options.user, password: options.password, database: options.database,
    connectionLimit: 4, connectTimeout: options.connectTimeoutMs ?? 5000, enableKeepAlive: true, charset: 'utf8mb4_bin',
  });
  try {
    await migrate(pool, options);
    const store = storeOver(pool, name, options, deps);
    if (options.retentionMs !== undefined) await store.prune((deps.clock ?? realClock).now() - options.retentionMs);
    return store;
  } catch (e) {
    await pool.end().catch(() => {});
    const detail = e instanceof Error ? e.message : String(e);
    throw new Error(`Cannot open MySQL store "${name}": ${detail}`, { cause: e });
  }
}

/** GET_LOCK names are at most 64 characters: long database names are hashed into one. */
const lockName = (o: MysqlStoreOptions): string => {
  const plain = `dictdefence:${o.database}:${o.tablePrefix}`;
  return plain.length <= 64 ? plain : `dictdefence:${createHash('sha1').update(plain).digest('hex')}`;
};

/**
 * Runs the pending migrations under a named server lock, so that of two daemons starting together one
 * migrates and the other waits, then finds the schema current. DDL commits implicitly in MySQL, so a
 * transaction could not protect it; the lock also dies with its connection, so a daemon killed while
 * migrating cannot leave it held.
 */
async function migrate(pool: Pool, o: MysqlStoreOptions): Promise<void> {
  const conn = await pool.getConnection();
  const lock = lockName(o);
  try {
    const [got] = await select<{ got: number | null }>(conn, 'SELECT GET_LOCK(?, 60) AS got', [lock]);
    if (got?.got !== 1) throw new Error(`another process held the schema lock "${lock}" for 60 s`);
    try {
      const current = await schemaVersion(conn, o.tablePrefix);
      const all = schema.migrations(o.tablePrefix);
      if (current > all.length) {
        throw new Error(`schema version ${current} is newer than this version of DictDefence supports (${all.length})`);
      }
      for (let v = current; v < all.length; v++) {
        for (const statement of all[v] ?? []) await conn.query(statement);
        await change(conn, schema.SET_VERSION(o.tablePrefix), [v + 1]);
      }
    } finally {
      await select(conn, 'SELECT RELEASE_LOCK(?) AS released', [lock]).catch(() => {});
    }
  } finally {
    conn.release();
  }
}

/**
 * The version recorded in `PREFIX` + `schema_version`, creating that table (version 0) only when it is
 * missing: a current schema then needs no DDL at all, so the user may lose CREATE and ALTER after the first
 * start (`CREATE TABLE IF NOT EXISTS` would still demand the CREATE privilege).
 */
async function schemaVersion(conn: PoolConnection, prefix: string): Promise<number> {
  try {
    const [row] = await select<{ version: number }>(conn, schema.GET_VERSION(prefix), []);
    return row?.version ?? 0;
  } catch (e) {
    if ((e as { code?: unknown }).code !== 'ER_NO_SUCH_TABLE') throw e;
  }
  await conn.query(schema.VERSION_DDL(prefix));
  return 0;
}

function storeOver(pool: Pool, name: string, options: MysqlStoreOptions, deps: MysqlStoreDeps): MysqlStore {
  const log = deps.log ?? silentLogger;
  const hostname = deps.hostname ?? os.hostname();
  const q = schema.sqlFor(options.tablePrefix);
  let invalidRows = 0;
  let closed = false;

  /**
   * Every call goes through here: a closed store rejects, an unreachable server is named as such, and a call
   * the server chose as a deadlock victim runs again. InnoDB's gap locks make that possible between writers
   * of neighbouring rows (two daemons in a fleet, or parallel calls on the pool), and the server's own advice
   * is to retry; every call is a whole transaction, so running it again is safe.
   */
  const guard = async <T>(fn: () => Promise<T>): Promise<T> => {
    for (let attempt = 1; ; attempt++) {
      if (closed) throw new Error(`The MySQL store "${name}" is closed`);
      try {
        return await fn();
      } catch (e) {
        if (isConnectionError(e)) throw new StoreUnavailableError(`MySQL server of "${name}" is unreachable: ${(e as Error).message}`, { cause: e });
        if (!isLockConflict(e) || attempt >= 5) throw e;
      }
      await new Promise((r) => setTimeout(r, Math.random() * 20 * attempt));
    }
  };

  const inTransaction = async <T>(fn: (c: PoolConnection) => Promise<T>): Promise<T> => {
    const conn = await pool.getConnection();
    let broken = false;
    try {
      await conn.beginTransaction();
      const out = await fn(conn);
      await conn.commit();
      return out;
    } catch (e) {
      broken = isConnectionError(e);
      if (!broken) await conn.rollback().catch(() => { broken = true; });
      throw e;
    } finally {
      // A connection that failed mid-transaction is in an unknown state: never hand it to the next caller.
      if (broken) conn.destroy(); else conn.release();
    }
  };

  const toBan = (row: BanRow): StoredBan | undefined => {
    const address = parseAddress(row.address);
    if (address === undefined) {
      invalidRows++;
      log.warn('Skipped a store row whose address does not parse', { store: name, table: 'bans', id: row.id, address: row.address });
      return undefined;
    }
    return {
      id: Number(row.id), address, jail: row.jail, bannedAt: Number(row.banned_at), until: row.until === null ? null : Number(row.until),
      count: Number(row.count), reason: row.reason, origin: row.origin,
      liftedAt: row.lifted_at === null ? null : Number(row.lifted_at), liftReason: row.lift_reason,
    };
  };
  const toBans = (rows: BanRow[]): StoredBan[] => rows.flatMap((r) => toBan(r) ?? []);

  const activeBan = async (db: Queryable, jail: string, address: Address): Promise<StoredBan | undefined> =>
    toBans(await select<BanRow>(db, q.activeBan, [jail, address]))[0];

  const pruneTable = async (sql: string, before: number): Promise<number> => {
    let total = 0;
    for (;;) {
      const { affectedRows } = await change(pool, sql, [before]);
      total += affectedRows;
      if (affectedRows < 5000) return total;
    }
  };

  return {
    ...mysqlPortable(pool, q, guard, inTransaction, toBans),
    type: 'mysql',
    name,
    get invalidRows() { return invalidRows; },

    addBan: (ban, origin = hostname) => guard(async () => {
      // The unique key on active bans decides between two writers; the loser returns the winner's row.
      for (let attempt = 0; attempt < 3; attempt++) {
        try {
          const { insertId } = await change(pool, q.insertBan, [ban.address, ban.jail, ban.bannedAt, ban.until, ban.count, ban.reason, origin, null, null]);
          return {
            id: Number(insertId), address: ban.address, jail: ban.jail, bannedAt: ban.bannedAt, until: ban.until,
            count: ban.count, reason: ban.reason, origin, liftedAt: null, liftReason: null,
          };
        } catch (e) {
          if ((e as { code?: unknown }).code !== 'ER_DUP_ENTRY') throw e;
        }
        const existing = await activeBan(pool, ban.jail, ban.address);
        if (existing) return existing;
      }
      throw new Error(`Cannot record the ban of ${ban.address} in jail "${ban.jail}": it kept changing under another writer`);
    }),

    liftBan: (jail, address, at, reason) => guard(() => inTransaction(async (c) => {
      const [row] = toBans(await select<BanRow>(c, q.activeBanForUpdate, [jail, address]));
      if (!row) return undefined;
      await change(c, q.liftBan, [at, reason, row.id]);
      return { ...row, liftedAt: at, liftReason: reason };
    })),

    activeBans: () => guard(async () => toBans(await select<BanRow>(pool, q.activeBans, []))),

    banCount: (address, jail, since) => guard(async () => {
      const rows = jail === undefined
        ? await select<{ n: number }>(pool, q.countAllJails, [address, since])
        : await select<{ n: number }>(pool, q.countInJail, [address, jail, since]);
      return Number(rows[0]?.n ?? 0);
    }),

    banHistory: (address, limit) => guard(async () => toBans(await select<BanRow>(pool, q.history, [address, limitParam(limit)]))),

    addHits: (hits, perAddress) => guard(async () => {
      if (hits.length === 0) return;
      const keep = limitParam(perAddress);
      await inTransaction(async (c) => {
        const touched = new Map<string, Hit>();
        for (let i = 0; i < hits.length; i += 100) {
          const slice = hits.slice(i, i + 100);
          await change(c, q.insertHits(slice.length), slice.flatMap((h) => [h.address, h.jail, h.at, h.line, h.rule ?? null]));
          for (const h of slice) touched.set(banKey(h.jail, h.address), h);
        }
        for (const h of touched.values()) await change(c, q.trimHits, [h.address, h.jail, h.address, h.jail, keep]);
      });
    }),

    recentHits: (address, limit) => guard(async () => {
      const rows = await select<{ address: string; jail: string; at: number; line: string; rule: number | null }>(pool, q.recentHits, [address, limitParam(limit)]);
      const out: Hit[] = [];
      for (const row of rows) {
        const parsed = parseAddress(row.address);
        if (parsed === undefined) { invalidRows++; continue; }
        const hit = { address: parsed, jail: row.jail, at: Number(row.at), line: row.line };
        out.push(row.rule === null ? hit : { ...hit, rule: row.rule });
      }
      return out;
    }),

    prune: (before) => guard(async () => (await pruneTable(q.pruneBans, before)) + (await pruneTable(q.pruneHits, before))),

    stats: () => guard(async (): Promise<StoreStats> => {
      const [row] = await select<{ active: number; history: number; hits: number }>(pool, q.stats, []);
      const [size] = await select<{ bytes: number | string }>(pool, q.bytes, schema.TABLES(options.tablePrefix));
      return { activeBans: Number(row?.active ?? 0), historyRows: Number(row?.history ?? 0), hitRows: Number(row?.hits ?? 0), bytes: Number(size?.bytes ?? 0) };
    }),

    getPosition: (key) => guard(async () => {
      const [row] = await select<{ value: string }>(pool, q.getPosition, [key]);
      if (!row) return undefined;
      try {
        const value: unknown = JSON.parse(row.value);
        if (typeof value === 'object' && value !== null && !Array.isArray(value)
          && Object.values(value).every((v) => typeof v === 'string' || typeof v === 'number')) return value as Record<string, string | number>;
      } catch { /* reported below */ }
      log.warn('Ignored a source position that is not a JSON object', { store: name, key });
      return undefined;
    }),

    setPosition: (key, position) => guard(async () => {
      await change(pool, q.setPosition, [key, JSON.stringify(position), (deps.clock ?? realClock).now()]);
    }),

    async close() {
      if (closed) return;
      closed = true;
      await pool.end().catch(() => {});
    },
  };
}
