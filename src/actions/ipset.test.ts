import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exec } from '../core/exec.js';
import { createNetns, deleteAll, firewallUnavailable, inNs } from '../../test/netns.js';
import { banOf, deps, describeActionContract, expectOk } from './action.contract.js';
import { createIpsetAction, type IpsetOptions } from './ipset.js';

const make = (ns: string | undefined, extra: Partial<IpsetOptions> = {}) => createIpsetAction('firewall', {
  set: undefined, maxelem: undefined, blocktype: undefined, jump_from: undefined, ipv6: undefined, binary: undefined,
  iptables: undefined, remove_on_stop: undefined, timeout: undefined, netns: ns, ...extra,
}, deps);

/** `ipset save` of our sets (empty when they do not exist). */
const save = async (ns: string): Promise<string[]> => {
  const lines: string[] = [];
  for (const set of ['dictdefence-v4', 'dictdefence-v6']) {
    const r = await exec(['ip', 'netns', 'exec', ns, 'ipset', 'save', set], { timeoutMs: 30_000, maxOutput: 64 << 20 });
    if (r.ok && r.value.code === 0) lines.push(...r.value.stdout.split('\n').filter(Boolean));
  }
  return lines;
};
const rules = async (ns: string): Promise<string[]> =>
  [...(await inNs(ns, ['iptables', '-w', '-S'])).split('\n'), ...(await inNs(ns, ['ip6tables', '-w', '-S'])).split('\n')]
    .filter((l) => l.includes('match-set'));

describeActionContract('ipset', {
  binaries: ['ipset', 'iptables', 'ip6tables'],
  kernelTimeouts: true,
  create: (ns, o) => make(ns, { remove_on_stop: o?.removeOnStop }),
  banned: async (ns) => (await save(ns)).filter((l) => l.startsWith('add ')).map((l) => l.split(' ')[2] ?? ''),
  scaffold: async (ns) => [...(await save(ns)).filter((l) => l.startsWith('create ')), ...(await rules(ns))].join('\n'),
  tamper: async (ns) => {
    for (const [set, bin] of [['dictdefence-v4', 'iptables'], ['dictdefence-v6', 'ip6tables']] as const) {
      await inNs(ns, [bin, '-w', '-D', 'INPUT', '-m', 'set', '--match-set', set, 'src', '-j', 'DROP']);
      await inNs(ns, ['ipset', 'flush', set]);
    }
  },
});

describe('ipset action specifics', () => {
  let skip = false;
  beforeAll(async () => { skip = await firewallUnavailable(['ipset', 'iptables', 'ip6tables']); });
  afterAll(deleteAll);

  it('creates hash:ip sets with timeout support and maxelem, matched by one rule per family', async (ctx) => {
    if (skip) return ctx.skip();
    const ns = await createNetns();
    expectOk(await make(ns, { maxelem: 1000 }).init());
    const creates = (await save(ns)).filter((l) => l.startsWith('create '));
    expect(creates[0]).toMatch(/^create dictdefence-v4 hash:ip family inet .*maxelem 1000 timeout 0/);
    expect(creates[1]).toMatch(/^create dictdefence-v6 hash:ip family inet6 .*maxelem 1000 timeout 0/);
    expect(await rules(ns)).toEqual(['-A INPUT -m set --match-set dictdefence-v4 src -j DROP', '-A INPUT -m set --match-set dictdefence-v6 src -j DROP']);
  });

  it('gives each entry the remaining ban time, and permanent bans timeout 0', async (ctx) => {
    if (skip) return ctx.skip();
    const ns = await createNetns();
    const a = make(ns);
    expectOk(await a.init());
    expectOk(await a.ban([banOf('192.0.2.1', 600), banOf('192.0.2.2', null), banOf('2001:db8::1', 40 * 86400)]));
    const adds = (await save(ns)).filter((l) => l.startsWith('add '));
    expect(adds).toContain('add dictdefence-v4 192.0.2.2 timeout 0');
    const t1 = Number(/192\.0\.2\.1 timeout (\d+)/.exec(adds.join('\n'))?.[1]);
    expect(t1).toBeGreaterThan(590);
    expect(t1).toBeLessThanOrEqual(600);
    // 40 days exceeds ipset's limit: capped at 2,147,483 s rather than refused.
    expect(Number(/2001:db8::1 timeout (\d+)/.exec(adds.join('\n'))?.[1])).toBeGreaterThan(2_147_400);
  });

  it('reports the bans that do not fit in a full set as failed, with an error saying to raise maxelem', async (ctx) => {
    if (skip) return ctx.skip();
    const ns = await createNetns();
    const a = make(ns, { maxelem: 3, ipv6: false });
    expectOk(await a.init());
    const bans = ['192.0.2.1', '192.0.2.2', '192.0.2.3', '192.0.2.4', '192.0.2.5'].map((t) => banOf(t));
    const r = await a.ban(bans);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error).toBe('Action "firewall": set "dictdefence-v4" is full (maxelem 3): 2 ban(s) not applied; raise maxelem');
    expect(r.failed.map((b) => b.address)).toEqual(['192.0.2.4', '192.0.2.5']);
    expect((await save(ns)).filter((l) => l.startsWith('add ')).length).toBe(3);
    // Re-banning addresses already in the full set still succeeds: -exist only refreshes them.
    expectOk(await a.ban(bans.slice(0, 3)));
  });

  it('explains how to fix a set that exists with another maxelem', async (ctx) => {
    if (skip) return ctx.skip();
    const ns = await createNetns();
    expectOk(await make(ns, { ipv6: false }).init());
    const r = await make(ns, { ipv6: false, maxelem: 10 }).init();
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toContain('set "dictdefence-v4" exists with other settings');
  });

  it('fails init with an error naming the action and the missing binary', async () => {
    const r = await make(undefined, { binary: 'ipset-not-installed' }).init();
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatch(/^Cannot start action "firewall": "ipset-not-installed" is not installed \(install the ipset package/);
  });
});
