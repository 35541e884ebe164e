import { Checker, checkSpec, type Spec } from './check.js';
import type { Raw } from './raw.js';
import type { BanConfig, TrackerConfig } from './types.js';
import { DEFAULTS } from './defaults.js';

const windowSpec = {
  type: { type: 'string', oneOf: ['window', 'ema'] },
  max_failures: { type: 'int', min: 1, max: 1_000_000 },
  period: { type: 'duration' },
  max_entries: { type: 'int', min: 100, max: 100_000_000 },
} as const satisfies Spec;
const emaSpec = {
  type: { type: 'string', oneOf: ['window', 'ema'] },
  rate: { type: 'string' },
  alpha: { type: 'number', min: 0.001, max: 1 },
  min_failures: { type: 'int', min: 1, max: 1_000_000 },
  expire: { type: 'duration' },
  max_entries: { type: 'int', min: 100, max: 100_000_000 },
} as const satisfies Spec;

/** `0.2/s`, `12/m`, `100/h`, or a bare number of failures per second. */
export function parseRate(text: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(?:\/\s*(s|m|h))?\s*$/.exec(text);
  if (!m) return undefined;
  const per = { s: 1, m: 60, h: 3600 }[(m[2] ?? 's') as 's' | 'm' | 'h'];
  const rate = Number(m[1]) / per;
  return rate > 0 ? rate : undefined;
}

/** A jail's tracker: keys it leaves out come from `defaults.tracker` when the type is the same. */
export function parseTracker(c: Checker, node: Raw | undefined, path: string, base: TrackerConfig): TrackerConfig {
  if (!node) return base;
  const typeNode = node.kind === 'map' ? node.entries.get('type')?.node : undefined;
  const type = typeNode?.kind === 'scalar' ? String(typeNode.value) : base.type;
  if (type === 'ema') {
    const o = checkSpec(c, node, path, emaSpec);
    const b = base.type === 'ema' ? base : { ...DEFAULTS.ema, maxEntries: base.maxEntries };
    let rate = b.rate;
    if (o?.rate !== undefined) {
      const r = parseRate(o.rate);
      if (r === undefined) c.error(node, `${path}.rate`, `invalid rate "${o.rate}": use failures per time such as 0.2/s, 12/m or 100/h`);
      else rate = r;
    }
    return {
      type: 'ema', rate, alpha: o?.alpha ?? b.alpha, minFailures: o?.min_failures ?? b.minFailures,
      expireMs: o?.expire ?? b.expireMs, maxEntries: o?.max_entries ?? b.maxEntries,
    };
  }
  const o = checkSpec(c, node, path, windowSpec);
  const b = base.type === 'window' ? base : DEFAULTS.tracker;
  return {
    type: 'window', maxFailures: o?.max_failures ?? b.maxFailures, periodMs: o?.period ?? b.periodMs,
    maxEntries: o?.max_entries ?? b.maxEntries,
  };
}

export function parseBan(c: Checker, node: Raw | undefined, path: string, base: BanConfig): BanConfig {
  if (!node) return base;
  const o = checkSpec(c, node, path, {
    time: { type: 'duration' }, factor: { type: 'number', min: 1, max: 1000 }, max_time: { type: 'duration' },
    permanent_after: { type: 'int', min: 0, max: 1000 }, count_all_jails: { type: 'bool' },
  });
  const ban: BanConfig = {
    timeMs: o?.time ?? base.timeMs, factor: o?.factor ?? base.factor, maxTimeMs: o?.max_time ?? base.maxTimeMs,
    permanentAfter: o?.permanent_after ?? base.permanentAfter, countAllJails: o?.count_all_jails ?? base.countAllJails,
  };
  if (ban.maxTimeMs < ban.timeMs && o?.max_time !== undefined) c.error(node, `${path}.max_time`, 'must not be shorter than "time"');
  return ban;
}
