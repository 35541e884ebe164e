import { describe, expect, it } from 'vitest';
import { ipv6KeyInto, parseAddress, type Address } from '../core/address.js';
import { createAddressTable, type AddressTable } from './address-table.js';

const addr = (text: string): Address => parseAddress(text) as Address;

/** Every entry of the table once, in the order of `first`/`following`, as addresses by their payload tag. */
function walk(table: AddressTable, tags: Map<number, Address>): Address[] {
  const out: Address[] = [];
  for (let e = table.first(); e !== -1; e = table.following(e)) out.push(tags.get(table.ints(e)[table.intAt(e)]!) as Address);
  return out;
}

/** The table's entries from least to most recently used, as addresses by their payload tag. */
function order(table: AddressTable, tags: Map<number, Address>): Address[] {
  const out: Address[] = [];
  for (let e = table.oldest(); e !== -1; e = table.newer(e)) out.push(tags.get(table.ints(e)[table.intAt(e)]!) as Address);
  return out;
}

describe('createAddressTable', () => {
  it('finds what it holds, and nothing else', () => {
    const t = createAddressTable(1, 1);
    expect(t.find(addr('192.0.2.1'))).toBe(-1);
    const e = t.add(addr('192.0.2.1'));
    t.floats(e)[t.floatAt(e)] = 42;
    expect(t.find(addr('192.0.2.1'))).toBe(e);
    const f = t.find(addr('192.0.2.1'));
    expect(t.floats(f)[t.floatAt(f)]).toBe(42);
    expect(t.find(addr('192.0.2.2'))).toBe(-1);
    expect(t.size).toBe(1);
  });

  it('keeps IPv4 apart from every IPv6 address, including those that embed its bits', () => {
    const t = createAddressTable(0, 1);
    const texts = ['1.2.3.4', '::102:304', '::ffff:0:102:304', '1:2:3:4::', '64:ff9b::102:304', '::'];
    const entries = texts.map((x) => t.add(addr(x)));
    expect(new Set(entries).size).toBe(texts.length);
    texts.forEach((x, i) => expect(t.find(addr(x))).toBe(entries[i]));
  });

  it('keeps IPv6 addresses apart that share a slot of its key cache, whether or not their texts are one string', () => {
    const t = createAddressTable(0, 1);
    const key = new Int32Array(8);
    // Five times as many addresses as the cache has slots: many share one.
    const texts = Array.from({ length: 20_000 }, (_, i) => `2001:db8:${(0x1000 + (i >> 4)).toString(16)}::${(i & 15).toString(16)}ab`);
    const entries = texts.map((x) => t.add(addr(x)));
    expect(new Set(entries).size).toBe(20_000);
    for (let round = 0; round < 2; round++) {
      texts.forEach((x, i) => {
        expect(t.find(addr(x))).toBe(entries[i]);
        // An equal text made anew, not the string the table saw.
        expect(t.find([...x].join('') as Address)).toBe(entries[i]);
        // Its key words, as a byte reader keeps them.
        expect(ipv6KeyInto(addr(x), [0, 0, 0, 0, 0, 0, 0, 0], key, 4)).toBe(true);
        expect(t.findIPv6(key, 4)).toBe(entries[i]);
      });
    }
    // Filed by their key words, as a byte reader keeps them: found by their texts.
    const byKey = createAddressTable(0, 1);
    const keyed = texts.map((x) => {
      expect(ipv6KeyInto(addr(x), [0, 0, 0, 0, 0, 0, 0, 0], key, 4)).toBe(true);
      return byKey.addIPv6(key, 4);
    });
    expect(new Set(keyed).size).toBe(20_000);
    texts.forEach((x, i) => expect(byKey.find([...x].join('') as Address)).toBe(keyed[i]));
    expect(t.find(addr('2001:db8:ffff::ab'))).toBe(-1);
    expect(ipv6KeyInto(addr('2001:db8:ffff::ab'), [0, 0, 0, 0, 0, 0, 0, 0], key, 0)).toBe(true);
    expect(t.findIPv6(key, 0)).toBe(-1);
    // The key words of an IPv4 address's IPv4-mapped form find no IPv4 entry.
    const v4 = t.add(addr('192.0.2.1'));
    expect(t.find(addr('192.0.2.1'))).toBe(v4);
    key.set([0, 0, 0xffff, (192 << 24) | (2 << 8) | 1], 0);
    expect(t.findIPv6(key, 0)).toBe(-1);
  });

  it('orders entries from least to most recently used', () => {
    const t = createAddressTable(0, 1);
    const tags = new Map<number, Address>();
    const [a, b, c] = ['10.0.0.1', '10.0.0.2', '2001:db8::3'].map(addr) as [Address, Address, Address];
    [a, b, c].forEach((x, i) => { const e = t.add(x); t.ints(e)[t.intAt(e)] = i; tags.set(i, x); });
    t.touch(t.find(a));
    expect(order(t, tags)).toEqual([b, c, a]);
    t.remove(t.find(c));
    expect(order(t, tags)).toEqual([b, a]);
  });

  it('zeroes the payload of an entry that reuses a removed one', () => {
    const t = createAddressTable(3, 2);
    const e = t.add(addr('10.1.1.1'));
    t.floats(e).fill(7, t.floatAt(e), t.floatAt(e) + 3);
    t.ints(e).fill(7, t.intAt(e), t.intAt(e) + 2);
    t.remove(e);
    const f = t.add(addr('10.1.1.2'));
    expect(f).toBe(e);
    const floats = t.floats(f).subarray(t.floatAt(f), t.floatAt(f) + 3), ints = t.ints(f).subarray(t.intAt(f), t.intAt(f) + 2);
    expect([...floats, ...ints]).toEqual([0, 0, 0, 0, 0]);
  });

  // The order is worked out when first asked: checked from the start, only at the end (every use until then a
  // stamp), or with stamps running out midway (the table orders itself then).
  it.each([
    { name: 'order asked all along', checkEvery: 5000, stampLimit: undefined },
    { name: 'order asked only at the end', checkEvery: Infinity, stampLimit: undefined },
    { name: 'stamps running out midway', checkEvery: Infinity, stampLimit: 20_000 },
  ])('behaves like a Map under random adds, touches and removals across growth ($name)', ({ checkEvery, stampLimit }) => {
    let seed = 1;
    const rnd = (n: number): number => { seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0; return (seed >>> 8) % n; };
    // Few distinct values per family, so that the same keys come back after removal and probe runs overlap.
    const pool = Array.from({ length: 3000 }, (_, i) =>
      addr(i % 4 === 0 ? `2001:db8:${((i * 7919) % 65536).toString(16)}::${i % 9}` : `10.${i % 3}.${(i >> 4) & 255}.${i & 15}`));
    const t = createAddressTable(1, 1, stampLimit === undefined ? {} : { stampLimit });
    const model = new Map<Address, number>();
    const tags = new Map<number, Address>();
    for (let step = 0; step < 60_000; step++) {
      const a = pool[rnd(pool.length)] as Address;
      const e = t.find(a);
      expect(e === -1).toBe(!model.has(a));
      if (e === -1) {
        const n = t.add(a);
        t.floats(n)[t.floatAt(n)] = step;
        t.ints(n)[t.intAt(n)] = step;
        tags.set(step, a);
        model.set(a, step);
      } else {
        expect(t.floats(e)[t.floatAt(e)]).toBe(model.get(a));
        if (rnd(2) === 0) {
          t.remove(e);
          model.delete(a);
        } else {
          t.touch(e);
          const v = model.get(a) as number;
          model.delete(a);
          model.set(a, v);
        }
      }
      if (step % checkEvery === 0) expect(order(t, tags)).toEqual([...model.keys()]);
    }
    expect(t.size).toBe(model.size);
    expect(walk(t, tags).sort()).toEqual([...model.keys()].sort());
    expect(order(t, tags)).toEqual([...model.keys()]);
    t.clear();
    expect(t.size).toBe(0);
    expect(t.oldest()).toBe(-1);
    expect(t.find(pool[1] as Address)).toBe(-1);
  });

  it('holds a million addresses across pages, and reuses removed entries on any page', () => {
    const t = createAddressTable(5, 1);
    const v4 = (i: number): Address => addr(`10.${i >>> 16}.${(i >>> 8) & 255}.${i & 255}`);
    for (let i = 0; i < 1_000_000; i++) {
      const e = t.add(v4(i));
      t.ints(e)[t.intAt(e)] = i;
    }
    expect(t.size).toBe(1_000_000);
    expect(t.find(addr('10.15.66.63'))).not.toBe(-1);
    expect(t.find(addr('10.15.66.64'))).toBe(-1);
    for (let i = 0; i < 1_000_000; i += 3) t.remove(t.find(v4(i)));
    for (let i = 0; i < 300_000; i++) {
      const e = t.add(addr(`2001:db8::${(i >>> 16).toString(16)}:${(i & 0xffff).toString(16)}`));
      t.ints(e)[t.intAt(e)] = -1 - i;
    }
    expect(t.size).toBe(1_000_000 - 333_334 + 300_000);
    for (const i of [1, 2, 4, 65_537, 999_998]) {
      const e = t.find(v4(i));
      expect(t.ints(e)[t.intAt(e)]).toBe(i);
    }
    for (const i of [0, 3, 65_535, 999_999]) expect(t.find(v4(i))).toBe(-1);
    const e = t.find(addr('2001:db8::4:93df'));
    expect(t.ints(e)[t.intAt(e)]).toBe(-1 - 0x493df);
    // Ordered from 1,300,000 stamps (both halves of the sort): the IPv4 survivors in the order they came, then
    // the IPv6 addresses.
    const tags: number[] = [];
    for (let x = t.oldest(); x !== -1; x = t.newer(x)) tags.push(t.ints(x)[t.intAt(x)]!);
    expect(tags.length).toBe(t.size);
    expect(tags.slice(0, 4)).toEqual([1, 2, 4, 5]);
    expect(tags.slice(666_664, 666_668)).toEqual([999_997, 999_998, -1, -2]);
    expect(tags.at(-1)).toBe(-300_000);
  });

  it('walks every entry once with first/following, an entry removed along the way included', () => {
    const t = createAddressTable(0, 1);
    for (let i = 0; i < 1000; i++) { const e = t.add(addr(`10.9.${i >> 8}.${i & 255}`)); t.ints(e)[t.intAt(e)] = i; }
    for (let i = 0; i < 1000; i += 7) t.remove(t.find(addr(`10.9.${i >> 8}.${i & 255}`)));
    const seen: number[] = [];
    for (let e = t.first(); e !== -1; e = t.following(e)) {
      const tag = t.ints(e)[t.intAt(e)]!;
      seen.push(tag);
      // The sweep's way: remove the entry it stands on, then go on from it.
      if (tag % 2 === 0) t.remove(e);
    }
    expect(seen).toEqual(Array.from({ length: 1000 }, (_, i) => i).filter((i) => i % 7 !== 0));
    expect(t.size).toBe(seen.filter((i) => i % 2 !== 0).length);
  });
});
