import { describe, expect, it } from "vitest";
import { mergedR2, windowMoments } from "./regression-moments.js";

/** Two passes over the raw values: the mean first, then the sums of squares (what scikit-learn does). */
function twoPassR2(ys: number[], ps: number[]): number {
  const mean = ys.reduce((a, b) => a + b, 0) / ys.length;
  const sst = ys.reduce((a, y) => a + (y - mean) ** 2, 0);
  const sse = ys.reduce((a, y, i) => a + (y - ps[i]!) ** 2, 0);
  return 1 - sse / sst;
}

function onePassR2(ys: number[], ps: number[]): number | null {
  const n = ys.length;
  const s = ys.reduce((a, b) => a + b, 0);
  const sq = ys.reduce((a, y) => a + y * y, 0);
  const sse = ys.reduce((a, y, i) => a + (y - ps[i]!) ** 2, 0);
  const sst = sq - (s * s) / n;
  return sst <= 0 ? null : 1 - sse / sst;
}

/** Seeded ETAs in epoch seconds near 1.7e9, spread by minutes, predictions off by a minute or so. */
function etas(n: number, seed: number, spread = 600): { ys: number[]; ps: number[] } {
  let x = seed;
  const r = () => (x = (x * 1103515245 + 12345) % 2147483648) / 2147483648;
  const ys: number[] = [];
  const ps: number[] = [];
  for (let i = 0; i < n; i++) {
    const y = 1_700_000_000 + Math.round(r() * spread);
    ys.push(y);
    ps.push(y + Math.round((r() - 0.5) * spread));
  }
  return { ys, ps };
}

describe("R² from mergeable window moments", () => {
  it("matches a two-pass computation to 1e-9 for targets near 1.7e9, merged over windows of any split", () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const { ys, ps } = etas(5000, seed);
      const exact = twoPassR2(ys, ps);
      for (const pieces of [1, 7, 12, 288]) {
        const size = Math.ceil(ys.length / pieces);
        const windows = Array.from({ length: pieces }, (_, k) =>
          windowMoments(ys.slice(k * size, (k + 1) * size), ps.slice(k * size, (k + 1) * size)),
        );
        expect(Math.abs(mergedR2(windows)! - exact)).toBeLessThan(1e-9);
      }
    }
  });

  it("where the one-pass Σy² − (Σy)²/n formula is off or undefined", () => {
    const misses = [1, 2, 3, 4, 5].map((seed) => {
      const { ys, ps } = etas(5000, seed, 60);
      const one = onePassR2(ys, ps);
      return one === null ? Infinity : Math.abs(one - twoPassR2(ys, ps));
    });
    // The old formula misses by far more than rounding on this data; the merged moments do not.
    expect(Math.max(...misses)).toBeGreaterThan(1e-3);
  });

  it("is undefined below two rows or without variance", () => {
    expect(mergedR2([windowMoments([1.7e9], [1.7e9])])).toBeNull();
    expect(mergedR2([windowMoments([1.7e9, 1.7e9], [1, 2])])).toBeNull();
    expect(mergedR2([])).toBeNull();
  });
});
