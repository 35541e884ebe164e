import type { StoreConfig } from '../config/types.js';
import { realClock, type Clock } from '../core/clock.js';
import { silentLogger, type Logger } from '../core/log.js';
import { err, ok, type Result } from '../core/types.js';
import { openFileStore } from './file.js';
import { createQueueingStore, type QueueingOptions } from './queueing.js';
import { isDamaged, moveAside } from './recover.js';
import { openSqliteStore } from './sqlite.js';
import type { PortableStore } from './store.js';

export type { ImportResult, PortableBan, PortableStore, Store, StoredBan, StoreStats } from './store.js';
export { StoreUnavailableError } from './store.js';
export { createSqliteStore, openSqliteStore } from './sqlite.js';
export type { SqliteStore, SqliteStoreDeps, SqliteStoreOptions } from './sqlite.js';
export { openFileStore } from './file.js';
export type { FileStore, FileStoreOptions } from './file.js';
export type { MysqlStore, MysqlStoreOptions } from './mysql.js';
export { createQueueingStore } from './queueing.js';
export type { QueueingOptions, QueueingStore } from './queueing.js';

/** What every store may use; each takes the slice it needs. */
export interface StoreDeps {
  readonly clock?: Clock;
  /** Origin of bans added without one; `os.hostname()` by default. */
  readonly hostname?: string;
  readonly log?: Logger;
  /** `run --recover`: move a damaged SQLite or file store aside and start with an empty one. */
  readonly recover?: boolean;
  /** Read without locking or writing (`store export` of the file store while the daemon runs). */
  readonly readOnly?: boolean;
  /** Options of the outage queue of network stores, or `false` for none (the CLI wants errors at once). */
  readonly queue?: QueueingOptions | false;
}

type ConfigOf<K extends StoreConfig['type']> = Extract<StoreConfig, { readonly type: K }>;

/** The stores this build can open, by config `type`. */
export const stores = {
  sqlite: (c: ConfigOf<'sqlite'>, deps: StoreDeps) => openSqliteStore({ path: c.path, retentionMs: c.retentionMs }, deps),
  file: (c: ConfigOf<'file'>, deps: StoreDeps) =>
    openFileStore({ path: c.path, retentionMs: deps.readOnly ? undefined : c.retentionMs, readOnly: deps.readOnly }, deps),
  // Loaded only when configured: mysql2 alone adds ~17 MB to every daemon that does not use it.
  mysql: async (c: ConfigOf<'mysql'>, deps: StoreDeps) => (await import('./mysql.js')).openMysqlStore({
    host: c.host, port: c.port, user: c.user, password: c.password, database: c.database, tablePrefix: c.tablePrefix,
    retentionMs: c.retentionMs,
  }, deps),
} as const;

export type StoreType = keyof typeof stores;

/** Stores behind a network: the daemon must keep banning while their server is away (queueing.ts). */
const NETWORK: ReadonlySet<StoreConfig['type']> = new Set(['mysql', 'postgres']);

/** The files of a store that `--recover` moves aside: the file itself and what belongs to it. */
const FILES: Partial<Record<StoreConfig['type'], readonly string[]>> = { sqlite: ['-wal', '-shm'], file: ['.tmp'] };

function openPlain(config: StoreConfig, deps: StoreDeps): Promise<PortableStore> {
  switch (config.type) {
    case 'sqlite': return stores.sqlite(config, deps);
    case 'file': return stores.file(config, deps);
    case 'mysql': return stores.mysql(config, deps);
    default: throw new Error(`Store type "${config.type}" is not available yet`);
  }
}

/**
 * Opens the store a config names. Never rejects: a failure is an error value whose message says what failed
 * and names the file or server, e.g. `Cannot open SQLite store "/path": file is not a database (…)`, or
 * `Store type "postgres" is not available yet` for a type the config knows but this build does not ship.
 * A network store comes wrapped in the outage queue unless `deps.queue` is `false`.
 */
export async function openStore(config: StoreConfig, deps: StoreDeps = {}): Promise<Result<PortableStore>> {
  const log = deps.log ?? silentLogger;
  let store: PortableStore;
  try {
    store = await openPlain(config, deps);
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    const files = FILES[config.type];
    if (!isDamaged(e) || files === undefined || !('path' in config)) return err(message);
    if (!deps.recover) return err(`${message} (start with "dictdefence run --recover" to move it aside and begin with an empty store)`);
    try {
      const moved = moveAside(config.path, files, (deps.clock ?? realClock).now());
      log.warn(`Moved the damaged store "${config.path}" aside to "${moved}"; starting with an empty store. Bans already in the firewall stay there, but this daemon no longer knows them: they are neither restored nor lifted by it`);
      store = await openPlain(config, deps);
    } catch (again) {
      return err(again instanceof Error ? again.message : String(again));
    }
  }
  if (!NETWORK.has(config.type) || deps.queue === false) return ok(store);
  return ok(createQueueingStore(store, { log, ...(deps.clock ? { clock: deps.clock } : {}), ...(deps.queue ?? {}) }));
}

/**
 * `dictdefence run --recover`: opens the store once before the daemon does and, when its file is damaged
 * (SQLite corruption, a file store that is not a journal), moves it aside to `FILE.corrupt-STAMP` and leaves an
 * empty store in its place. A healthy store is left alone; any other failure is returned as it is.
 */
export async function recoverStore(config: StoreConfig, deps: StoreDeps = {}): Promise<Result<void>> {
  const opened = await openStore(config, { ...deps, recover: true, queue: false });
  if (!opened.ok) return opened;
  await opened.value.close();
  return ok(undefined);
}
