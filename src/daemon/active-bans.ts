import { parseIPv4Span, type Address } from '../core/address.js';
import { createIPv4Set, type IPv4Set } from '../core/ipv4-set.js';
import type { Ban } from '../core/types.js';

/**
 * The bans in force, by jail and address. Jails ask `isBanned` for every line they match (lines still in
 * flight after a ban), and a restore sets 100,000 at once, so no lookup builds a key string: a map of
 * addresses per jail, whose interned address strings hash once. The IPv4 ones are also kept by value, for a
 * jail whose filter reads the address as a number (`bannedIPv4`).
 */
export interface ActiveBans {
  get(jail: string, address: Address): Ban | undefined;
  isBanned(jail: string, address: Address): boolean;
  /**
   * `isBanned` for the IPv4 addresses of `jail`, by their 32-bit value: a function bound to the jail's bans,
   * valid for as long as this object lives (a jail keeps it across bans, unbans and reloads).
   */
  bannedIPv4(jail: string): (v4: number) => boolean;
  set(ban: Ban): void;
  delete(jail: string, address: Address): void;
  values(): IterableIterator<Ban>;
}

interface JailBans {
  readonly bans: Map<Address, Ban>;
  readonly v4: IPv4Set;
}

export function createActiveBans(): ActiveBans {
  // A jail's entry stays when its last ban goes, as the function `bannedIPv4` gave out reads it: a few per jail name.
  const byJail = new Map<string, JailBans>();
  const of = (jail: string): JailBans => {
    let j = byJail.get(jail);
    if (j === undefined) byJail.set(jail, (j = { bans: new Map(), v4: createIPv4Set() }));
    return j;
  };
  const v4Of = (address: Address): number => parseIPv4Span(address, 0, address.length);
  return {
    get: (jail, address) => byJail.get(jail)?.bans.get(address),
    isBanned: (jail, address) => byJail.get(jail)?.bans.has(address) === true,
    bannedIPv4(jail) {
      const { v4 } = of(jail);
      return (value) => v4.has(value);
    },
    set(ban) {
      const j = of(ban.jail);
      j.bans.set(ban.address, ban);
      const v = v4Of(ban.address);
      if (v >= 0) j.v4.add(v);
    },
    delete(jail, address) {
      const j = byJail.get(jail);
      if (j === undefined || !j.bans.delete(address)) return;
      const v = v4Of(address);
      if (v >= 0) j.v4.delete(v);
    },
    *values() {
      for (const j of byJail.values()) yield* j.bans.values();
    },
  };
}
