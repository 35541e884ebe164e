import { describe, expect, it } from 'vitest';
import { ipv4Address, ipv6KeyInto, parseAddress, parseIPv4Span, type Address } from './address.js';
import { cidrContains, createCidrSet, parseCidr, type Cidr } from './cidr.js';

const addr = (text: string): Address => {
  const a = parseAddress(text);
  if (!a) throw new Error(`Cannot parse address "${text}"`);
  return a;
};
const cidr = (text: string): Cidr => {
  const c = parseCidr(text);
  if (!c) throw new Error(`Cannot parse network "${text}"`);
  return c;
};

describe('parseCidr', () => {
  it.each([
    ['10.0.0.0/8', '10.0.0.0', 8, '10.0.0.0/8'],
    ['0.0.0.0/0', '0.0.0.0', 0, '0.0.0.0/0'],
    ['192.168.1.7', '192.168.1.7', 32, '192.168.1.7'],
    ['192.168.1.7/32', '192.168.1.7', 32, '192.168.1.7'],
    ['192.168.1.128/25', '192.168.1.128', 25, '192.168.1.128/25'],
    ['::/0', '::', 0, '::/0'],
    ['2001:DB8::/32', '2001:db8::', 32, '2001:db8::/32'],
    ['2001:db8:0:0:8000::/65', '2001:db8:0:0:8000::', 65, '2001:db8:0:0:8000::/65'],
    ['fe80::/10', 'fe80::', 10, 'fe80::/10'],
    ['::1', '::1', 128, '::1'],
    ['::1/128', '::1', 128, '::1'],
    ['[2001:db8::]/48', '2001:db8::', 48, '2001:db8::/48'],
    ['::ffff:10.0.0.0/104', '10.0.0.0', 8, '10.0.0.0/8'],
    ['::ffff:0.0.0.0/96', '0.0.0.0', 0, '0.0.0.0/0'],
    ['::ffff:1.2.3.4', '1.2.3.4', 32, '1.2.3.4'],
    ['::ffff:1.2.3.4/128', '1.2.3.4', 32, '1.2.3.4'],
  ] as const)('reads %j as base %j with prefix %i, written %j', (text, base, prefix, canonical) => {
    expect(parseCidr(text)).toEqual({ base, prefix, text: canonical });
  });

  it.each([
    ['host bits set in IPv4', '10.0.0.1/8'],
    ['host bits set in the last IPv4 bit', '192.168.1.129/31'],
    ['host bits set in IPv6', '2001:db8::1/64'],
    ['host bits set just past an odd IPv6 prefix', '2001:db8:0:0:8000::/64'],
    ['IPv4 prefix over 32', '10.0.0.0/33'],
    ['IPv6 prefix over 128', '::/129'],
    ['leading zero in the prefix', '10.0.0.0/08'],
    ['empty prefix', '10.0.0.0/'],
    ['signed prefix', '10.0.0.0/+8'],
    ['two prefixes', '10.0.0.0/8/8'],
    ['a bad base address', '10.0.0/8'],
    ['an IPv4-mapped network shorter than the mapped range', '::ffff:0.0.0.0/95'],
    ['an IPv4-mapped network with host bits set', '::ffff:10.0.0.1/104'],
    ['empty text', ''],
  ])('rejects %s (%j)', (_why, text) => {
    expect(parseCidr(text)).toBeUndefined();
  });
});

describe('cidrContains', () => {
  it.each([
    ['10.0.0.0/8', '10.255.255.255', true],
    ['10.0.0.0/8', '11.0.0.0', false],
    ['10.0.0.0/8', '9.255.255.255', false],
    ['192.168.1.128/25', '192.168.1.200', true],
    ['192.168.1.128/25', '192.168.1.127', false],
    ['0.0.0.0/0', '203.0.113.9', true],
    ['0.0.0.0/0', '::1', false],
    ['::/0', '2001:db8::1', true],
    ['::/0', '1.2.3.4', false],
    ['2001:db8::/32', '2001:db8:ffff::1', true],
    ['2001:db8::/32', '2001:db9::1', false],
    ['fe80::/10', 'febf::1', true],
    ['fe80::/10', 'fec0::1', false],
    ['1.2.3.4', '1.2.3.4', true],
    ['1.2.3.4', '1.2.3.5', false],
    ['::1', '::1', true],
    ['::1', '::2', false],
  ] as const)('says %j contains %j: %s', (net, address, expected) => {
    expect(cidrContains(cidr(net), addr(address))).toBe(expected);
  });
});

describe('createCidrSet', () => {
  const set = createCidrSet(['127.0.0.0/8', '::1', '192.0.2.7', '2001:db8::/32', '::ffff:198.51.100.0/120']
    .map(cidr));

  it.each([
    ['127.0.0.1', '127.0.0.0/8'],
    ['::ffff:127.0.0.1', '127.0.0.0/8'],
    ['::1', '::1'],
    ['192.0.2.7', '192.0.2.7'],
    ['::FFFF:C000:0207', '192.0.2.7'],
    ['2001:db8:1::5', '2001:db8::/32'],
    ['198.51.100.99', '198.51.100.0/24'],
    ['::ffff:198.51.100.1', '198.51.100.0/24'],
  ])('finds %j inside %j', (address, network) => {
    expect(set.has(addr(address))).toBe(true);
    expect(set.find(addr(address))?.text).toBe(network);
    const v4 = parseIPv4Span(addr(address), 0, addr(address).length);
    if (v4 >= 0) expect(set.hasIPv4(v4)).toBe(true);
  });

  it.each(['128.0.0.1', '::2', '192.0.2.8', '2001:db9::1', '198.51.101.1', '::127.0.0.1'])(
    'does not contain %j', (address) => {
      expect(set.has(addr(address))).toBe(false);
      expect(set.find(addr(address))).toBeUndefined();
      const v4 = parseIPv4Span(addr(address), 0, addr(address).length);
      if (v4 >= 0) expect(set.hasIPv4(v4)).toBe(false);
    });

  it('keeps its entries in the order given', () => {
    expect(set.entries.map((c) => c.text))
      .toEqual(['127.0.0.0/8', '::1', '192.0.2.7', '2001:db8::/32', '198.51.100.0/24']);
  });

  it('says the same of an IPv4 address given as its number, on random addresses and networks', () => {
    let seed = 3;
    const rnd = (): number => { seed = (Math.imul(seed, 1103515245) + 12345) >>> 0; return seed; };
    const nets = ['255.255.255.255', '0.0.0.1', '10.0.0.0/8', '203.0.113.128/25', '::ffff:192.0.2.0/126', '2001:db8::/32', '128.0.0.0/1'];
    for (const chosen of [nets, nets.slice(0, 2), []]) {
      const s = createCidrSet(chosen.map(cidr));
      for (let i = 0; i < 5000; i++) {
        const r = rnd();
        // Now and then right beside a network's edge.
        const v4 = i % 4 === 0 ? [0xffffffff, 1, 0x0a000000 + (r & 0x1ffffff) - 0x1000000, 0xcb007180 + (r & 0xff) - 0x80, 0xc0000200 + (r & 7)][i % 5]! >>> 0 : r;
        expect(s.hasIPv4(v4)).toBe(s.has(ipv4Address(v4)));
      }
    }
  });

  it('agrees with cidrContains on random IPv6 addresses beside its networks\' edges', () => {
    let seed = 5;
    const rnd = (n: number): number => { seed = (Math.imul(seed, 1103515245) + 12345) >>> 0; return (seed >>> 8) % n; };
    const nets = ['2001:db8::/32', '2001:db8:ab00::/41', 'fe80::/10', '::1', '2001:db8:1::1', '64:ff9b::/96', '10.0.0.0/8'].map(cidr);
    const s = createCidrSet(nets);
    const hex = (n: number): string => n.toString(16);
    const key = new Int32Array(12);
    for (let i = 0; i < 5000; i++) {
      const g = [[0x2001, 0xdb8], [0x2001, 0xdb9], [0xfe80 + rnd(0x80), rnd(2)], [0x64, 0xff9b], [0, 0]][rnd(5)]!;
      const text = `${hex(g[0]!)}:${hex(g[1]!)}:${hex(rnd(4) === 0 ? 0xab00 + rnd(0x100) : rnd(0x10000))}::${hex(rnd(3))}`;
      const a = addr(text);
      expect(s.has(a), text).toBe(nets.some((n) => cidrContains(n, a)));
      // Given as the key words a byte reader keeps with it, somewhere in its array.
      const at = 4 * rnd(3);
      expect(ipv6KeyInto(a, [0, 0, 0, 0, 0, 0, 0, 0], key, at)).toBe(true);
      expect(s.hasIPv6(a, key, at), text).toBe(s.has(a));
    }
    // Exact entries only, and none at all.
    for (const only of [createCidrSet([cidr('2001:db8:1::1')]), createCidrSet([])]) {
      for (const text of ['2001:db8:1::1', '2001:db8:1::2']) {
        expect(ipv6KeyInto(addr(text), [0, 0, 0, 0, 0, 0, 0, 0], key, 0)).toBe(true);
        expect(only.hasIPv6(addr(text), key, 0)).toBe(only.has(addr(text)));
      }
    }
  });

  it('contains nothing when empty', () => {
    expect(createCidrSet([]).has(addr('1.2.3.4'))).toBe(false);
  });
});
