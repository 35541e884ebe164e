import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { seededRandom } from './seeded.js';
import { sha256Hex } from './sha256.js';

const reference = (text: string): string => createHash('sha256').update(text).digest('hex');

describe('sha256Hex', () => {
  it('gives the FIPS 180-4 digests of the standard test messages', () => {
    expect(sha256Hex('')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(sha256Hex('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq'))
      .toBe('248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1');
  });

  it('agrees with node:crypto on every length around the block borders and on random text, non-ASCII included', () => {
    const rnd = seededRandom(7);
    const alphabet = 'abcXYZ019 \n\\^$()[]{}<>é€😀\u0000';
    for (let n = 0; n < 300; n++) {
      const text = Array.from({ length: n < 200 ? n : Math.floor(rnd() * 5000) }, () => alphabet[Math.floor(rnd() * alphabet.length)]).join('');
      expect(sha256Hex(text), `length ${text.length}`).toBe(reference(text));
    }
  });
});
