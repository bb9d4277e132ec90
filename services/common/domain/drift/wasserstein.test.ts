import { describe, expect, it } from "vitest";
import { cases, expectClose, seededRandom } from "./scipy-cases.fixture.js";
import { normalisedWasserstein, wassersteinDistance, wassersteinFromBins, type BinnedSample } from "./wasserstein.js";

describe("wassersteinDistance", () => {
  it("matches values worked out by hand", () => {
    expect(wassersteinDistance([0], [1])).toBe(1);
    expect(wassersteinDistance([2, 1, 2], [1, 2, 2])).toBe(0);
    expect(wassersteinDistance([0, 1, 3], [5, 6, 8])).toBe(5);
    // half the mass moves from 0 to 2
    expect(wassersteinDistance([0, 2], [2, 2])).toBe(1);
  });

  it("matches scipy's wasserstein_distance", () => {
    for (const c of cases.samples) expectClose(wassersteinDistance(c.a, c.b), c.wasserstein.distance, c.name);
  });

  it("refuses empty samples", () => {
    expect(() => wassersteinDistance([1], [])).toThrow(/non-empty second sample/);
  });
});

describe("wassersteinFromBins", () => {
  it("is exact when each bin holds one value", () => {
    const ref: BinnedSample = { counts: [1, 0, 1], sums: [0, 0, 3], min: 0, max: 3 };
    const cur: BinnedSample = { counts: [0, 2, 0], sums: [0, 3, 0], min: 1.5, max: 1.5 };
    expect(wassersteinFromBins([1, 2], ref, ref)).toEqual({ distance: 0, errorBound: 2 * (0.5 * 1 + 0.5 * 1) });
    // ref = {0, 3}, cur = {1.5, 1.5}: each value moves 1.5
    expect(wassersteinFromBins([1, 2], ref, cur).distance).toBe(1.5);
  });

  it("matches scipy's weighted wasserstein_distance on the bin means", () => {
    for (const c of cases.samples) {
      const got = wassersteinFromBins(c.binned.edges, c.binned.reference, c.binned.current);
      expectClose(got.distance, c.binned.wassersteinFromBins.distance, c.name);
      expectClose(got.errorBound, c.binned.wassersteinFromBins.errorBound, c.name);
    }
  });

  it("is within its error bound of the exact distance", () => {
    const random = seededRandom(11);
    const edges = [-2, -1, -0.25, 0, 0.5, 1.5, 3];
    const draw = (n: number, shift: number, spread: number) =>
      Array.from({ length: n }, () => (random() + random() + random() + random() - 2) * spread + shift);
    for (let trial = 0; trial < 300; trial++) {
      const a = draw(5 + Math.floor(random() * 250), 0, 1.5);
      const b = draw(5 + Math.floor(random() * 250), random() * 2 - 1, 0.5 + 2 * random());
      const { distance, errorBound } = wassersteinFromBins(edges, binned(a, edges), binned(b, edges));
      expect(Math.abs(wassersteinDistance(a, b) - distance)).toBeLessThanOrEqual(errorBound + 1e-12);
    }
  });

  it("refuses summaries that do not fit the edges", () => {
    const ok: BinnedSample = { counts: [1, 1], sums: [0, 2], min: 0, max: 2 };
    expect(() => wassersteinFromBins([1, 2], ok, ok)).toThrow(/needs 3 bins for 2 edges: reference has 2 counts/);
    expect(() => wassersteinFromBins([1, 1], ok, ok)).toThrow(/strictly ascending edges/);
    expect(() => wassersteinFromBins([1], ok, { counts: [0, 0], sums: [0, 0], min: 0, max: 0 })).toThrow(
      /positive total: the current total is 0/,
    );
  });
});

describe("normalisedWasserstein", () => {
  it("divides by the reference's standard deviation, as scipy and numpy give it", () => {
    expect(normalisedWasserstein(0.5, 2)).toBe(0.25);
    for (const c of cases.samples) {
      const { distance, referenceStd, normalised } = c.wasserstein;
      expectClose(normalisedWasserstein(distance, referenceStd), normalised, c.name);
    }
  });

  it("handles a constant reference without inventing a scale", () => {
    expect(normalisedWasserstein(0, 0)).toBe(0);
    expect(normalisedWasserstein(0.1, 0)).toBe(Infinity);
  });
});

function binned(values: number[], edges: number[]): BinnedSample {
  const counts = new Array<number>(edges.length + 1).fill(0);
  const sums = new Array<number>(edges.length + 1).fill(0);
  for (const v of values) {
    const bin = edges.filter((e) => e <= v).length;
    counts[bin]!++;
    sums[bin]! += v;
  }
  return { counts, sums, min: Math.min(...values), max: Math.max(...values) };
}
