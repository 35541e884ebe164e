import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { HASH_SEED, hashText } from './hash.js';

describe('the hash of the address tables', () => {
  it('is a function of the text within a process, and spreads texts that differ in one character', () => {
    expect(hashText('2001:db8::1')).toBe(hashText('2001:db8::1'));
    expect(Number.isInteger(HASH_SEED) && HASH_SEED === (HASH_SEED | 0)).toBe(true);
    const buckets = new Set(Array.from({ length: 1000 }, (_, i) => hashText(`2001:db8::${i.toString(16)}`) & 1023));
    // 1,000 texts into 1,024 buckets: ~630 distinct ones for a uniform hash, far fewer for a poor one.
    expect(buckets.size).toBeGreaterThan(550);
  });

  it('differs from process to process: an attacker cannot compute where his addresses land', () => {
    // The built module (npm test builds dist/ first), as the daemon loads it.
    const module = fileURLToPath(new URL('../../dist/core/hash.js', import.meta.url));
    const run = (): string[] => execFileSync(process.execPath, ['--input-type=module', '-e',
      `const h = await import(${JSON.stringify(module)}); process.stdout.write(h.HASH_SEED + ' ' + h.hashText('192.0.2.1'))`]).toString().split(' ');
    const runs = [run(), run(), run()];
    // The seed of the numeric tables, and the hash of a text: each a new one in every process.
    expect(new Set(runs.map((r) => r[0])).size).toBe(3);
    expect(new Set(runs.map((r) => r[1])).size).toBe(3);
  });
});
