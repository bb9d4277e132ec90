import { describe, expect, it } from "vitest";
import { seededRandom } from "../../../../test/helpers/seeded-random.js";
import { fitCalibration } from "./calibration.js";
import { estimateWindow, groupRows } from "./cbpe.js";
import { binRows, calibrationFromBins } from "./score-bins.js";
import { ESTIMATED_ERROR_METRICS, ESTIMATED_METRICS } from "../../../../schemas/rules.js";
import { calibrationSpan, ESTIMATE_FIELDS, estimatedValue, estimateStoredWindow, mergeWindowBins } from "./window-estimates.js";

const BINS = 10_000;
const DAY_S = 86_400;

/** The stored form of rows: every scored row in one histogram, the labelled ones in the other (as ClickHouse keeps them). */
function stored(rows: { score: number; label?: 0 | 1 }[]) {
  const all = binRows(rows, BINS);
  const labelled = binRows(
    rows.filter((r) => r.label !== undefined),
    BINS,
  );
  return {
    scoreBins: all.bins,
    scoreCounts: all.predictions,
    labelledBins: labelled.bins,
    labelledPositives: labelled.positives,
    labelledNegatives: labelled.negatives,
  };
}

describe("mergeWindowBins", () => {
  it("aligns both histograms on the union of their bins (hand-made)", () => {
    const merged = mergeWindowBins({
      scoreBins: [10, 20, 30],
      scoreCounts: [5, 1, 2],
      labelledBins: [20, 10],
      labelledPositives: [1, 2],
      labelledNegatives: [0, 1],
    });
    expect(merged).toEqual({ bins: [10, 20, 30], predictions: [5, 1, 2], positives: [2, 1, 0], negatives: [1, 0, 0] });
  });

  it("never counts fewer predictions than labelled rows in a bin (the volume not yet recomputed)", () => {
    const merged = mergeWindowBins({
      scoreBins: [10],
      scoreCounts: [1],
      labelledBins: [10, 40],
      labelledPositives: [2, 0],
      labelledNegatives: [1, 3],
    });
    expect(merged).toEqual({ bins: [10, 40], predictions: [3, 3], positives: [2, 0], negatives: [1, 3] });
  });
});

describe("estimateStoredWindow", () => {
  const rand = seededRandom(18);
  // Scores on bin midpoints ((k + 0.5) / 10,000), so the binned and the row-level computations see the same scores.
  const draw = (labelled: number) => {
    const score = (Math.floor(rand() * 1000) * 10 + 0.5) / BINS;
    const label = (rand() < score ** 1.5 ? 1 : 0) as 0 | 1;
    return rand() < labelled ? { score, label } : { score };
  };

  it("equals CBPE on the window's rows under the calibration fitted on the history's rows", () => {
    const history = Array.from({ length: 20_000 }, () => draw(1));
    const window = Array.from({ length: 2_000 }, () => draw(0.4));
    const calibration = calibrationFromBins(binRows(history, BINS), BINS);
    const exact = estimateWindow(groupRows(window), fitCalibration(groupRows(history)), 0.65);
    const e = estimateStoredWindow(stored(window), calibration, 0.65, BINS);
    expect(e.rows).toBe(2_000);
    expect(e.labelled).toBe(exact.labelled);
    for (const k of ["accuracy", "precision", "recall", "f1", "rocAuc"] as const) {
      expect(e[k]?.value, k).toBeCloseTo(exact[k]!.value, 12);
      expect(e[k]?.low, k).toBeCloseTo(exact[k]!.low, 12);
      expect(e[k]?.high, k).toBeCloseTo(exact[k]!.high, 12);
    }
  });

  it("is the realised value, with a zero-width interval, once every row is labelled", () => {
    // Hand-made: threshold 0.65; rows (score, label): TP 0.9/1, 0.7/1; FP 0.8/0; FN 0.3/1; TN 0.1/0, 0.5/0.
    const rows: { score: number; label: 0 | 1 }[] = [
      { score: 0.90005, label: 1 },
      { score: 0.70005, label: 1 },
      { score: 0.80005, label: 0 },
      { score: 0.30005, label: 1 },
      { score: 0.10005, label: 0 },
      { score: 0.50005, label: 0 },
    ];
    // Any calibration: labelled rows count as certain.
    const skewed = fitCalibration([
      { score: 0.2, positives: 9, negatives: 1 },
      { score: 0.8, positives: 9, negatives: 1 },
    ]);
    const e = estimateStoredWindow(stored(rows), skewed, 0.65, BINS);
    expect([e.tp, e.fp, e.fn, e.tn]).toEqual([2, 1, 1, 2]);
    expect(e.accuracy).toEqual({ value: 4 / 6, low: 4 / 6, high: 4 / 6 });
    expect(e.precision?.value).toBeCloseTo(2 / 3, 12);
    expect(e.recall?.value).toBeCloseTo(2 / 3, 12);
    expect(e.f1?.value).toBeCloseTo(4 / 6, 12);
    // Positives 0.9, 0.7, 0.3 against negatives 0.8, 0.5, 0.1: 3 + 2 + 1 of 9 pairs ranked right.
    expect(e.rocAuc?.value).toBeCloseTo(6 / 9, 12);
    expect(e.rocAuc?.high).toBeCloseTo(6 / 9, 12);
    expect(estimatedValue(e, "estimated_roc_auc")).toBe(e.rocAuc);
    expect(estimatedValue(e, "estimated_f1")).toBe(e.f1);
  });

  it("without any calibration reads scores as probabilities, honouring the threshold", () => {
    // 0.60005 under a 0.65 threshold is a negative prediction, right with probability 1 − 0.60005.
    const e = estimateStoredWindow(stored([{ score: 0.60005 }]), { knots: [], rates: [], rows: 0 }, 0.65, BINS);
    expect(e.accuracy?.value).toBeCloseTo(0.39995, 12);
    expect(e.tp + e.fp).toBe(0);
  });
});

describe("calibrationSpan", () => {
  const horizon = 30 * DAY_S * 1000;
  it("ends at the end of the day of now for a range reaching the present, one horizon long", () => {
    const now = Date.UTC(2026, 11, 6, 19, 30) as number;
    const end = Date.UTC(2026, 11, 7) / 1000;
    expect(calibrationSpan(undefined, now, horizon)).toEqual({ fromS: end - 30 * DAY_S, toS: end });
    expect(calibrationSpan(now + 5 * DAY_S * 1000, now, horizon)).toEqual({ fromS: end - 30 * DAY_S, toS: end });
  });

  it("ends at the end of the range's last day for a past range; a day boundary stays", () => {
    const now = Date.UTC(2026, 11, 6);
    expect(calibrationSpan(Date.UTC(2026, 0, 10, 1), now, horizon).toS).toBe(Date.UTC(2026, 0, 11) / 1000);
    expect(calibrationSpan(Date.UTC(2026, 0, 10), now, horizon).toS).toBe(Date.UTC(2026, 0, 10) / 1000);
  });
});

it("knows every estimated rule metric of binary models, and no other (regression's are estimated_mae and estimated_rmse)", () => {
  expect([...Object.keys(ESTIMATE_FIELDS), ...ESTIMATED_ERROR_METRICS].sort()).toEqual([...ESTIMATED_METRICS].sort());
  expect([...ESTIMATED_ERROR_METRICS].sort()).toEqual(["estimated_mae", "estimated_rmse"]);
});
