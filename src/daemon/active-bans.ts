import { parseIPv4Span, type Address } from '../core/address.js';
import { createIPv4Set, type IPv4Set } from '../core/ipv4-set.js';
import type { Ban } from '../core/types.js';

/**
 * The bans in force, by jail and address. Jails ask `isBanned` for every line they match (lines still in
 * flight after a ban), and a restore sets 100,000 at once, so no lookup builds a key string: a map of
 * addresses per jail, whose interned address strings hash once. The IPv4 ones are also kept by value, for a
 * jail whose filter reads the address as a number (`of`).
 */
export interface ActiveBans {
  get(jail: string, address: Address): Ban | undefined;
  isBanned(jail: string, address: Address): boolean;
  /**
   * `isBanned` bound to one jail's bans, by text and (IPv4) by 32-bit value: valid for as long as this object
   * lives, so a jail keeps it across bans, unbans and reloads.
   */
  of(jail: string): JailBans;
  set(ban: Ban): void;
  delete(jail: string, address: Address): void;
  /** How many times `set` and `delete` were called: the same number later means nothing changed meanwhile. */
  changes(): number;
  values(): IterableIterator<Ban>;
}

export interface JailBans {
  isBanned(address: Address): boolean;
  isBannedIPv4(v4: number): boolean;
}

interface Entry {
  readonly bans: Map<Address, Ban>;
  readonly v4: IPv4Set;
  readonly view: JailBans;
}

export function createActiveBans(): ActiveBans {
  // A jail's entry stays when its last ban goes, as the view `of` gave out reads it: a few per jail name.
  const byJail = new Map<string, Entry>();
  const entry = (jail: string): Entry => {
    let j = byJail.get(jail);
    if (j === undefined) {
      const bans = new Map<Address, Ban>(), v4 = createIPv4Set();
      j = { bans, v4, view: { isBanned: (a) => bans.has(a), isBannedIPv4: (v) => v4.has(v) } };
      byJail.set(jail, j);
    }
    return j;
  };
  const v4Of = (address: Address): number => parseIPv4Span(address, 0, address.length);
  let changes = 0;
  return {
    get: (jail, address) => byJail.get(jail)?.bans.get(address),
    isBanned: (jail, address) => byJail.get(jail)?.bans.has(address) === true,
    of: (jail) => entry(jail).view,
    set(ban) {
      changes++;
      const j = entry(ban.jail);
      j.bans.set(ban.address, ban);
      const v = v4Of(ban.address);
      if (v >= 0) j.v4.add(v);
    },
    delete(jail, address) {
      changes++;
      const j = byJail.get(jail);
      if (j === undefined || !j.bans.delete(address)) return;
      const v = v4Of(address);
      if (v >= 0) j.v4.delete(v);
    },
    changes: () => changes,
    *values() {
      for (const j of byJail.values()) yield* j.bans.values();
    },
  };
}
