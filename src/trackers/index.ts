import type { Clock } from '../core/clock.js';
import type { TrackerConfig } from '../config/types.js';
import type { Tracker } from './tracker.js';
import { createEmaTracker } from './ema.js';
import { createWindowTracker } from './window.js';

/** What a tracker may use besides its options. Hits carry their own time, so today neither tracker reads it. */
export interface TrackerDeps {
  readonly clock: Clock;
}

/** The tracker plug-ins; a jail's `tracker.type` is one of these keys. */
export const trackers = {
  window: createWindowTracker,
  ema: createEmaTracker,
} as const;

export type TrackerType = keyof typeof trackers;

/** Builds the tracker a jail's validated config names. Throws `RangeError` only on options the loader should have refused. */
export function createTracker(cfg: TrackerConfig, deps: TrackerDeps): Tracker {
  switch (cfg.type) {
    case 'window': return trackers.window(cfg, deps);
    case 'ema': return trackers.ema(cfg, deps);
  }
}
