import { describe, expect, it } from "vitest";
import { ksPValue, ksStatistic, ksStatisticFromBins } from "./kolmogorov-smirnov.js";
import { cases, expectClose, expectPValue, seededRandom } from "./scipy-cases.fixture.js";

describe("ksStatistic", () => {
  it("matches values worked out by hand", () => {
    expect(ksStatistic([1, 2, 3], [1, 2, 3])).toBe(0);
    expect(ksStatistic([0, 1], [2, 3, 4])).toBe(1);
    // F_a(1) = 2/3, F_b(1) = 1/3
    expect(ksStatistic([1, 1, 2], [2, 1, 2])).toBeCloseTo(1 / 3, 15);
    // F_a(1) = 1, F_b(1) = ½; comparing after one 1 from each side (½ vs ⅛, then 1 vs ¼) would report ¾
    expect(ksStatistic([1, 1], [1, 1, 1, 1, 2, 2, 2, 2])).toBe(0.5);
  });

  it("matches scipy's ks_2samp statistic, ties included", () => {
    for (const c of cases.samples) expectClose(ksStatistic(c.a, c.b), c.ks.statistic, c.name);
  });

  it("leaves its inputs unsorted", () => {
    const a = [3, 1, 2];
    ksStatistic(a, [0]);
    expect(a).toEqual([3, 1, 2]);
  });

  it("refuses empty samples and NaN", () => {
    expect(() => ksStatistic([], [1])).toThrow(/non-empty first sample/);
    expect(() => ksStatistic([1], [Number.NaN])).toThrow(/finite values: second has NaN/);
  });
});

describe("ksStatisticFromBins", () => {
  it("matches values worked out by hand", () => {
    expect(ksStatisticFromBins([1, 1], [2, 2])).toEqual({ statistic: 0, errorBound: 0.5 });
    expect(ksStatisticFromBins([2, 0], [0, 3])).toEqual({ statistic: 1, errorBound: 1 });
  });

  it("matches the numpy reference", () => {
    for (const c of cases.samples) {
      const got = ksStatisticFromBins(c.binned.reference.counts, c.binned.current.counts);
      expectClose(got.statistic, c.binned.ksFromBins.statistic, c.name);
      expectClose(got.errorBound, c.binned.ksFromBins.errorBound, c.name);
    }
  });

  it("brackets the exact statistic of the samples it was binned from", () => {
    const random = seededRandom(7);
    const edges = [-1.5, -0.5, 0, 0.5, 1, 2];
    // Integers land on edges, which checks the [e_{i−1}, e_i) convention; the others rarely do.
    const draw = (n: number, shift: number, integer: boolean) =>
      Array.from({ length: n }, () => {
        const v = (random() + random() + random() - 1.5) * 2 + shift;
        return integer ? Math.round(v) : v;
      });
    for (let trial = 0; trial < 300; trial++) {
      const integer = trial % 3 === 0;
      const a = draw(5 + Math.floor(random() * 200), 0, integer);
      const b = draw(5 + Math.floor(random() * 200), random() - 0.5, integer);
      const { statistic, errorBound } = ksStatisticFromBins(binCounts(a, edges), binCounts(b, edges));
      const exact = ksStatistic(a, b);
      expect(statistic).toBeLessThanOrEqual(exact + 1e-12);
      expect(exact).toBeLessThanOrEqual(statistic + errorBound + 1e-12);
    }
  });

  it("refuses histograms it cannot compare", () => {
    expect(() => ksStatisticFromBins([1, 2, 3], [1, 2])).toThrow(/KS needs the same bins/);
    expect(() => ksStatisticFromBins([0, 0], [1, 2])).toThrow(/KS needs a positive total/);
  });
});

describe("ksPValue", () => {
  it("matches values worked out by hand", () => {
    expect(ksPValue(0, 10, 10)).toBe(1);
    // n = m = 2 makes √(nm/(n+m)) = 1; 1.3581 is the textbook 5 % critical value of the Kolmogorov distribution
    expect(ksPValue(1.3580986393225505, 2, 2)).toBeCloseTo(0.05, 12);
  });

  it("matches scipy's kstwobign.sf across the range, to 1e-10", () => {
    for (const c of cases.kolmogorov) {
      const what = `D=${c.statistic}, n=${c.n}, m=${c.m}`;
      expectPValue(ksPValue(c.statistic, c.n, c.m), c.p, what);
      expect(Math.abs(ksPValue(c.statistic, c.n, c.m) - c.p), what).toBeLessThanOrEqual(1e-10 * Math.min(1, c.p));
    }
    for (const c of cases.samples) expectPValue(ksPValue(c.ks.statistic, c.a.length, c.b.length), c.ks.pValue, c.name);
  });

  it("refuses empty samples", () => {
    expect(() => ksPValue(0.5, 0, 10)).toThrow(/positive sample sizes/);
  });
});

function binCounts(values: number[], edges: number[]): number[] {
  const counts = new Array<number>(edges.length + 1).fill(0);
  for (const v of values) {
    const bin = edges.filter((e) => e <= v).length;
    counts[bin]!++;
  }
  return counts;
}
