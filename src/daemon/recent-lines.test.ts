import { describe, expect, it } from 'vitest';
import type { Address } from '../core/address.js';
import { seededRandom } from '../core/seeded.js';
import type { Hit } from '../core/types.js';
import { createRecentLines, type RecentLinesLimits } from './recent-lines.js';

const PER_ADDRESS = 4;
const WORDS = ['Failed password for root from', 'Invalid user', 'é', 'Ünïcödé', '😀 surrogate pair', 'x'.repeat(300), ''];

/**
 * Random adds, takes and deletes on a RecentLines and on a plain list of every hit; `check` compares what
 * the ring answers with what the list says it should, given which hits `expectHeld` says are still held.
 */
function replay(limits: RecentLinesLimits, ops: number, seed: number, check: (got: Hit[], since: Hit[], address: Address) => void, addresses = 30): void {
  const rnd = seededRandom(seed);
  const ring = createRecentLines('sshd', PER_ADDRESS, limits);
  /** Every hit of each address since it was last taken or deleted, oldest first. */
  const chains = new Map<Address, Hit[]>();
  const pool = Array.from({ length: addresses }, (_, i) => (i % 3 === 0 ? `2001:db8::${i.toString(16)}` : `198.51.${i >> 8}.${i & 255}`) as Address);
  for (let i = 0; i < ops; i++) {
    const address = pool[Math.floor(rnd() * pool.length)]!;
    const r = rnd();
    if (r < 0.8) {
      const line = `${i} ${WORDS[Math.floor(rnd() * WORDS.length)]} ${address}`;
      const hit: Hit = { address, jail: 'sshd', at: 1_000 + i, line, rule: Math.floor(rnd() * 5) };
      // An ASCII line comes as text or, half the time, as bytes amid other bytes (the bytes path of a jail).
      if (/^[\x00-\x7f]*$/.test(line) && rnd() < 0.5) {
        const buf = Buffer.from(`junk\n${line}\nmore`, 'latin1');
        ring.addBytes(address, hit.at, hit.rule!, buf, 5, 5 + line.length);
      } else {
        ring.add(address, hit.at, hit.rule!, line);
      }
      chains.set(address, [...(chains.get(address) ?? []), hit]);
      // The hit just added is always there, whatever the limits.
      expect(ring.of(address).at(-1)).toEqual(hit);
    } else if (r < 0.9) {
      check(ring.take(address), chains.get(address) ?? [], address);
      chains.delete(address);
      expect(ring.of(address)).toEqual([]);
    } else if (r < 0.93) {
      ring.delete(address);
      chains.delete(address);
      expect(ring.of(address)).toEqual([]);
    } else {
      check(ring.of(address), chains.get(address) ?? [], address);
    }
  }
}

describe('recent lines', () => {
  it('gives the newest hits of an address since it was last taken, oldest first, when nothing was overwritten', () => {
    let checked = 0;
    replay({ slots: 1 << 20, bytes: 1 << 26 }, 20_000, 1, (got, since) => {
      expect(got).toEqual(since.slice(-PER_ADDRESS));
      checked++;
    });
    expect(checked).toBeGreaterThan(2_000);
  });

  it('holds the newest `slots` hits of all addresses: older ones are gone, and so is an address with none left', () => {
    const slots = 40;
    let seq = 0;
    const seqOf = new Map<string, number>();
    const ring = createRecentLines('sshd', PER_ADDRESS, { slots, bytes: 1 << 26 });
    const rnd = seededRandom(2);
    const chains = new Map<Address, Hit[]>();
    for (let i = 0; i < 20_000; i++) {
      const address = `2001:db8::${Math.floor(rnd() * 25)}` as Address;
      if (rnd() < 0.85) {
        const hit: Hit = { address, jail: 'sshd', at: i, line: `line ${i}`, rule: 0 };
        ring.add(address, hit.at, 0, hit.line);
        seqOf.set(hit.line, seq++);
        chains.set(address, [...(chains.get(address) ?? []), hit]);
      } else {
        const held = (chains.get(address) ?? []).filter((h) => seqOf.get(h.line)! >= seq - slots);
        expect(ring.take(address)).toEqual(held.slice(-PER_ADDRESS));
        chains.delete(address);
      }
      if (i % 97 === 0) {
        const withHits = [...chains].filter(([, hits]) => hits.some((h) => seqOf.get(h.line)! >= seq - slots));
        expect(ring.size()).toBe(withHits.length);
      }
    }
  });

  it('finds the hits of thousands of addresses coming and going through few slots (its index of newest hits)', () => {
    // Far more addresses than slots, a slot count no power of two, and as many takes and deletes as the
    // replay makes: the index's probe runs collide, wrap, and lose members from their middle.
    for (const slots of [7, 100, 1000]) {
      let seq = 0;
      const seqOf = new Map<string, number>();
      const ring = createRecentLines('sshd', PER_ADDRESS, { slots, bytes: 1 << 26 });
      const rnd = seededRandom(slots);
      const chains = new Map<Address, Hit[]>();
      for (let i = 0; i < 30_000; i++) {
        const n = Math.floor(rnd() * 3000);
        const address = (n % 2 === 0 ? `2001:db8::${n.toString(16)}` : `198.51.${n >> 8}.${n & 255}`) as Address;
        const held = (): Hit[] => (chains.get(address) ?? []).filter((h) => seqOf.get(h.line)! >= seq - slots);
        const r = rnd();
        if (r < 0.8) {
          const hit: Hit = { address, jail: 'sshd', at: i, line: `line ${i}`, rule: 0 };
          ring.add(address, hit.at, 0, hit.line);
          seqOf.set(hit.line, seq++);
          chains.set(address, [...(chains.get(address) ?? []), hit]);
        } else if (r < 0.9) {
          expect(ring.take(address)).toEqual(held().slice(-PER_ADDRESS));
          chains.delete(address);
        } else if (r < 0.95) {
          ring.delete(address);
          chains.delete(address);
        } else {
          expect(ring.of(address)).toEqual(held().slice(-PER_ADDRESS));
        }
        if (i % 101 === 0) {
          const withHits = [...chains].filter(([, hits]) => hits.some((h) => seqOf.get(h.line)! >= seq - slots));
          expect(ring.size()).toBe(withHits.length);
        }
        // Now and then every address with hits held, each of which its chain must still reach.
        if (i % 5_000 === 4_999) {
          for (const [a, hits] of chains) expect(ring.of(a)).toEqual(hits.filter((h) => seqOf.get(h.line)! >= seq - slots).slice(-PER_ADDRESS));
        }
      }
    }
  });

  it('holds at most `bytes` of lines: what it gives is whole, in order, the newest of its address', () => {
    const bytes = 2_000;
    let checked = 0, partial = 0;
    replay({ slots: 1 << 20, bytes }, 20_000, 3, (got, since) => {
      const tail = since.slice(since.length - got.length);
      expect(got).toEqual(tail);
      expect(got.length).toBeLessThanOrEqual(PER_ADDRESS);
      expect(got.reduce((n, h) => n + Buffer.byteLength(h.line), 0)).toBeLessThanOrEqual(bytes);
      if (got.length < Math.min(PER_ADDRESS, since.length)) partial++;
      checked++;
    });
    // The bound was reached, and reading went on after it.
    expect(partial).toBeGreaterThan(100);
    expect(checked).toBeGreaterThan(2_000);
  });

  it('keeps the first part of a line longer than it could hold', () => {
    const ring = createRecentLines('sshd', 3, { slots: 8, bytes: 300 });
    const a = '192.0.2.1' as Address;
    // A Latin-1 line is kept one byte a character: the ring's whole size.
    ring.add(a, 1, 0, 'y'.repeat(1_000));
    expect(ring.of(a)).toEqual([{ address: a, jail: 'sshd', at: 1, line: 'y'.repeat(300), rule: 0 }]);
    expect(ring.take(a).map((h) => h.line)).toEqual(['y'.repeat(300)]);
    expect(ring.size()).toBe(0);
    // It filled the ring: the next line overwrites it.
    ring.add(a, 2, 1, 'short');
    expect(ring.of(a).map((h) => h.line)).toEqual(['short']);
    ring.delete(a);
    // A wider one as UTF-8, up to three bytes a UTF-16 unit: a third of the characters.
    ring.add(a, 3, 0, '\u20ac'.repeat(1_000));
    expect(ring.take(a).map((h) => h.line)).toEqual(['\u20ac'.repeat(100)]);
    // As bytes, a line is exactly as long as its bytes: the ring's whole size is kept.
    ring.addBytes(a, 4, 0, Buffer.from('z'.repeat(1_000)), 0, 1_000);
    expect(ring.take(a).map((h) => h.line)).toEqual(['z'.repeat(300)]);
  });
});
