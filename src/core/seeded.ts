/**
 * A seeded pseudo-random generator (mulberry32) for property tests: the same seed gives the same sequence
 * on every machine, so a failure found once can be replayed. Not for anything an attacker may predict.
 */
export function seededRandom(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
