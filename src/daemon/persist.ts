import type { Address } from '../core/address.js';
import type { Logger } from '../core/log.js';
import type { Ban } from '../core/types.js';
import type { Store } from '../stores/store.js';

/**
 * The daemon's one way to the store: a failed write or read is logged and counted, never thrown, so that a
 * dead database costs records, not bans (the firewall is still called).
 */
export interface StoreGate {
  /** `fn`'s result, or undefined when it failed (logged as "Cannot WHAT in the TYPE store"). */
  persist<T>(what: string, fn: () => Promise<T>): Promise<T | undefined>;
  /**
   * The ban counted and recorded before this turn of the event loop ends, where the store can (see
   * Store.recordBanNow): a line → ban path with no wait for the rest of the turn (the rest of the batch, the
   * file's stat). Undefined: the caller takes the asynchronous way (a store that cannot, or failed here).
   */
  recordNow(address: Address, jail: string, countIn: string | undefined, since: number, make: (previous: number) => Ban): Ban | undefined;
}

export function createStoreGate(store: Store, origin: string, log: Logger, counters: { storeErrors: number }): StoreGate {
  const failed = (what: string, e: unknown): undefined => {
    counters.storeErrors++;
    log.error(`Cannot ${what} in the ${store.type} store: ${(e as Error).message}`);
    return undefined;
  };
  return {
    async persist(what, fn) {
      try { return await fn(); } catch (e) { return failed(what, e); }
    },
    recordNow(address, jail, countIn, since, make) {
      if (store.recordBanNow === undefined) return undefined;
      try { return store.recordBanNow(address, jail, countIn, since, make, origin); } catch (e) { return failed('record the ban', e); }
    },
  };
}
