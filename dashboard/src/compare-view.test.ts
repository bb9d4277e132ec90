import { describe, expect, it } from "vitest";
import { pairTable, points, pValue, readingBadge, variantName } from "./compare-view.js";

describe("the Compare page's reading", () => {
  it("names variants and colours readings", () => {
    expect(variantName({ version: "v5", stage: "shadow" })).toBe("v5 (shadow)");
    expect([readingBadge("promote"), readingBadge("hold"), readingBadge("roll back")]).toEqual(["ok", "warn", "crit"]);
  });

  it("writes a difference in accuracy points with its interval, and p-values", () => {
    expect(points({ value: 0.0333, low: -0.13, high: 0.19 })).toBe("+3.3 pts [−13.0, +19.0]");
    expect(pValue(0.0004)).toBe("p < 0.001");
    expect(pValue(0.8238)).toBe("p = 0.824");
  });

  it("lays the 2×2 table out with A's correctness in rows and B's in columns", () => {
    expect(pairTable({ both_right: 21, only_a: 9, only_b: 11, both_wrong: 19 })).toEqual([
      ["A right", 21, 9],
      ["A wrong", 11, 19],
    ]);
  });
});
