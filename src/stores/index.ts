import type { StoreConfig } from '../config/types.js';
import { err, ok, type Result } from '../core/types.js';
import { createSqliteStore, openSqliteStore, type SqliteStoreDeps } from './sqlite.js';
import type { Store } from './store.js';

export type { Store, StoredBan, StoreStats } from './store.js';
export { createSqliteStore, openSqliteStore } from './sqlite.js';
export type { SqliteStore, SqliteStoreDeps, SqliteStoreOptions } from './sqlite.js';

/** The stores this build can open, by config `type`. */
export const stores = { sqlite: createSqliteStore } as const;

export type StoreType = keyof typeof stores;

/** What every store may use; each takes the slice it needs. */
export type StoreDeps = SqliteStoreDeps;

/**
 * Opens the store a config names. Never rejects: a failure is an error value whose message says what failed
 * and names the file or type, e.g. `Cannot open SQLite store "/path": file is not a database`, or
 * `Store type "mysql" is not available yet` for a type the config knows but this build does not ship.
 */
export async function openStore(config: StoreConfig, deps: StoreDeps = {}): Promise<Result<Store>> {
  try {
    switch (config.type) {
      case 'sqlite':
        return ok(await openSqliteStore({ path: config.path, retentionMs: config.retentionMs }, deps));
      default:
        return err(`Store type "${config.type}" is not available yet`);
    }
  } catch (e) {
    return err(e instanceof Error ? e.message : String(e));
  }
}
