import type { Address } from '../core/address.js';
import type { Ban } from '../core/types.js';

/**
 * The bans in force, by jail and address. Jails ask `isBanned` for every line they match (lines still in
 * flight after a ban), and a restore sets 100,000 at once, so no lookup builds a key string: a map of
 * addresses per jail, whose interned address strings hash once.
 */
export interface ActiveBans {
  get(jail: string, address: Address): Ban | undefined;
  isBanned(jail: string, address: Address): boolean;
  set(ban: Ban): void;
  delete(jail: string, address: Address): void;
  values(): IterableIterator<Ban>;
}

export function createActiveBans(): ActiveBans {
  const byJail = new Map<string, Map<Address, Ban>>();
  return {
    get: (jail, address) => byJail.get(jail)?.get(address),
    isBanned: (jail, address) => byJail.get(jail)?.has(address) === true,
    set(ban) {
      let bans = byJail.get(ban.jail);
      if (bans === undefined) byJail.set(ban.jail, (bans = new Map()));
      bans.set(ban.address, ban);
    },
    delete(jail, address) {
      const bans = byJail.get(jail);
      if (bans === undefined) return;
      bans.delete(address);
      if (bans.size === 0) byJail.delete(jail);
    },
    *values() {
      for (const bans of byJail.values()) yield* bans.values();
    },
  };
}
