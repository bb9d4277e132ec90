import { describe, expect, it } from "vitest";
import { jensenShannonDistance } from "./jensen-shannon.js";
import { jensenShannonNull } from "./jensen-shannon-null.js";

function seeded(seed: number): () => number {
  let x = seed >>> 0;
  return () => (x = (Math.imul(x, 1664525) + 1013904223) >>> 0) / 4294967296;
}

function counts(random: () => number, weights: number[], n: number): number[] {
  const cdf: number[] = [];
  let total = 0;
  for (const w of weights) cdf.push((total += w));
  const out = new Array<number>(weights.length).fill(0);
  for (let i = 0; i < n; i++) {
    const u = random() * total;
    let lo = 0;
    let hi = cdf.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cdf[mid]! < u) lo = mid + 1;
      else hi = mid;
    }
    out[lo]!++;
  }
  return out;
}

describe("Jensen–Shannon divergence expected under the null", () => {
  it.each([
    [5, "flat", 1500],
    [200, "zipf", 5000],
    [1000, "flat", 5000],
    [1000, "zipf", 1500],
  ] as const)("%i categories (%s), windows of %i: mean and spread match a simulation of same-distribution pairs", (k, shape, n) => {
    const random = seeded(k + n);
    const weights = Array.from({ length: k }, (_, i) => (shape === "flat" ? 1 : 1 / (i + 1)));
    const observed: number[] = [];
    let predicted = 0;
    let predictedSd = 0;
    const R = 200;
    for (let r = 0; r < R; r++) {
      const a = counts(random, weights, 2000);
      const b = counts(random, weights, n);
      observed.push(jensenShannonDistance(a, b) ** 2);
      const nul = jensenShannonNull(a, b);
      predicted += nul.mean / R;
      predictedSd += nul.sd / R;
    }
    const mean = observed.reduce((s, v) => s + v, 0) / R;
    const sd = Math.sqrt(observed.reduce((s, v) => s + (v - mean) ** 2, 0) / (R - 1));
    // The simulated mean is known to within about 3 sd/√R; the null's to a few per cent.
    expect(Math.abs(predicted - mean)).toBeLessThan(0.03 * mean + (3 * sd) / Math.sqrt(R));
    expect(predictedSd / sd).toBeGreaterThan(0.7);
    expect(predictedSd / sd).toBeLessThan(1.4);
  });

  it("is zero when a side is empty, and counts the reference's missed categories by Good–Turing", () => {
    expect(jensenShannonNull([0, 5, 5], [0, 0, 0])).toEqual({ mean: 0, sd: 0 });
    // 10 categories seen once in a reference of 100: a window of that distribution holds ~10 % unseen values.
    const reference = [0, ...new Array<number>(10).fill(1), 90];
    const withOther = jensenShannonNull(reference, [10, ...new Array<number>(10).fill(1), 80], { otherBin: 0 });
    const without = jensenShannonNull(reference, [10, ...new Array<number>(10).fill(1), 80]);
    // The unseen bin alone is expected to add half the missing mass (0.05 bits); a pooled split would say less.
    expect(withOther.mean).toBeGreaterThan(0.05);
    expect(withOther.mean).toBeGreaterThan(without.mean);
  });
});
