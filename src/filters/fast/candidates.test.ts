import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { ipv6KeyInto, parseAddress, parseIPv4Span } from '../../core/address.js';
import { HOST_PATTERN } from '../host.js';
import { createCandidates } from './candidates.js';

const HOST_EXACT = new RegExp(`^(?:${HOST_PATTERN})$`);

/** What the string path makes of a candidate: its address, `null` where <HOST> does not take it whole. */
const reference = (text: string): string | undefined | null =>
  (text.indexOf(':') === -1 || !HOST_EXACT.test(text) ? null : parseAddress(text));

describe('createCandidates', () => {
  it('answers each candidate as the string path does, among many that share slots, lengths and words', () => {
    let seed = 99;
    const rnd = (n: number): number => { seed = (Math.imul(seed, 1103515245) + 12345) >>> 0; return (seed >>> 8) % n; };
    const alphabet = '0123456789abcdefABCDEF:::::...%xg';
    // IPv6 addresses, near misses one byte apart (in a whole word or in the last one to three bytes), and
    // random texts of every length up to 60, past the 47 bytes a slot keeps.
    const base = Array.from({ length: 6000 }, (_, i) => `2001:db8:${(i * 7919 % 65536).toString(16)}::${(i % 4096).toString(16)}`);
    const nearMisses = base.flatMap((a) => {
      const at = rnd(a.length);
      return [`${a.slice(0, at)}${a[at] === '0' ? '1' : '0'}${a.slice(at + 1)}`, `${a}${alphabet[rnd(alphabet.length)]}`];
    });
    const random = Array.from({ length: 6000 }, () => Array.from({ length: 1 + rnd(60) }, () => alphabet[rnd(alphabet.length)]).join(''));
    const mapped = Array.from({ length: 500 }, (_, i) => `::ffff:10.0.${i >> 8}.${i & 255}`);
    const zoned = Array.from({ length: 500 }, (_, i) => `fe80::${i.toString(16)}%${'eth'.repeat(1 + rnd(12))}${i}`);
    const pool = [...base, ...nearMisses, ...random, ...mapped, ...zoned];
    const c = createCandidates();
    const key = new Int32Array(4);
    const bad: string[] = [];
    for (let round = 0; round < 3; round++) {
      for (let k = 0; k < pool.length; k++) {
        const text = pool[rnd(pool.length)]!;
        // The candidate in a line among other bytes: a reader past its ends would see them.
        const before = 'x'.repeat(rnd(9)), after = '0123456789abcdef:'.slice(rnd(17));
        const b = Buffer.from(`${before}${text}${after}`, 'latin1');
        const slot = c.slotOf(b, before.length, before.length + text.length);
        const want = reference(text);
        const v4 = want == null ? -1 : parseIPv4Span(want, 0, want.length);
        let ok = c.answers[slot] === want && c.ipv4[slot] === v4;
        if (ok && want != null && v4 < 0) {
          ipv6KeyInto(want, [0, 0, 0, 0, 0, 0, 0, 0], key, 0);
          ok = key.every((w, i) => c.keys[slot * 4 + i] === w);
        }
        if (!ok && bad.length < 5) bad.push(`${JSON.stringify(text)}: ${String(c.answers[slot])} (${c.ipv4[slot]}), want ${String(want)}`);
      }
    }
    expect(bad).toEqual([]);
  });

  it('keeps no long candidate: a flood of kilobyte texts where the address goes leaves the heap as it was', () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const c = createCandidates();
    const heap = (): number => { gc(); return process.memoryUsage().heapUsed; };
    const before = heap();
    // 60,000 distinct 8 KiB candidates (fewer than the 65,536 texts kept before the map starts over): 490 MB if
    // each were kept as a string.
    const b = Buffer.alloc(8192, 0x61);
    for (let i = 0; i < 60_000; i++) {
      b.write(i.toString(16).padStart(8, '0'), 0, 'latin1');
      expect(c.answers[c.slotOf(b, 0, b.length)]).toBeNull();
    }
    const grown = heap() - before;
    // `c` in use after the measure, so that what it holds is still live when the heap is measured.
    expect(c.answers[c.slotOf(b, 0, 8)]).toBeNull();
    expect(grown).toBeLessThan(50 * 2 ** 20);
  });
});
