import { describe, expect, it } from "vitest";
import { chooseThreshold } from "../../common/domain/suppressor/replay.js";
import { type MarginAlert, MAX_THRESHOLD, chooseThresholdWithMargin, missedUpperBound } from "./threshold.js";

/** 1,000 acted-on alerts scored 0.001, 0.002, …, and 4,000 not acted on scored below them all. */
const thousandActed = (): MarginAlert[] => [
  ...Array.from({ length: 1000 }, (_, i) => ({ score: (i + 1) / 1000, acted: true, decidable: true, weight: 1 })),
  ...Array.from({ length: 4000 }, (_, i) => ({ score: i / 1e7, acted: false, decidable: true, weight: 1 })),
];

describe("the missed count's upper bound", () => {
  it("is m + 1 + z·√(v + 1), and the plain count without a margin", () => {
    expect(missedUpperBound(0, 0, 1)).toBeCloseTo(2, 12);
    expect(missedUpperBound(10, 10, 1.5)).toBeCloseTo(11 + 1.5 * Math.sqrt(11), 12);
    // One explored answer standing for 20 alerts: its variance is 400, not 20.
    expect(missedUpperBound(20, 400, 1)).toBeCloseTo(21 + Math.sqrt(401), 12);
    expect(missedUpperBound(7, 7, 0)).toBe(7);
  });
});

describe("the threshold with a margin", () => {
  it("without a margin keeps exactly the target, as the domain's rule does", () => {
    const scored = thousandActed();
    // 1 % of 1,000 is 10 misses: the 11th acted-on alert (score 0.011) must surface.
    expect(chooseThresholdWithMargin(scored, 0.99, 0)).toBeCloseTo(0.011, 12);
    expect(chooseThresholdWithMargin(scored, 0.99, 0)).toBe(chooseThreshold(scored, 0.99));
  });

  it("with z = 1 allows only the misses whose bound fits the budget", () => {
    // m + 1 + √(m + 1) ≤ 10: m = 6 gives 9.65, m = 7 gives 10.83. So 6 may be missed and the 7th surfaces.
    expect(chooseThresholdWithMargin(thousandActed(), 0.99, 1)).toBeCloseTo(0.007, 12);
    // z = 2: m + 1 + 2√(m + 1) ≤ 10 holds up to m = 4 (9.47); m = 5 gives 10.90.
    expect(chooseThresholdWithMargin(thousandActed(), 0.99, 2)).toBeCloseTo(0.005, 12);
  });

  it("counts an alert's weight in the variance as its square", () => {
    // The lowest acted-on alert stands for 20 (an explored answer): its bound 21 + √401 is past 1 % of 1,019.
    const scored = thousandActed();
    scored[0] = { ...scored[0]!, weight: 20 };
    expect(chooseThresholdWithMargin(scored, 0.99, 1)).toBeCloseTo(0.001, 12);
  });

  it("never counts alerts the model does not decide, and stops at MAX_THRESHOLD", () => {
    const scored = thousandActed().map((s) => (s.acted && s.score <= 0.5 ? { ...s, decidable: false } : s));
    // Only acted-on alerts above 0.5 could be missed; holding back below any of them is capped.
    expect(chooseThresholdWithMargin(scored, 0.99, 1)).toBe(MAX_THRESHOLD);
    expect(chooseThresholdWithMargin([{ score: 0.2, acted: false, decidable: true, weight: 1 }], 0.99, 1)).toBe(MAX_THRESHOLD);
  });

  it("bounds each type within a model by its floor or its allowance", () => {
    // Type "a" holds the 20 lowest-scored acted-on alerts: 10 % of 20 is 2, its allowance is 2, so its 3rd surfaces.
    const scored = thousandActed().map((s, i) => (s.acted ? { ...s, key: i < 20 ? "a" : "b" } : s));
    expect(chooseThresholdWithMargin(scored, 0.99, 0, { floor: 0.9, allowance: 2 })).toBeCloseTo(0.003, 12);
    // A larger allowance lets the overall budget bind again (10 misses without a margin).
    expect(chooseThresholdWithMargin(scored, 0.99, 0, { floor: 0.9, allowance: 12 })).toBeCloseTo(0.011, 12);
  });
});
