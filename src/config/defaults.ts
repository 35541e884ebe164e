import type { BanConfig, TrackerConfig } from './types.js';

/** Every default in one place; docs/configuration.md lists the same values. */
export const DEFAULTS = {
  stateDir: '/var/lib/dictdefence',
  pidfile: '/run/dictdefence.pid',
  controlSocket: '/run/dictdefence/control.sock',
  storeFile: 'state.db',
  retentionMs: 30 * 86_400_000,
  maxLineLength: 8192,
  hitsPerAddress: 20,
  whitelistSelf: true,
  whitelist: ['127.0.0.0/8', '::1'],
  tracker: { type: 'window', maxFailures: 5, periodMs: 600_000, maxEntries: 1_000_000 } satisfies TrackerConfig,
  ema: { rate: 0.2, alpha: 0.3, minFailures: 3, expireMs: 600_000 },
  ban: { timeMs: 3_600_000, factor: 2, maxTimeMs: 7 * 86_400_000, permanentAfter: 0, countAllJails: false } satisfies BanConfig,
} as const;
