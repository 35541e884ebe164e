import type { BanConfig } from '../config/types.js';
import type { Ban, Offence } from '../core/types.js';

/** The latest time a `Date` can hold; a later `until` would make every date formatting of the ban throw. */
const MAX_DATE_MS = 8.64e15;

/**
 * Turns an offence into a ban. The n-th ban of an address (n = `previousBans` + 1) lasts
 * `timeMs · factor^(n−1)`, capped at `maxTimeMs`, and is permanent (`until: null`) from the
 * `permanentAfter`-th on when that is above 0. Pure: the caller counts previous bans (in this jail or in
 * all, per `countAllJails`) and persists the result.
 */
export function computeBan(
  offence: Pick<Offence, 'address' | 'jail' | 'at' | 'reason'>,
  previousBans: number,
  cfg: BanConfig,
): Ban {
  const count = previousBans + 1;
  const base = { address: offence.address, jail: offence.jail, bannedAt: offence.at, count, reason: offence.reason };
  if (cfg.permanentAfter > 0 && count >= cfg.permanentAfter) return { ...base, until: null };
  return { ...base, until: Math.min(offence.at + banDurationMs(count, cfg), MAX_DATE_MS) };
}

/** How long the `count`-th ban lasts (1-based), ignoring `permanentAfter`. */
export function banDurationMs(count: number, cfg: BanConfig): number {
  // factor^(count−1) reaches Infinity after ~1000 bans at factor 2, which Math.min caps; a zero base time
  // must stay zero rather than become 0·Infinity = NaN.
  if (cfg.timeMs <= 0) return 0;
  return Math.min(cfg.timeMs * cfg.factor ** (count - 1), cfg.maxTimeMs);
}
