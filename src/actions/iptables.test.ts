import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNetns, deleteAll, firewallUnavailable, inNs } from '../../test/netns.js';
import { banOf, deps, describeActionContract, expectOk } from './action.contract.js';
import { createIptablesAction, v6Twin, type IptablesOptions } from './iptables.js';

const RULE = /^-A dictdefence -s (\S+?)\/(32|128) -j /;

const make = (ns: string | undefined, extra: Partial<IptablesOptions> = {}) => createIptablesAction('firewall', {
  chain: undefined, blocktype: undefined, jump_from: undefined, ipv6: undefined, binary: undefined, binary6: undefined,
  remove_on_stop: undefined, timeout: undefined, netns: ns, ...extra,
}, deps);

/** `iptables -S` and `ip6tables -S` of the whole filter table, for one backend. */
const listing = async (ns: string, bin: string): Promise<string[]> =>
  [...(await inNs(ns, [bin, '-w', '-S'])).split('\n'), ...(await inNs(ns, [v6Twin(bin), '-w', '-S'])).split('\n')];

for (const bin of ['iptables-nft', 'iptables-legacy']) {
  describeActionContract(bin, {
    binaries: [bin, v6Twin(bin), `${bin}-restore`],
    kernelTimeouts: false,
    create: (ns, o) => make(ns, { binary: bin, remove_on_stop: o?.removeOnStop }),
    banned: async (ns) => (await listing(ns, bin)).flatMap((l) => RULE.exec(l)?.[1] ?? []),
    scaffold: async (ns) => (await listing(ns, bin)).filter((l) => l.includes('dictdefence') && !RULE.test(l)).join('\n'),
    tamper: async (ns) => {
      for (const b of [bin, v6Twin(bin)]) {
        await inNs(ns, [b, '-w', '-F', 'dictdefence']);
        await inNs(ns, [b, '-w', '-D', 'INPUT', '-j', 'dictdefence']);
      }
    },
  });
}

describe('iptables action specifics', () => {
  let skip = false;
  beforeAll(async () => { skip = await firewallUnavailable(['iptables', 'ip6tables', 'iptables-restore']); });
  afterAll(deleteAll);

  it('derives the IPv6 and restore programs from the configured binary', () => {
    expect(v6Twin('iptables')).toBe('ip6tables');
    expect(v6Twin('/usr/sbin/iptables-legacy')).toBe('/usr/sbin/ip6tables-legacy');
    expect(v6Twin('/opt/iptables/bin/iptables-nft')).toBe('/opt/iptables/bin/ip6tables-nft');
  });

  it('jumps from INPUT once, first, even after several restarts', async (ctx) => {
    if (skip) return ctx.skip();
    const ns = await createNetns();
    await inNs(ns, ['iptables', '-w', '-A', 'INPUT', '-p', 'tcp', '--dport', '22', '-j', 'ACCEPT']);
    for (let i = 0; i < 3; i++) expectOk(await make(ns).init());
    const input = (await inNs(ns, ['iptables', '-w', '-S', 'INPUT'])).split('\n').filter((l) => l.startsWith('-A'));
    expect(input).toEqual(['-A INPUT -j dictdefence', '-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT']);
  });

  it('rejects instead of dropping when asked, and converts existing rules at the next start', async (ctx) => {
    if (skip) return ctx.skip();
    const ns = await createNetns();
    const drop = make(ns);
    expectOk(await drop.init());
    expectOk(await drop.ban([banOf('192.0.2.1'), banOf('2001:db8::1')]));
    const reject = make(ns, { blocktype: 'REJECT' });
    expectOk(await reject.init());
    expect(await inNs(ns, ['iptables', '-w', '-S', 'dictdefence'])).toContain('-A dictdefence -s 192.0.2.1/32 -j REJECT --reject-with icmp-port-unreachable');
    expect(await inNs(ns, ['ip6tables', '-w', '-S', 'dictdefence'])).toContain('-A dictdefence -s 2001:db8::1/128 -j REJECT --reject-with icmp6-port-unreachable');
    expectOk(await reject.unban([banOf('192.0.2.1'), banOf('2001:db8::1')]));
    expect(await inNs(ns, ['iptables', '-w', '-S', 'dictdefence'])).not.toContain('192.0.2.1');
  });

  it('creates the chain and jump again when a ban finds them deleted by hand', async (ctx) => {
    if (skip) return ctx.skip();
    const ns = await createNetns();
    const a = make(ns, { ipv6: false });
    expectOk(await a.init());
    await inNs(ns, ['iptables', '-w', '-D', 'INPUT', '-j', 'dictdefence']);
    await inNs(ns, ['iptables', '-w', '-X', 'dictdefence']);
    expectOk(await a.ban([banOf('192.0.2.1')]));
    expect(await inNs(ns, ['iptables', '-w', '-S'])).toContain('-A INPUT -j dictdefence\n-A dictdefence -s 192.0.2.1/32 -j DROP');
  });

  it('jumps from FORWARD too when jump_from lists it', async (ctx) => {
    if (skip) return ctx.skip();
    const ns = await createNetns();
    expectOk(await make(ns, { jump_from: ['INPUT', 'FORWARD'], ipv6: false }).init());
    expect(await inNs(ns, ['iptables', '-w', '-S', 'FORWARD'])).toContain('-A FORWARD -j dictdefence');
    expect(await inNs(ns, ['ip6tables', '-w', '-S'])).not.toContain('dictdefence');
  });

  it('refuses a jump from a chain where a source match makes no sense', async () => {
    const r = await make(undefined, { jump_from: ['OUTPUT'] }).init();
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toBe('Action "firewall": cannot jump from "OUTPUT": use INPUT or FORWARD');
  });

  it('fails init with an error naming the action and the missing binary', async () => {
    const r = await make(undefined, { binary: 'iptables-not-installed' }).init();
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatch(/^Cannot start action "firewall": "iptables-not-installed" is not installed/);
  });
});
