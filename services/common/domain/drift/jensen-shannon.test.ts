import { describe, expect, it } from "vitest";
import { jensenShannonDistance } from "./jensen-shannon.js";
import { cases, expectClose } from "./scipy-cases.fixture.js";

describe("jensenShannonDistance", () => {
  it("matches values worked out by hand", () => {
    expect(jensenShannonDistance([5, 0], [0, 3])).toBe(1);
    expect(jensenShannonDistance([1, 2, 0], [2, 4, 0])).toBe(0);
    // p = (1, 0), q = (½, ½), m = (¾, ¼): KL(p‖m) = ln 4/3, KL(q‖m) = ½·ln 4/3, so JSD = ¾·log2(4/3)
    expect(jensenShannonDistance([1, 0], [1, 1])).toBeCloseTo(Math.sqrt(0.75 * Math.log2(4 / 3)), 14);
  });

  it("matches scipy's jensenshannon(base=2)", () => {
    for (const c of cases.samples) {
      const { reference, current, jensenShannon } = c.binned;
      expectClose(jensenShannonDistance(reference.counts, current.counts), jensenShannon, c.name);
    }
    for (const c of cases.categorical) {
      expectClose(jensenShannonDistance(c.reference, c.current), c.jensenShannon, c.name);
    }
  });

  it("refuses histograms it cannot compare", () => {
    expect(() => jensenShannonDistance([1], [1, 2])).toThrow(/Jensen-Shannon needs the same bins/);
    expect(() => jensenShannonDistance([1, 2], [0, 0])).toThrow(/positive total.*q total is 0/);
  });
});
