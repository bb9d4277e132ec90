import { describe, expect, it } from "vitest";
import { benjaminiHochberg } from "./fdr.js";
import { cases, expectPValue } from "./scipy-cases.fixture.js";

describe("benjaminiHochberg", () => {
  it("matches values worked out by hand", () => {
    // p·m/rank is 0.05 at every rank
    const equal = benjaminiHochberg([0.01, 0.02, 0.03, 0.04, 0.05]);
    expect(equal.map((q) => q.toFixed(12))).toEqual(Array(5).fill("0.050000000000"));
    // sorted 0.01, 0.03, 0.04 → 0.03, 0.045, 0.04 → monotone from the top: 0.03, 0.04, 0.04
    const q = benjaminiHochberg([0.04, 0.01, 0.03]);
    expect(q[0]).toBeCloseTo(0.04, 15);
    expect(q[1]).toBeCloseTo(0.03, 15);
    expect(q[2]).toBeCloseTo(0.04, 15);
    expect(benjaminiHochberg([])).toEqual([]);
  });

  it("rejects the four hypotheses of Benjamini & Hochberg's (1995) example at 5 %", () => {
    const p = [0.0001, 0.0004, 0.0019, 0.0095, 0.0201, 0.0278, 0.0298, 0.0344, 0.0459, 0.324, 0.4262, 0.5719, 0.6528, 0.759, 1];
    const q = benjaminiHochberg(p);
    expect(q.filter((v) => v <= 0.05)).toHaveLength(4);
    expect(q[3]).toBeCloseTo((0.0095 * 15) / 4, 15);
    // rank 6 is pulled down to rank 7's 0.0298·15/7
    expect(q[5]).toBeCloseTo((0.0298 * 15) / 7, 15);
    expect(q[14]).toBe(1);
  });

  it("matches scipy's false_discovery_control (statsmodels' fdr_bh), NaN kept out of m", () => {
    for (const c of cases.fdr) {
      const got = benjaminiHochberg(c.p.map((v) => v ?? Number.NaN));
      c.q.forEach((want, i) => {
        if (want === null) expect(got[i], `${c.name}[${i}]`).toBeNaN();
        else expectPValue(got[i]!, want, `${c.name}[${i}]`);
      });
    }
  });

  it("refuses values that are not probabilities", () => {
    expect(() => benjaminiHochberg([0.5, 1.2])).toThrow(/p-values in \[0, 1\], got 1.2 at 1/);
  });
});
