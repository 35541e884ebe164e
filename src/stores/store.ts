import type { Address } from '../core/address.js';
import type { Ban, Hit } from '../core/types.js';
import type { PositionStore } from '../sources/source.js';

/** A ban as the store keeps it: the ban plus its row id and how it ended, if it has. */
export interface StoredBan extends Ban {
  readonly id: number;
  /** When the ban was lifted (ms), or `null` while it is active. */
  readonly liftedAt: number | null;
  readonly liftReason: string | null;
  /** Host that made the ban (fleet mode); the local hostname by default. */
  readonly origin: string;
}

export interface StoreStats {
  readonly activeBans: number;
  readonly historyRows: number;
  readonly hitRows: number;
  readonly bytes?: number;
  /** Writes waiting for an unreachable store (network stores only, see `queueing.ts`). */
  readonly queuedWrites?: number;
  /** Writes refused because that queue was full, since start. */
  readonly droppedWrites?: number;
}

/** A ban row as `store export` writes it and `store import` reads it: a stored ban without its store-local id. */
export type PortableBan = Omit<StoredBan, 'id'>;

/** What an import did with each row; the sum is the number of rows given. */
export interface ImportResult {
  /** Rows new to this store. */
  readonly added: number;
  /** Rows this store held as active and the import says were lifted since: now lifted here too. */
  readonly lifted: number;
  /**
   * Rows already present (same jail, address and `bannedAt`), or active rows for a jail and address that
   * already has another active ban here (the store keeps one active ban per jail and address).
   */
  readonly skipped: number;
}

/**
 * The store was unreachable (a network store whose server is down, restarting or cut off). The write may or
 * may not have happened; repeating it is safe: `addBan` and `liftBan` are idempotent per active jail and
 * address, `setPosition` overwrites, and a store that rejects with this error also ignores a repeated hit.
 * The queueing decorator catches exactly this class; every other rejection is a real failure.
 */
export class StoreUnavailableError extends Error {
  override readonly name = 'StoreUnavailableError';
}

/**
 * Durable state. Bans (active, history for escalation, permanent), recent hits per address (bounded),
 * source positions, and a schema version with migrations. The daemon persists a ban here *before* any action
 * runs. Methods resolve once the write survives the daemon's death, and once it survives a power cut too
 * unless the store has {@link Store.durable}; they reject only on store failure (the daemon's one catch
 * site handles that), never throw synchronously, and never crash the process (a full disk is a rejection).
 * Exception: a network store is wrapped in the queueing decorator (`queueing.ts`), whose writes resolve once
 * they are queued in memory while the server is unreachable. One contract suite (`store.contract.ts`) runs
 * against every implementation.
 */
export interface Store extends PositionStore {
  readonly type: string;
  /**
   * Records a new active ban (and its history row). Returns the stored row. Idempotent: when `jail` and
   * `address` already have an active ban, returns that one unchanged and writes nothing.
   */
  addBan(ban: Ban, origin?: string): Promise<StoredBan>;
  /** Marks the active ban of `address` in `jail` lifted; a no-op when there is none. Returns it if any. */
  liftBan(jail: string, address: Address, at: number, reason: string): Promise<StoredBan | undefined>;
  /** Every active ban, permanent ones included (expired-but-not-lifted ones too: the caller lifts them). */
  activeBans(): Promise<StoredBan[]>;
  /** How many bans `address` had in `jail` (all jails when `jail` is undefined) since `since` (ms). */
  banCount(address: Address, jail: string | undefined, since: number): Promise<number>;
  /**
   * `banCount` then `addBan` in one synchronous transaction, for a store that can (SQLite): the ban that
   * `make` returns for the number of earlier bans (in `countIn`, all jails when undefined, since `since`) is
   * recorded before the caller's turn of the event loop ends, so the daemon bans without waiting for the rest
   * of that turn. Returns the ban recorded, or the active one of `jail` and `address` already there (written
   * nothing then). Throws where `addBan` would reject.
   */
  recordBanNow?(address: Address, jail: string, countIn: string | undefined, since: number, make: (previous: number) => Ban, origin?: string): Ban;
  /** Every ban row of an address, newest first, bounded by `limit`. */
  banHistory(address: Address, limit: number): Promise<StoredBan[]>;
  /** Keeps at most `perAddress` most recent hits of each address and jail. */
  addHits(hits: readonly Hit[], perAddress: number): Promise<void>;
  recentHits(address: Address, limit: number): Promise<Hit[]>;
  /** Deletes lifted bans and hits older than `before` (ms). Active and permanent bans are kept. */
  prune(before: number): Promise<number>;
  stats(): Promise<StoreStats>;
  /**
   * Resolves once every write that resolved before the call survives a power cut as well. Only for a store
   * whose writes resolve earlier than that (SQLite: committed to the WAL in the page cache; the flush runs on
   * the thread pool while the daemon spawns the action). Absent: every write is durable when it resolves.
   */
  durable?(): Promise<void>;
  /** Idempotent. Pending writes are finished or reported first; later calls reject. */
  close(): Promise<void>;
}

/**
 * A store whose whole ban history can be moved to another store (`dictdefence store export | import`). Every
 * store in this folder is one; the daemon needs only {@link Store}.
 */
export interface PortableStore extends Store {
  /** Every ban row, active and lifted, in the order they were stored, read in pages (memory stays flat). */
  exportBans(): AsyncIterable<StoredBan>;
  /**
   * Adds exported rows as they are (lifted or active, their own origin). Idempotent: importing the same file
   * twice adds nothing the second time. Durable when it resolves.
   */
  importBans(rows: readonly PortableBan[]): Promise<ImportResult>;
}
