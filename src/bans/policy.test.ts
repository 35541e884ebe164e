import { describe, expect, it } from 'vitest';
import { parseAddress, type Address } from '../core/address.js';
import type { BanConfig } from '../config/types.js';
import { banDurationMs, computeBan } from './policy.js';

const H = 3_600_000;
const WEEK = 168 * H;
const offence = { address: parseAddress('192.0.2.9') as Address, jail: 'sshd', at: 1_000_000, reason: '5 failures in 10m' };
const cfg = (o: Partial<BanConfig> = {}): BanConfig =>
  ({ timeMs: H, factor: 2, maxTimeMs: WEEK, permanentAfter: 0, countAllJails: false, ...o });

describe('computeBan', () => {
  it('bans a first offender for the base time', () => {
    expect(computeBan(offence, 0, cfg())).toEqual({
      address: offence.address, jail: 'sshd', bannedAt: 1_000_000, until: 1_000_000 + H, count: 1,
      reason: '5 failures in 10m',
    });
  });

  it('doubles each repeat ban, 1h 2h 4h 8h…, until the cap of a week', () => {
    const lengths = Array.from({ length: 10 }, (_, previous) => {
      const ban = computeBan(offence, previous, cfg());
      return ((ban.until ?? NaN) - ban.bannedAt) / H;
    });
    expect(lengths).toEqual([1, 2, 4, 8, 16, 32, 64, 128, 168, 168]);
  });

  it('numbers the ban one past the previous ones', () => {
    expect(computeBan(offence, 6, cfg()).count).toBe(7);
  });

  it('keeps every ban the same length when the factor is 1', () => {
    expect([0, 1, 5].map((n) => banDurationMs(n + 1, cfg({ factor: 1 })))).toEqual([H, H, H]);
  });

  it('makes the ban permanent from the permanentAfter-th on', () => {
    const c = cfg({ permanentAfter: 3 });
    expect(computeBan(offence, 1, c).until).not.toBeNull();
    expect(computeBan(offence, 2, c)).toMatchObject({ until: null, count: 3 });
    expect(computeBan(offence, 9, c)).toMatchObject({ until: null, count: 10 });
  });

  it('makes the first ban permanent when permanentAfter is 1', () => {
    expect(computeBan(offence, 0, cfg({ permanentAfter: 1 })).until).toBeNull();
  });

  it('never makes a ban permanent when permanentAfter is 0', () => {
    expect(computeBan(offence, 10_000, cfg()).until).toBe(offence.at + WEEK);
  });

  it('caps a factor that overflows to Infinity instead of producing Infinity or NaN', () => {
    expect(banDurationMs(5000, cfg())).toBe(WEEK);
    expect(banDurationMs(5000, cfg({ factor: 1e300 }))).toBe(WEEK);
    expect(banDurationMs(5000, cfg({ timeMs: 0 }))).toBe(0);
  });

  it('keeps until within what a Date can hold when the cap is absurdly large', () => {
    const ban = computeBan(offence, 2000, cfg({ maxTimeMs: Number.MAX_VALUE }));
    expect(ban.until).toBe(8.64e15);
    expect(() => new Date(ban.until ?? 0).toISOString()).not.toThrow();
  });
});
