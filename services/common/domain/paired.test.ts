import { describe, expect, it } from "vitest";
import {
  addErrorPair,
  comparePairedClassification,
  comparePairedRegression,
  decide,
  decidePairedRegression,
  EMPTY_ERRORS,
  mcnemar,
  mergeErrorMoments,
  newcombePairedInterval,
  waldPairedInterval,
} from "./paired.js";

// Fagerland, Lydersen & Laake, "Statistical Analysis of Contingency Tables" (2017), ch. 8: complete
// response before and after consolidation therapy (Cavo et al., 2012), table [[59, 6], [16, 80]].
// Read here as B = the first measurement (rows), A = the second (columns).
const CAVO = { bothRight: 59, onlyB: 6, onlyA: 16, bothWrong: 80 };

describe("McNemar's test", () => {
  it("is the exact binomial test below 25 discordant pairs", () => {
    // 2 · Σ_{k≤6} C(22, k) / 2²² = 2 · 110056 / 4194304, by hand.
    const r = mcnemar(CAVO.onlyA, CAVO.onlyB);
    expect(r.method).toBe("exact");
    expect(r.pValue).toBeCloseTo((2 * 110056) / 4194304, 12);
    // (0, 0) and a balanced table say nothing; p is capped at 1.
    expect(mcnemar(0, 0).pValue).toBe(1);
    expect(mcnemar(3, 3).pValue).toBe(1);
    // One-sided extreme: 0 of 10 → 2 / 2¹⁰.
    expect(mcnemar(10, 0).pValue).toBeCloseTo(2 / 1024, 14);
  });

  it("is chi-square with continuity correction from 25 discordant pairs", () => {
    // (|30 − 12| − 1)² / 42 = 289 / 42; p from statsmodels' mcnemar(exact=False, correction=True).
    const r = mcnemar(30, 12);
    expect(r.method).toBe("chi-square-cc");
    expect(r.statistic).toBeCloseTo(289 / 42, 12);
    expect(r.pValue).toBeCloseTo(0.008711912962379598, 9);
  });
});

describe("the paired difference in accuracy", () => {
  it("gives Newcombe's interval as the book prints it", () => {
    const r = newcombePairedInterval(CAVO);
    expect(r.value).toBeCloseTo(-10 / 161, 12);
    expect(r.low).toBeCloseTo(-0.1186, 4);
    expect(r.high).toBeCloseTo(-0.0046, 4);
  });

  it("gives the Wald interval worked by hand", () => {
    // −10/161 ± 1.959964 · √(22 − 100/161) / 161
    const r = waldPairedInterval(CAVO);
    const half = (1.959963984540054 * Math.sqrt(22 - 100 / 161)) / 161;
    expect(r.low).toBeCloseTo(-10 / 161 - half, 12);
    expect(r.high).toBeCloseTo(-10 / 161 + half, 12);
  });

  it("stays inside [−1, 1] where Wald does not", () => {
    const all = { bothRight: 0, onlyA: 0, onlyB: 5, bothWrong: 0 };
    expect(waldPairedInterval(all).high).toBe(1); // zero width at 1, degenerate
    const r = newcombePairedInterval(all);
    expect(r.value).toBe(1);
    expect(r.high).toBeLessThanOrEqual(1);
    expect(r.low).toBeLessThan(1);
    expect(r.low).toBeGreaterThan(0);
  });
});

describe("comparePairedClassification", () => {
  it("reports accuracies, agreement over every pair and the reading", () => {
    const r = comparePairedClassification({ ...CAVO, agreeing: 300, pairs: 400 });
    expect(r.labelled).toBe(161);
    expect(r.accuracyA).toBeCloseTo(75 / 161, 12);
    expect(r.accuracyB).toBeCloseTo(65 / 161, 12);
    expect(r.agreement?.value).toBe(0.75);
    // Wilson for 300 / 400 at 95 %, from statsmodels' proportion_confint(300, 400, method="wilson").
    expect(r.agreement?.low).toBeCloseTo(0.7053228670693259, 9);
    expect(r.agreement?.high).toBeCloseTo(0.7899209857635259, 9);
    expect(r.decision.reading).toBe("roll back");
    expect(r.decision.reason).toMatch(/below −margin/);
  });
});

describe("paired regression errors", () => {
  // d = |e_B| − |e_A| = −1, 0, 2, −3, 1, −2, −1, 0, −2, −4: mean −1, Σ(d − mean)² = 30.
  const errorsA = [2, 1, -1, 4, 0, 3, -2, 1, 2, -5];
  const d = [-1, 0, 2, -3, 1, -2, -1, 0, -2, -4];
  const errorsB = errorsA.map((a, i) => -(Math.abs(a) + (d[i] as number)));

  it("gives the t-interval and p-value worked by hand", () => {
    const s = errorsA.reduce((acc, a, i) => addErrorPair(acc, a, errorsB[i] as number), EMPTY_ERRORS);
    const r = comparePairedRegression(s);
    expect(r.pairs).toBe(10);
    expect(r.maeA).toBeCloseTo(2.1, 12);
    expect(r.maeB).toBeCloseTo(1.1, 12);
    // se = √(30/9/10) = 0.577350; t(0.975, 9) = 2.262157; p from scipy.stats.ttest_1samp.
    expect(r.difference?.value).toBeCloseTo(-1, 12);
    expect(r.difference?.low).toBeCloseTo(-2.306057046923054, 9);
    expect(r.difference?.high).toBeCloseTo(0.30605704692305413, 9);
    expect(r.difference?.pValue).toBeCloseTo(0.11730680301423822, 9);
    expect(decidePairedRegression(r, { minPairs: 5, margin: 0 }).reading).toBe("hold");
    // Accepting a loss of 0.5 units of absolute error: the gain's interval [−0.31, 2.31] lies above −0.5.
    expect(decidePairedRegression(r, { minPairs: 5, margin: 0.5 }).reading).toBe("promote");
  });

  it("merges windows exactly as one pass over their pairs", () => {
    const one = errorsA.reduce((acc, a, i) => addErrorPair(acc, a, errorsB[i] as number), EMPTY_ERRORS);
    const head = errorsA.slice(0, 4).reduce((acc, a, i) => addErrorPair(acc, a, errorsB[i] as number), EMPTY_ERRORS);
    const tail = errorsA.slice(4).reduce((acc, a, i) => addErrorPair(acc, a, errorsB[i + 4] as number), EMPTY_ERRORS);
    const merged = mergeErrorMoments(head, tail);
    expect(merged.n).toBe(one.n);
    expect(merged.mean).toBeCloseTo(one.mean, 12);
    expect(merged.m2).toBeCloseTo(30, 10);
    expect(mergeErrorMoments(EMPTY_ERRORS, EMPTY_ERRORS)).toEqual(EMPTY_ERRORS);
  });
});

describe("decide", () => {
  const options = { minPairs: 100, margin: 0.01 };
  it("reads the interval against −margin", () => {
    expect(decide({ value: 0.02, low: -0.005, high: 0.04 }, 500, options).reading).toBe("promote");
    expect(decide({ value: -0.03, low: -0.05, high: -0.011 }, 500, options).reading).toBe("roll back");
    expect(decide({ value: -0.005, low: -0.02, high: 0.01 }, 500, options).reading).toBe("hold");
    expect(decide({ value: 0.2, low: 0.1, high: 0.3 }, 99, options)).toEqual({
      reading: "hold",
      reason: "fewer than 100 labelled pairs (99)",
    });
  });
});
