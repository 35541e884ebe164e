/** fmix32 of MurmurHash3: every input bit reaches every output bit, so nearby addresses spread out. */
export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

/*
 * A secret of this process, mixed into the hash of every table keyed by addresses an attacker can choose. Any
 * host with an IPv6 /64 can send its failures from addresses it picks among 2^64; with a hash it could compute,
 * it would pick addresses that all land in one probe run, and every lookup would walk all of them. V8's own
 * generator seeds Math.random from the system's entropy at start; `node:crypto` would cost the idle daemon
 * ~2 MB of resident memory for OpenSSL (core/sha256.ts).
 */
const randomWord = (): number => (Math.random() * 2 ** 32) | 0;
/** Xored into the first word of every key before it is mixed. */
export const HASH_SEED = randomWord();
/** An odd multiplier for {@link hashText}, secret too. */
const TEXT_MULTIPLIER = randomWord() | 1;

/** A 32-bit hash of `text` under this process's secret: multiply-xor over its UTF-16 units, then fmix32. */
export function hashText(text: string): number {
  let h = HASH_SEED;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), TEXT_MULTIPLIER);
  return fmix32(h ^ text.length);
}
