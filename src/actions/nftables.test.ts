import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNetns, deleteAll, firewallUnavailable, inNs } from '../../test/netns.js';
import { banOf, deps, describeActionContract, expectOk } from './action.contract.js';
import { createNftablesAction, type NftablesOptions } from './nftables.js';

interface NftElem { elem?: { val: string; timeout?: number; expires?: number } }
type NftItem = { set?: { name: string; elem?: (string | NftElem)[] }; [k: string]: unknown };

const listTable = async (ns: string): Promise<NftItem[]> => {
  try {
    return (JSON.parse(await inNs(ns, ['nft', '-j', 'list', 'table', 'inet', 'dictdefence'])) as { nftables: NftItem[] }).nftables;
  } catch { return []; }
};
/** Element values with their kernel timeout and expiry (seconds; undefined for permanent elements). */
const elements = async (ns: string): Promise<Map<string, { timeout?: number; expires?: number }>> => {
  const out = new Map<string, { timeout?: number; expires?: number }>();
  for (const item of await listTable(ns)) {
    for (const e of item.set?.elem ?? []) {
      if (typeof e === 'string') out.set(e, {});
      else if (e.elem) out.set(e.elem.val, { ...(e.elem.timeout !== undefined ? { timeout: e.elem.timeout } : {}), ...(e.elem.expires !== undefined ? { expires: e.elem.expires } : {}) });
    }
  }
  return out;
};

const make = (ns: string | undefined, extra: Partial<NftablesOptions> = {}) =>
  createNftablesAction('firewall', { table: undefined, priority: undefined, block_output: undefined, block_forward: undefined, remove_on_stop: undefined, binary: undefined, timeout: undefined, netns: ns, ...extra }, deps);

describeActionContract('nftables', {
  binaries: ['nft'],
  kernelTimeouts: true,
  create: (ns, o) => make(ns, { remove_on_stop: o?.removeOnStop }),
  banned: async (ns) => [...(await elements(ns)).keys()],
  // The table without its elements, with handles and counters (which change on every rebuild) removed.
  scaffold: async (ns) => {
    const items = await listTable(ns);
    if (items.length === 0) return '';
    return JSON.stringify(items.filter((i) => !('metainfo' in i)).map((i) => JSON.stringify(i, (k, v: unknown) =>
      k === 'handle' || k === 'elem' || k === 'packets' || k === 'bytes' ? undefined : v)));
  },
  tamper: async (ns) => { await inNs(ns, ['nft', 'delete', 'table', 'inet', 'dictdefence']); },
});

describe('nftables action specifics', () => {
  let skip = false;
  beforeAll(async () => { skip = await firewallUnavailable(['nft']); });
  afterAll(deleteAll);

  it('gives each element the remaining ban time as its kernel timeout, and permanent bans none', async (ctx) => {
    if (skip) return ctx.skip();
    const ns = await createNetns();
    const a = make(ns);
    expectOk(await a.init());
    expectOk(await a.ban([banOf('192.0.2.1', 600), banOf('2001:db8::1', 90), banOf('192.0.2.2', null)]));
    const els = await elements(ns);
    expect(els.get('192.0.2.1')?.timeout).toBe(600);
    expect(els.get('192.0.2.1')?.expires).toBeGreaterThan(590);
    expect(els.get('2001:db8::1')?.timeout).toBe(90);
    expect(els.get('192.0.2.2')).toEqual({});
  });

  it('banning an address again replaces its kernel timeout, in both directions', async (ctx) => {
    if (skip) return ctx.skip();
    const ns = await createNetns();
    const a = make(ns);
    expectOk(await a.init());
    expectOk(await a.ban([banOf('192.0.2.1', 60), banOf('192.0.2.2', null)]));
    expectOk(await a.ban([banOf('192.0.2.1', 7200), banOf('192.0.2.2', 30)]));
    let els = await elements(ns);
    expect(els.get('192.0.2.1')?.timeout).toBe(7200);
    expect(els.get('192.0.2.2')?.timeout).toBe(30);
    expectOk(await a.ban([banOf('192.0.2.1', null)]));
    els = await elements(ns);
    expect(els.get('192.0.2.1')).toEqual({});
  });

  it('caps a ban longer than the kernel allows at 2^32 ms instead of failing it', async (ctx) => {
    if (skip) return ctx.skip();
    const ns = await createNetns();
    const a = make(ns);
    expectOk(await a.init());
    expectOk(await a.ban([banOf('192.0.2.1', 10 * 365 * 86400)]));
    expect((await elements(ns)).get('192.0.2.1')?.timeout).toBe(4_294_967);
  });

  it('adds output and forward chains when asked, and removes them again at a restart without them', async (ctx) => {
    if (skip) return ctx.skip();
    const ns = await createNetns();
    expectOk(await make(ns, { block_output: true, block_forward: true, priority: -50 }).init());
    let text = await inNs(ns, ['nft', 'list', 'table', 'inet', 'dictdefence']);
    expect(text).toMatch(/chain output \{\s*type filter hook output priority (filter - 50|-50);/);
    expect(text).toContain('ip daddr @banned_v4 counter packets 0 bytes 0 drop');
    expect(text).toMatch(/chain forward \{/);
    expectOk(await make(ns).init());
    text = await inNs(ns, ['nft', 'list', 'table', 'inet', 'dictdefence']);
    expect(text).not.toMatch(/chain (output|forward)/);
    expect(text).toMatch(/chain input \{\s*type filter hook input priority filter - 10;/);
  });

  it('re-applies 100,000 bans in a few nft runs', async (ctx) => {
    if (skip) return ctx.skip();
    const ns = await createNetns();
    const a = make(ns);
    expectOk(await a.init());
    const bans = Array.from({ length: 100_000 }, (_, i) => banOf(i % 2 ? `10.${i >> 16}.${(i >> 8) & 255}.${i & 255}` : `2001:db8:2::${(i >> 16).toString(16)}:${(i & 0xffff).toString(16)}`));
    const t0 = performance.now();
    expectOk(await a.ban(bans));
    const ms = performance.now() - t0;
    process.stdout.write(`nftables: 100,000 bans applied in ${ms.toFixed(0)} ms\n`);
    expect((await elements(ns)).size).toBe(100_000);
    expect(await a.verify?.(bans)).toEqual([]);
    // The restore's way: the same bans, the sets emptied and filled in one transaction.
    const t1 = performance.now();
    expectOk(await a.replaceAll!(bans));
    process.stdout.write(`nftables: 100,000 bans replaced in ${(performance.now() - t1).toFixed(0)} ms\n`);
    expect((await elements(ns)).size).toBe(100_000);
  });

  it('replacing all bans leaves exactly those, with their own timeouts, and drops the rest', async (ctx) => {
    if (skip) return ctx.skip();
    const ns = await createNetns();
    const a = make(ns);
    expectOk(await a.init());
    expectOk(await a.ban([banOf('192.0.2.1', 60), banOf('192.0.2.2', null), banOf('192.0.2.3', 600), banOf('2001:db8::9', 600)]));
    expectOk(await a.replaceAll!([banOf('192.0.2.1', 7200), banOf('192.0.2.2', 30), banOf('2001:db8::1', 90)]));
    const els = await elements(ns);
    expect([...els.keys()].sort()).toEqual(['192.0.2.1', '192.0.2.2', '2001:db8::1']);
    expect(els.get('192.0.2.1')?.timeout).toBe(7200);
    expect(els.get('192.0.2.2')?.timeout).toBe(30);
    expect(els.get('2001:db8::1')?.timeout).toBe(90);
    expectOk(await a.replaceAll!([]));
    expect((await elements(ns)).size).toBe(0);
    // A table deleted by hand is set up again, as for a ban.
    await inNs(ns, ['nft', 'delete', 'table', 'inet', 'dictdefence']);
    expectOk(await a.replaceAll!([banOf('192.0.2.7', 60)]));
    expect([...(await elements(ns)).keys()]).toEqual(['192.0.2.7']);
  });

  it('sets the table up again when a ban finds it deleted by hand', async (ctx) => {
    if (skip) return ctx.skip();
    const ns = await createNetns();
    const a = make(ns);
    expectOk(await a.init());
    await inNs(ns, ['nft', 'delete', 'table', 'inet', 'dictdefence']);
    expectOk(await a.ban([banOf('192.0.2.1')]));
    expect([...(await elements(ns)).keys()]).toEqual(['192.0.2.1']);
    expect(await inNs(ns, ['nft', 'list', 'chain', 'inet', 'dictdefence', 'input'])).toContain('ip saddr @banned_v4');
  });

  it('explains how to fix a set that exists with another definition', async (ctx) => {
    if (skip) return ctx.skip();
    const ns = await createNetns();
    await inNs(ns, ['nft', '-f', '-'], 'add table inet dictdefence\nadd set inet dictdefence banned_v4 { type ipv4_addr; }\n');
    const r = await make(ns).init();
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error).toMatch(/^Action "firewall": nft failed: Could not process rule: File exists in "add set inet dictdefence banned_v4 /);
      expect(r.error).toMatch(/remove it with "nft delete table inet dictdefence"$/);
    }
  });

  it('fails init with an error naming the action and the missing binary', async () => {
    const a = make(undefined, { binary: 'nft-not-installed' });
    const r = await a.init();
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toBe('Cannot start action "firewall": "nft-not-installed" is not installed (install the nftables package, or set "binary" to its path)');
  });
});
