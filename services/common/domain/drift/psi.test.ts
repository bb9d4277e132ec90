import { describe, expect, it } from "vitest";
import { populationStabilityIndex } from "./psi.js";
import { cases, expectClose } from "./scipy-cases.fixture.js";

describe("populationStabilityIndex", () => {
  it("matches values worked out by hand", () => {
    // p = (½, ½), q = (¼, ¾): −¼·ln ½ + ¼·ln 1.5 = ¼·ln 3
    expect(populationStabilityIndex([50, 50], [25, 75])).toBeCloseTo(0.25 * Math.log(3), 12);
    // the empty reference bin counts as 1e-4: ½·ln 2 + (½ − 1e-4)·ln(½ / 1e-4)
    expect(populationStabilityIndex([100, 0], [50, 50])).toBeCloseTo(0.5 * Math.log(2) + 0.4999 * Math.log(5000), 12);
    expect(populationStabilityIndex([3, 7, 0], [30, 70, 0])).toBe(0);
  });

  it("matches the numpy reference on binned samples and category counts", () => {
    for (const c of cases.samples) {
      expectClose(populationStabilityIndex(c.binned.reference.counts, c.binned.current.counts), c.binned.psi, c.name);
    }
    for (const c of cases.categorical) expectClose(populationStabilityIndex(c.reference, c.current), c.psi, c.name);
  });

  it("refuses histograms it cannot compare", () => {
    expect(() => populationStabilityIndex([1, 2], [1, 2, 3])).toThrow(/same bins.*reference has 2, current 3/);
    expect(() => populationStabilityIndex([0, 0], [1, 2])).toThrow(/positive total.*reference total is 0/);
    expect(() => populationStabilityIndex([1, -1, 2], [1, 2, 3])).toThrow(/non-negative counts/);
  });
});
