import { describe, expect, it } from "vitest";
import { MAX_THRESHOLD, aimedRecall, chooseThreshold, chooseThresholdWithMargin, missedUpperBound, type ScoredAlert } from "./threshold.js";

describe("chooseThreshold", () => {
  it("picks the highest threshold that keeps the target recall of acted-on alerts", () => {
    // 10 acted (one already surfaced by a guard rail), target 0.8 → 2 misses allowed among the decidable.
    const acted = [0.05, 0.1, 0.2, 0.3, 0.35, 0.4, 0.45, 0.46, 0.47].map((score) => ({ score, acted: true, decidable: true, weight: 1 }));
    const scored = [
      ...acted,
      { score: 0, acted: true, decidable: false, weight: 1 },
      { score: 0.01, acted: false, decidable: true, weight: 1 },
    ];
    expect(chooseThreshold(scored, 0.8)).toBe(0.2);
    expect(chooseThreshold(scored, 1)).toBe(0.05);
  });
  it("counts an explored alert for the would-be-suppressed alerts it stands for", () => {
    // Acted weights 1 + 20 + 1 + 1 + 1 = 24; target 0.9 allows 2.4 misses. The lowest (weight 1) fits,
    // the explored one (weight 20) does not: it must surface, so the threshold is its score.
    const scored = [0.02, 0.05, 0.2, 0.3, 0.4].map((score) => ({ score, acted: true, decidable: true, weight: score === 0.05 ? 20 : 1 }));
    expect(chooseThreshold(scored, 0.9)).toBe(0.05);
    // Unweighted, two misses fit and the threshold would be 0.2.
    expect(
      chooseThreshold(
        scored.map((s) => ({ ...s, weight: 1 })),
        0.6,
      ),
    ).toBe(0.2);
  });
  it("keeps each type's recall above its floor once the type has used its allowance", () => {
    // 100 acted: type x at 0.01, 0.02, 0.03 and type y (97) at 0.4. A 95 % target allows 5 misses overall,
    // enough for x's three; a 90 % floor with an allowance of 1 lets x miss only one (0.3 of 3 < 1).
    const scored = [
      ...[0.01, 0.02, 0.03].map((score) => ({ score, acted: true, decidable: true, weight: 1, key: "x" })),
      ...Array.from({ length: 97 }, () => ({ score: 0.4, acted: true, decidable: true, weight: 1, key: "y" })),
    ];
    expect(chooseThreshold(scored, 0.95)).toBe(0.4);
    expect(chooseThreshold(scored, 0.95, { floor: 0.9, allowance: 1 })).toBe(0.02);
    expect(chooseThreshold(scored, 0.95, { floor: 0.9, allowance: 3 })).toBe(0.4);
  });
  it("never goes above 0.5, nor without acted alerts", () => {
    expect(chooseThreshold([{ score: 0.9, acted: true, decidable: true, weight: 1 }], 1)).toBe(0.5);
    expect(chooseThreshold([{ score: 0.1, acted: false, decidable: true, weight: 1 }], 0.99)).toBe(0.5);
  });
});

/** 1,000 acted-on alerts scored 0.001, 0.002, …, and 4,000 not acted on scored below them all. */
const thousandActed = (): ScoredAlert[] => [
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

  it("aims on the folds at the target's missed share divided by the folds' optimism", () => {
    expect(aimedRecall({ targetRecall: 0.99, foldOptimism: 2 })).toBeCloseTo(0.995, 12);
    expect(aimedRecall({ targetRecall: 0.99, foldOptimism: 1 })).toBeCloseTo(0.99, 12);
    // Optimism below 1 would aim below the target: it counts as 1.
    expect(aimedRecall({ targetRecall: 0.98, foldOptimism: 0.5 })).toBeCloseTo(0.98, 12);
  });
});
