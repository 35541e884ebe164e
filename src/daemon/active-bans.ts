import type { Address } from '../core/address.js';
import { banKey, type Ban } from '../core/types.js';

/**
 * The bans in force, by jail and address. Jails ask `isBanned` for every line they match (lines still in
 * flight after a ban), so that lookup builds no key string: a set of addresses per jail, whose interned
 * address strings hash once.
 */
export interface ActiveBans {
  get(jail: string, address: Address): Ban | undefined;
  isBanned(jail: string, address: Address): boolean;
  set(ban: Ban): void;
  delete(jail: string, address: Address): void;
  values(): IterableIterator<Ban>;
}

export function createActiveBans(): ActiveBans {
  const bans = new Map<string, Ban>();
  const byJail = new Map<string, Set<Address>>();
  return {
    get: (jail, address) => bans.get(banKey(jail, address)),
    isBanned: (jail, address) => byJail.get(jail)?.has(address) === true,
    set(ban) {
      bans.set(banKey(ban.jail, ban.address), ban);
      let set = byJail.get(ban.jail);
      if (set === undefined) byJail.set(ban.jail, (set = new Set()));
      set.add(ban.address);
    },
    delete(jail, address) {
      bans.delete(banKey(jail, address));
      byJail.get(jail)?.delete(address);
    },
    values: () => bans.values(),
  };
}
