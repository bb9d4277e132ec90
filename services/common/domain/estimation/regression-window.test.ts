import { describe, expect, it } from "vitest";
import { estimateErrorWindow, type StoredErrorWindow, windowErrorSums } from "./regression-window.js";

const Z95 = 1.959963984540054;
const none = { n: 0, abs: 0, sq: 0, variance: 0, sqSquared: 0 };

// Four predictions: two labelled with errors +1 and −3 (Σ|e| = 4, Σe² = 10), both stamped with
// E|e| = 1.5, E[e²] = 3; one unlabelled stamped with E|e| = 2, E[e²] = 5; one with no stamp.
const WINDOW: StoredErrorWindow = {
  predictions: 4,
  labelled: 2,
  realisedAbs: 4,
  realisedSq: 10,
  stamped: { n: 3, abs: 1.5 + 1.5 + 2, sq: 3 + 3 + 5, variance: 0.75 + 0.75 + 1, sqSquared: 9 + 9 + 25 },
  labelledStamped: { n: 2, abs: 3, sq: 6, variance: 1.5, sqSquared: 18 },
};

describe("the regression estimate of a stored window", () => {
  it("counts labelled rows as realised, unlabelled stamped ones by their stamps, unstamped ones by the version's mean error", () => {
    const e = estimateErrorWindow(WINDOW, { kurtosis: 3, meanAbs: 1, meanSq: 2 });
    expect(e).toMatchObject({ rows: 4, labelled: 2, unmodelled: 1, fallback: "version" });
    // MAE = (4 + 2 + 1) / 4; Var|e| = (5 − 4) + (2 − 1); MSE = (10 + 5 + 2) / 4; Σ E[e²]² = 25 + 4, κ − 1 = 2.
    const maeHalf = (Z95 * Math.sqrt(2)) / 4;
    const mseHalf = (Z95 * Math.sqrt(2 * 29)) / 4;
    expect(e.mae!.value).toBeCloseTo(1.75, 14);
    expect(e.mae!.low).toBeCloseTo(1.75 - maeHalf, 14);
    expect(e.mae!.high).toBeCloseTo(1.75 + maeHalf, 14);
    expect(e.rmse!.value).toBeCloseTo(Math.sqrt(4.25), 14);
    expect(e.rmse!.low).toBeCloseTo(Math.sqrt(4.25 - mseHalf), 14);
    expect(e.rmse!.high).toBeCloseTo(Math.sqrt(4.25 + mseHalf), 14);
  });

  it("falls back on the window's labelled mean error when the version has no model, and has no estimate with neither", () => {
    const unstamped: StoredErrorWindow = {
      predictions: 4,
      labelled: 2,
      realisedAbs: 4,
      realisedSq: 10,
      stamped: none,
      labelledStamped: none,
    };
    const e = estimateErrorWindow(unstamped, null);
    expect(e).toMatchObject({ unmodelled: 2, fallback: "window" });
    // Two unlabelled rows at the labelled mean (|e| 2, e² 5): the labelled MAE and RMSE.
    expect(e.mae!.value).toBeCloseTo(2, 14);
    expect(e.rmse!.value).toBeCloseTo(Math.sqrt(5), 14);
    // Var|e| = 2 × (5 − 4), Σ E[e²]² = 2 × 25, κ = 3 without a model.
    expect(e.mae!.high - e.mae!.value).toBeCloseTo((Z95 * Math.sqrt(2)) / 4, 14);
    expect(e.rmse!.high).toBeCloseTo(Math.sqrt(5 + (Z95 * Math.sqrt(2 * 50)) / 4), 14);
    expect(estimateErrorWindow({ ...unstamped, labelled: 0, realisedAbs: 0, realisedSq: 0 }, null)).toEqual({
      rows: 4,
      labelled: 0,
      mae: null,
      rmse: null,
      unmodelled: 4,
      fallback: null,
    });
  });

  it("is the realised MAE and RMSE with no width at full coverage", () => {
    const full: StoredErrorWindow = { ...WINDOW, predictions: 2, stamped: WINDOW.labelledStamped };
    const e = estimateErrorWindow(full, { kurtosis: 5, meanAbs: 1, meanSq: 2 });
    expect(e).toMatchObject({ unmodelled: 0, fallback: null });
    expect(e.mae).toEqual({ value: 2, low: 2, high: 2 });
    expect(e.rmse).toEqual({ value: Math.sqrt(5), low: Math.sqrt(5), high: Math.sqrt(5) });
  });

  it("counts labels ahead of the volume (recomputed apart) as rows, never a negative number unestimated", () => {
    const ahead: StoredErrorWindow = { ...WINDOW, predictions: 1, stamped: none };
    expect(windowErrorSums(ahead, null)).toMatchObject({ unmodelled: 0, sums: { rows: 2, labelled: 2, expectedAbs: 0 } });
  });
});
