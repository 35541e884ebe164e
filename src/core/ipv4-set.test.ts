import { describe, expect, it } from 'vitest';
import { createIPv4Set } from './ipv4-set.js';
import { seededRandom } from './seeded.js';

describe('IPv4Set', () => {
  it('holds the extremes of the address space, 0.0.0.0 and 255.255.255.255 included', () => {
    const set = createIPv4Set();
    for (const v of [0, 1, 0x7fffffff, 0x80000000, 0xffffffff]) set.add(v);
    expect(set.size).toBe(5);
    for (const v of [0, 1, 0x7fffffff, 0x80000000, 0xffffffff]) expect(set.has(v)).toBe(true);
    expect(set.has(2)).toBe(false);
    set.delete(0);
    expect(set.has(0)).toBe(false);
    expect(set.has(0xffffffff)).toBe(true);
    expect(set.size).toBe(4);
  });

  it('takes an address by its unsigned or its int32 value alike', () => {
    const set = createIPv4Set();
    set.add(0xc0a80001);
    expect(set.has(0xc0a80001 | 0)).toBe(true);
    set.delete(0xc0a80001 | 0);
    expect(set.has(0xc0a80001)).toBe(false);
  });

  // Many values close together and deletions in every order exercise the backward shift over long runs.
  it('answers as a Set of numbers does through 200,000 random adds and deletes', () => {
    const rnd = seededRandom(42);
    const set = createIPv4Set();
    const model = new Set<number>();
    for (let i = 0; i < 200_000; i++) {
      // A narrow range half the time, so runs collide; the whole space otherwise.
      const v = rnd() < 0.5 ? 0x0a000000 + Math.floor(rnd() * 5000) : Math.floor(rnd() * 2 ** 32);
      if (rnd() < 0.45) { set.delete(v); model.delete(v); } else { set.add(v); model.add(v); }
      if (i % 1000 === 0) expect(set.size).toBe(model.size);
    }
    expect(set.size).toBe(model.size);
    for (const v of model) expect(set.has(v)).toBe(true);
    for (let i = 0; i < 20_000; i++) {
      const v = 0x0a000000 + i;
      expect(set.has(v)).toBe(model.has(v));
    }
    for (const v of [...model]) { set.delete(v); expect(set.has(v)).toBe(false); }
    expect(set.size).toBe(0);
  });
});
