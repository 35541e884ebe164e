import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNetns, deleteAll, firewallUnavailable, inNs } from '../../test/netns.js';
import { createStandIn, type StandIn } from '../../test/stand-in.js';
import { banOf, deps, describeActionContract, expectOk } from './action.contract.js';
import { createNullrouteAction, type NullrouteOptions } from './nullroute.js';

const make = (ns: string | undefined, extra: Partial<NullrouteOptions> = {}) => createNullrouteAction('blackhole', {
  platform: undefined, binary: undefined, proto: undefined, remove_on_stop: undefined, timeout: undefined, netns: ns, ...extra,
}, deps);

/** Blackhole routes in the namespace, as `ip route show type blackhole` prints them (both families). */
const blackholes = async (ns: string): Promise<string[]> => [
  ...(await inNs(ns, ['ip', '-4', 'route', 'show', 'type', 'blackhole'])).split('\n'),
  ...(await inNs(ns, ['ip', '-6', 'route', 'show', 'type', 'blackhole'])).split('\n'),
].filter(Boolean);

describeActionContract('nullroute', {
  binaries: ['ip'],
  kernelTimeouts: false,
  create: (ns, o) => make(ns, { remove_on_stop: o?.removeOnStop }),
  banned: async (ns) => (await blackholes(ns)).filter((l) => l.includes('proto 222')).map((l) => l.split(' ')[1] ?? ''),
  tamper: async (ns) => {
    await inNs(ns, ['ip', '-4', 'route', 'flush', 'type', 'blackhole', 'proto', '222']);
    await inNs(ns, ['ip', '-6', 'route', 'flush', 'type', 'blackhole', 'proto', '222']);
  },
});

describe('nullroute action on Linux', () => {
  let skip = false;
  beforeAll(async () => { skip = await firewallUnavailable(['ip']); });
  afterAll(deleteAll);

  it('flush leaves alone the blackhole routes an administrator added by hand', async (ctx) => {
    if (skip) return ctx.skip();
    const ns = await createNetns();
    await inNs(ns, ['ip', 'route', 'add', 'blackhole', '203.0.113.0/24']);
    const a = make(ns);
    expectOk(await a.init());
    expectOk(await a.ban([banOf('192.0.2.1'), banOf('203.0.113.5')]));
    expectOk(await a.flush());
    expect(await blackholes(ns)).toEqual(['blackhole 203.0.113.0/24 ']);
  });

  it('reports which addresses of a batch failed, from the line numbers ip prints', async () => {
    // A stand-in for ip: the kernel offers no reliable way to refuse one route of a batch on demand.
    const ip = createStandIn('ip');
    try {
      ip.reply([{ args: ['-batch'], code: 1, stderr: 'RTNETLINK answers: Network is unreachable\nCommand failed -:2\n' }]);
      const r = await make(undefined, { binary: ip.path }).ban([banOf('192.0.2.1'), banOf('2001:db8::1'), banOf('192.0.2.2')]);
      expect(r.ok).toBe(false);
      if (r.ok) return;
      expect(r.failed.map((b) => b.address)).toEqual(['2001:db8::1']);
      expect(r.error).toBe('Action "blackhole": route add 2001:db8::1 failed: RTNETLINK answers: Network is unreachable');
      expect(ip.calls()).toEqual([['-force', '-batch', '-']]);
    } finally {
      ip.remove();
    }
  });
});

describe('nullroute action on BSD and macOS (recording stand-in for route)', () => {
  let route: StandIn;
  beforeAll(() => { route = createStandIn('route'); });
  afterAll(() => route.remove());

  it('adds one blackhole host route per address, to the loopback of its family', async () => {
    route.clear();
    const a = make(undefined, { platform: 'bsd', binary: route.path });
    expectOk(await a.init());
    expectOk(await a.ban([banOf('192.0.2.1'), banOf('2001:db8::1')]));
    expect(route.calls()).toEqual([
      ['-n', 'get', '127.0.0.1'],
      ['-n', 'add', '-host', '192.0.2.1', '127.0.0.1', '-blackhole'],
      ['-n', 'add', '-inet6', '-host', '2001:db8::1', '::1', '-blackhole'],
    ]);
  });

  it('treats an existing route on ban and a missing one on unban as success', async () => {
    route.clear();
    route.reply([
      { args: ['add'], code: 1, stderr: 'route: writing to routing socket: File exists\nadd host 192.0.2.1: gateway 127.0.0.1: route already in table\n' },
      { args: ['delete'], code: 1, stderr: 'route: writing to routing socket: No such process\ndelete host 192.0.2.9: not in table\n' },
    ]);
    const a = make(undefined, { platform: 'bsd', binary: route.path });
    expectOk(await a.ban([banOf('192.0.2.1')]));
    expectOk(await a.unban([banOf('192.0.2.9'), banOf('2001:db8::9')]));
    expect(route.calls().slice(1)).toEqual([
      ['-n', 'delete', '-host', '192.0.2.9'],
      ['-n', 'delete', '-inet6', '-host', '2001:db8::9'],
    ]);
    route.reply([]);
  });

  it('reports a failing route command with its message and the failed ban', async () => {
    route.reply([{ args: ['add'], code: 1, stderr: 'route: writing to routing socket: Operation not permitted\n' }]);
    const r = await make(undefined, { platform: 'bsd', binary: route.path }).ban([banOf('192.0.2.1')]);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.failed.map((b) => b.address)).toEqual(['192.0.2.1']);
      expect(r.error).toContain('Operation not permitted');
    }
    route.reply([]);
  });

  it('flush deletes what this instance banned', async () => {
    const a = make(undefined, { platform: 'bsd', binary: route.path });
    expectOk(await a.ban([banOf('192.0.2.1'), banOf('192.0.2.2')]));
    expectOk(await a.unban([banOf('192.0.2.2')]));
    route.clear();
    expectOk(await a.flush());
    expect(route.calls()).toEqual([['-n', 'delete', '-host', '192.0.2.1']]);
  });

  it('fails init with an error naming the action and the missing binary', async () => {
    const r = await make(undefined, { platform: 'bsd', binary: '/nonexistent/route' }).init();
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toBe('Cannot start action "blackhole": "/nonexistent/route" is not installed (set "binary" to its path)');
  });
});
