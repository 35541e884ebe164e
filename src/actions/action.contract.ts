import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseAddress, type Address } from '../core/address.js';
import { realClock } from '../core/clock.js';
import { silentLogger } from '../core/log.js';
import type { Ban } from '../core/types.js';
import { createNetns, deleteAll, deleteNetns, firewallUnavailable, hostFirewallFingerprint } from '../../test/netns.js';
import type { Action, ActionDeps, ActionResult } from './action.js';

/**
 * What a firewall action's test file hands the contract. Everything runs inside a fresh network namespace
 * per test, and the kernel state is read by hand (not through the action under test).
 */
export interface ActionHarness {
  /** Tools the backend needs; missing ones skip the suite outside CI and fail it under CI=true. */
  readonly binaries: readonly string[];
  /** True when bans carry kernel timeouts (nftables, ipset): a timed ban then vanishes by itself. */
  readonly kernelTimeouts: boolean;
  /** An action whose commands run inside `netns`, built with the contract's {@link deps}. */
  create(netns: string, options?: { readonly removeOnStop?: boolean }): Action;
  /** The addresses the kernel blocks for this action, as the administrator would list them. */
  banned(netns: string): Promise<string[]>;
  /**
   * The action's scaffolding (tables, chains, rules, set headers) without the bans, to compare across
   * restarts; '' when absent. Null route has none: it omits this and the scaffolding checks are skipped.
   */
  scaffold?(netns: string): Promise<string>;
  /** Removes the bans (and the rules that enforce them) behind the action's back, as a careless administrator would. */
  tamper(netns: string): Promise<void>;
}

export const deps: ActionDeps = { log: silentLogger, clock: realClock };

const addr = (text: string): Address => {
  const a = parseAddress(text);
  if (!a) throw new Error(`Test address "${text}" does not parse`);
  return a;
};

/** A ban of `text` for `seconds` from now, or permanent when `seconds` is null. */
export function banOf(text: string, seconds: number | null = 3600): Ban {
  const now = Date.now();
  return { address: addr(text), jail: 'sshd', bannedAt: now, until: seconds === null ? null : now + seconds * 1000, count: 1, reason: 'test' };
}

export function expectOk(r: ActionResult): void {
  if (!r.ok) throw new Error(`Expected success, got: ${r.error}`);
}

/** Every Linux firewall action implements the optional `verify`; the contract insists on it. */
function verify(action: Action, expected: readonly Ban[]): Promise<readonly Ban[]> {
  if (!action.verify) throw new Error(`Action "${action.name}" has no verify()`);
  return action.verify(expected);
}

const sorted = (xs: Iterable<string>): string[] => [...xs].sort();
const V4 = '192.0.2.10', V4B = '198.51.100.7', V6 = '2001:db8::10', V6B = '2001:db8:0:1::7';

/** 500 IPv4 and 500 IPv6 addresses from the benchmarking and documentation ranges. */
const thousand = (): Ban[] => Array.from({ length: 1000 }, (_, i) =>
  banOf(i % 2 === 0 ? `198.18.${i >> 8}.${i & 255}` : `2001:db8:1::${i.toString(16)}`));

export function describeActionContract(name: string, harness: ActionHarness): void {
  const scaffold = async (ns: string): Promise<string> => (harness.scaffold ? harness.scaffold(ns) : '');
  describe(`${name} action contract (real rules in a network namespace)`, () => {
    let skip = false;
    let hostBefore = '';
    let ns = '';
    let action: Action;

    beforeAll(async () => {
      skip = await firewallUnavailable(harness.binaries);
      if (!skip) hostBefore = await hostFirewallFingerprint();
    });
    afterAll(async () => {
      await deleteAll();
      if (!skip) expect(await hostFirewallFingerprint(), 'the host firewall must not change').toBe(hostBefore);
    });
    beforeEach(async (ctx) => {
      if (skip) { ctx.skip(); return; }
      ns = await createNetns();
      action = harness.create(ns);
      expectOk(await action.init());
    });
    afterEach(async () => { if (ns) await deleteNetns(ns); ns = ''; });

    it('init creates its scaffolding with no bans, and a second init changes nothing', async () => {
      const first = await scaffold(ns);
      if (harness.scaffold) expect(first).not.toBe('');
      expect(await harness.banned(ns)).toEqual([]);
      expectOk(await action.init());
      expect(await scaffold(ns)).toBe(first);
    });

    it('ban blocks IPv4 and IPv6 addresses', async () => {
      expectOk(await action.ban([banOf(V4), banOf(V6)]));
      expect(sorted(await harness.banned(ns))).toEqual(sorted([V4, V6]));
    });

    it('banning an address that is already banned succeeds and keeps one entry', async () => {
      expectOk(await action.ban([banOf(V4), banOf(V6)]));
      expectOk(await action.ban([banOf(V4, 7200), banOf(V6, null), banOf(V4B)]));
      expect(sorted(await harness.banned(ns))).toEqual(sorted([V4, V4B, V6]));
    });

    it('unban removes only the given addresses, and unbanning an absent address succeeds', async () => {
      expectOk(await action.ban([banOf(V4), banOf(V4B), banOf(V6), banOf(V6B)]));
      expectOk(await action.unban([banOf(V4), banOf(V6)]));
      expect(sorted(await harness.banned(ns))).toEqual(sorted([V4B, V6B]));
      expectOk(await action.unban([banOf(V4), banOf(V6), banOf('203.0.113.99')]));
      expect(sorted(await harness.banned(ns))).toEqual(sorted([V4B, V6B]));
    });

    it('applies 1,000 bans in one call and lifts them in one call', async () => {
      const bans = thousand();
      expectOk(await action.ban(bans));
      expect(sorted(await harness.banned(ns))).toEqual(sorted(bans.map((b) => b.address)));
      expectOk(await action.unban(bans));
      expect(await harness.banned(ns)).toEqual([]);
    });

    it('flush removes every ban and keeps the scaffolding, so later bans still work', async () => {
      const before = await scaffold(ns);
      expectOk(await action.ban([banOf(V4), banOf(V6)]));
      expectOk(await action.flush());
      expect(await harness.banned(ns)).toEqual([]);
      expect(await scaffold(ns)).toBe(before);
      expectOk(await action.ban([banOf(V4B)]));
      expect(await harness.banned(ns)).toEqual([V4B]);
    });

    it('a new instance after a restart adopts the existing state without duplicating rules', async () => {
      expectOk(await action.ban([banOf(V4), banOf(V6, null)]));
      const before = await scaffold(ns);
      expectOk(await action.close());
      const restarted = harness.create(ns);
      expectOk(await restarted.init());
      expect(await scaffold(ns)).toBe(before);
      expect(sorted(await harness.banned(ns))).toEqual(sorted([V4, V6]));
      expectOk(await restarted.ban([banOf(V4), banOf(V6), banOf(V4B)]));
      expectOk(await restarted.unban([banOf(V6)]));
      expect(sorted(await harness.banned(ns))).toEqual(sorted([V4, V4B]));
    });

    it(`a timed ban ${harness.kernelTimeouts ? 'is lifted by the kernel' : 'stays until unban'} and a permanent ban stays`, async () => {
      expectOk(await action.ban([banOf(V4, 1), banOf(V6, 1), banOf(V4B, null), banOf(V6B, null)]));
      await new Promise((r) => setTimeout(r, 2_500));
      const left = sorted(await harness.banned(ns));
      expect(left).toEqual(sorted(harness.kernelTimeouts ? [V4B, V6B] : [V4, V4B, V6, V6B]));
    });

    it('verify reports the bans someone removed by hand, and banning them again restores them', async () => {
      const bans = [banOf(V4), banOf(V6), banOf(V4B, null)];
      expectOk(await action.ban(bans));
      expect(await verify(action, bans)).toEqual([]);
      const before = await scaffold(ns);
      await harness.tamper(ns);
      const missingBans = await verify(action, bans);
      expect(await scaffold(ns), 'verify repairs the scaffolding').toBe(before);
      expect(sorted(missingBans.map((b) => b.address))).toEqual(sorted(bans.map((b) => b.address)));
      expectOk(await action.ban(missingBans));
      expect(sorted(await harness.banned(ns))).toEqual(sorted([V4, V6, V4B]));
      expect(await verify(action, bans)).toEqual([]);
    });

    it('close leaves the bans in place by default', async () => {
      expectOk(await action.ban([banOf(V4)]));
      expectOk(await action.close());
      expect(await harness.banned(ns)).toEqual([V4]);
    });

    it('close removes everything when remove_on_stop is set', async () => {
      expectOk(await action.ban([banOf(V4), banOf(V6)]));
      const removing = harness.create(ns, { removeOnStop: true });
      expectOk(await removing.init());
      expectOk(await removing.close());
      expect(await harness.banned(ns)).toEqual([]);
      expect(await scaffold(ns)).toBe('');
      expectOk(await removing.close());
    });
  });
}
