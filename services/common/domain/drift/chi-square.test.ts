import { describe, expect, it } from "vitest";
import { chiSquareHomogeneity, chiSquareSurvival } from "./chi-square.js";
import { cases, expectClose, expectPValue } from "./scipy-cases.fixture.js";

describe("chiSquareSurvival", () => {
  it("is exp(−x/2) for two degrees of freedom, far into the tail", () => {
    for (const x of [0.001, 0.5, 2, 3.9, 10, 50, 200, 1000]) {
      expect(Math.abs(chiSquareSurvival(x, 2) / Math.exp(-x / 2) - 1), `x=${x}`).toBeLessThan(1e-12);
    }
    expect(chiSquareSurvival(0, 3)).toBe(1);
  });

  it("matches scipy's chi2.sf to 1e-10 relative", () => {
    for (const c of cases.chiSquareSurvival) {
      const got = chiSquareSurvival(c.x, c.dof);
      expectPValue(got, c.p, `x=${c.x}, dof=${c.dof}`);
      expect(Math.abs(got - c.p) / c.p, `x=${c.x}, dof=${c.dof}`).toBeLessThanOrEqual(1e-10);
    }
  });

  it("refuses non-positive degrees of freedom", () => {
    expect(() => chiSquareSurvival(1, 0)).toThrow(/positive degrees of freedom/);
  });
});

describe("chiSquareHomogeneity", () => {
  it("matches values worked out by hand", () => {
    // [10, 20] vs [20, 10]: every expected count is 15, so χ² = 4·5²/15 = 20/3 on 1 dof
    const swapped = chiSquareHomogeneity([10, 20], [20, 10]);
    expect(swapped.statistic).toBeCloseTo(20 / 3, 12);
    expect(swapped.dof).toBe(1);
    expect(swapped.pValue).toBeCloseTo(0.009823274507519235, 12); // scipy.stats.chi2.sf(20/3, 1)
    expect(chiSquareHomogeneity([10, 20, 30], [20, 40, 60])).toEqual({ statistic: 0, dof: 2, pValue: 1 });
    expect(chiSquareHomogeneity([0, 12, 0], [0, 7, 0])).toEqual({ statistic: 0, dof: 0, pValue: 1 });
  });

  it("matches scipy's chi2_contingency(correction=False)", () => {
    const all = [
      ...cases.categorical.map((c) => ({ name: c.name, ref: c.reference, cur: c.current, want: c.chiSquare })),
      ...cases.samples.map((c) => ({
        name: c.name,
        ref: c.binned.reference.counts,
        cur: c.binned.current.counts,
        want: c.binned.chiSquare,
      })),
    ];
    for (const { name, ref, cur, want } of all) {
      const got = chiSquareHomogeneity(ref, cur);
      expectClose(got.statistic, want.statistic, name);
      expect(got.dof, name).toBe(want.dof);
      expectPValue(got.pValue, want.pValue, name);
    }
  });

  it("refuses tables it cannot test", () => {
    expect(() => chiSquareHomogeneity([1, 2], [1])).toThrow(/chi-square needs the same bins/);
    expect(() => chiSquareHomogeneity([1, 2], [0, 0])).toThrow(/counts on both sides.*current total 0/);
    expect(() => chiSquareHomogeneity([1, Number.NaN], [1, 2])).toThrow(/non-negative counts: category 1/);
  });
});
