import type { TrackerConfig } from '../config/types.js';
import type { Hit } from '../core/types.js';

/**
 * The lines of the last window that led to a ban, as the old tool mailed them: a jail keeps up to
 * `hits_per_address` recent lines per address, some of them older than the tracker's window (they counted
 * towards nothing). For `window` that is the period before the last hit; for `ema`, the run of hits since
 * the last pause long enough to make the tracker forget the address.
 */
export function lastWindow(hits: readonly Hit[], tracker: TrackerConfig): readonly Hit[] {
  const last = hits[hits.length - 1];
  if (!last) return hits;
  if (tracker.type === 'window') return hits.filter((h) => h.at > last.at - tracker.periodMs);
  let start = hits.length - 1;
  while (start > 0 && (hits[start] as Hit).at - (hits[start - 1] as Hit).at < tracker.expireMs) start--;
  return hits.slice(start);
}
