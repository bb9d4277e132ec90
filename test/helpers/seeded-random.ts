/**
 * mulberry32: a tiny seeded uniform generator for tests and benchmarks, separate from the
 * product's own (services/demo/random.ts) so that checks share no code with what they check.
 * Its period (2^32) is far above the draws any of them makes.
 */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
