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
}

/**
 * Durable state. Bans (active, history for escalation, permanent), recent hits per address (bounded),
 * source positions, and a schema version with migrations. The daemon persists a ban here *before* any action
 * runs. Methods resolve once the write is durable; they reject only on store failure (the daemon's one catch
 * site handles that). One contract suite (`store.contract.ts`) runs against every implementation.
 */
export interface Store extends PositionStore {
  readonly type: string;
  /** Records a new active ban (and its history row). Returns the stored row. */
  addBan(ban: Ban, origin?: string): Promise<StoredBan>;
  /** Marks the active ban of `address` in `jail` lifted; a no-op when there is none. Returns it if any. */
  liftBan(jail: string, address: Address, at: number, reason: string): Promise<StoredBan | undefined>;
  /** Every active ban, permanent ones included (expired-but-not-lifted ones too: the caller lifts them). */
  activeBans(): Promise<StoredBan[]>;
  /** How many bans `address` had in `jail` (all jails when `jail` is undefined) since `since` (ms). */
  banCount(address: Address, jail: string | undefined, since: number): Promise<number>;
  /** Every ban row of an address, newest first, bounded by `limit`. */
  banHistory(address: Address, limit: number): Promise<StoredBan[]>;
  /** Keeps at most `perAddress` most recent hits of each address and jail. */
  addHits(hits: readonly Hit[], perAddress: number): Promise<void>;
  recentHits(address: Address, limit: number): Promise<Hit[]>;
  /** Deletes lifted bans and hits older than `before` (ms). Active and permanent bans are kept. */
  prune(before: number): Promise<number>;
  stats(): Promise<StoreStats>;
  close(): Promise<void>;
}
