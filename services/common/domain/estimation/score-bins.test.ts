import { describe, expect, it } from "vitest";
import { seededRandom } from "../../../../test/helpers/seeded-random.js";
import { fitCalibration } from "./calibration.js";
import { estimateWindow, groupRows } from "./cbpe.js";
import { binRows, calibrationFromBins, windowGroupsFromBins } from "./score-bins.js";

const BINS = 10_000;

describe("estimation from score bins", () => {
  const rand = seededRandom(5);
  const draw = (labelled: number) => {
    const score = rand();
    const label = (rand() < score ** 1.3 ? 1 : 0) as 0 | 1;
    return rand() < labelled ? { score, label } : { score };
  };

  it("agrees with the row-level estimate to the width of a bin", () => {
    const history = Array.from({ length: 30_000 }, () => draw(1));
    const window = Array.from({ length: 3_000 }, () => draw(0.3));
    const exact = estimateWindow(groupRows(window), fitCalibration(groupRows(history)), 0.65);
    const binned = estimateWindow(
      windowGroupsFromBins(binRows(window, BINS), BINS),
      calibrationFromBins(binRows(history, BINS), BINS),
      0.65,
    );
    expect(binned.rows).toBe(3_000);
    expect(binned.labelled).toBe(exact.labelled);
    for (const k of ["accuracy", "precision", "recall", "f1", "rocAuc"] as const)
      expect(Math.abs((binned[k]?.value ?? 0) - (exact[k]?.value ?? 1)), k).toBeLessThan(2e-3);
  });

  it("splits predictions exactly at a threshold on a bin edge", () => {
    // 0.65 is the lower edge of bin 6500: 0.64999 is predicted negative, 0.65 positive.
    const groups = windowGroupsFromBins(binRows([{ score: 0.64999 }, { score: 0.65 }], BINS), BINS);
    const identity = { knots: [0, 1], rates: [0, 1], rows: 1 };
    const e = estimateWindow(groups, identity, 0.65);
    expect(e.tp + e.fp).toBeCloseTo(1, 12);
    expect(e.fn + e.tn).toBeCloseTo(1, 12);
  });

  it("reads labelled and unlabelled counts per bin", () => {
    const g = windowGroupsFromBins({ bins: [10], positives: [2], negatives: [1], predictions: [7] }, 100);
    expect(g).toEqual([{ score: 0.105, positives: 2, negatives: 1, unlabelled: 4 }]);
  });
});
