import { describe, expect, it } from "vitest";
import { seededRandom } from "../../../../test/helpers/seeded-random.js";
import { type Calibration, fitCalibration } from "./calibration.js";
import { estimateWindow, groupRows, type WindowEstimate } from "./cbpe.js";

/** A calibration that maps every score to itself (knots at 0 and 1). */
const IDENTITY: Calibration = { knots: [0, 1], rates: [0, 1], rows: 1 };

/** Realised metrics of labelled rows, by definition (pairs counted one by one for ROC AUC). */
function realised(rows: { score: number; label: 0 | 1 }[], threshold: number) {
  let tp = 0;
  let fp = 0;
  let fn = 0;
  let tn = 0;
  for (const r of rows) {
    const positive = r.score >= threshold;
    if (positive && r.label === 1) tp++;
    else if (positive) fp++;
    else if (r.label === 1) fn++;
    else tn++;
  }
  let right = 0;
  let pairs = 0;
  for (const a of rows)
    for (const b of rows)
      if (a.label === 1 && b.label === 0) {
        pairs++;
        right += a.score > b.score ? 1 : a.score === b.score ? 0.5 : 0;
      }
  return {
    accuracy: (tp + tn) / rows.length,
    precision: tp / (tp + fp),
    recall: tp / (tp + fn),
    f1: (2 * tp) / (2 * tp + fp + fn),
    rocAuc: right / pairs,
  };
}

describe("estimateWindow", () => {
  it("gives the expected confusion matrix and metrics of three unlabelled rows (hand-computed)", () => {
    // Scores 0.9, 0.6, 0.2 under threshold 0.65: only 0.9 is predicted positive, so 0.6 is a
    // negative prediction that is right with probability 0.4.
    const e = estimateWindow(groupRows([{ score: 0.9 }, { score: 0.6 }, { score: 0.2 }]), IDENTITY, 0.65);
    expect(e.tp).toBeCloseTo(0.9, 12);
    expect(e.fp).toBeCloseTo(0.1, 12);
    expect(e.fn).toBeCloseTo(0.8, 12);
    expect(e.tn).toBeCloseTo(1.2, 12);
    expect(e.accuracy?.value).toBeCloseTo(2.1 / 3, 12);
    expect(e.precision?.value).toBeCloseTo(0.9, 12);
    expect(e.recall?.value).toBeCloseTo(0.9 / 1.7, 12);
    expect(e.f1?.value).toBeCloseTo(1.8 / 2.7, 12);
    // Accuracy variance: 0.09 + 0.24 + 0.16 over 9.
    expect(e.accuracy?.low).toBeCloseTo(0.7 - 1.959963984540054 * Math.sqrt(0.49 / 9), 12);
    expect(e.accuracy?.high).toBe(1);
    // E[pairs ranked right] = 0.9·0.4 + 0.9·0.8 + 0.6·0.8; E[P·N] = Σ_{i≠j} p_i (1 − p_j) = 1.72.
    expect(e.rocAuc?.value).toBeCloseTo(1.56 / 1.72, 12);
  });

  it("matches a brute-force expectation over every labelling", () => {
    const scores = [0.95, 0.8, 0.7, 0.66, 0.64, 0.5, 0.3, 0.1];
    let tp = 0;
    let fn = 0;
    let correct = 0;
    let right = 0;
    let pairs = 0;
    for (let mask = 0; mask < 1 << scores.length; mask++) {
      let prob = 1;
      const labels = scores.map((s, i) => {
        const y = (mask >> i) & 1;
        prob *= y ? s : 1 - s;
        return y;
      });
      scores.forEach((s, i) => {
        const positive = s >= 0.65;
        if (positive && labels[i]) tp += prob;
        if (!positive && labels[i]) fn += prob;
        if (positive === (labels[i] === 1)) correct += prob;
        scores.forEach((t, j) => {
          if (labels[i] && !labels[j]) {
            pairs += prob;
            if (s > t) right += prob;
          }
        });
      });
    }
    const e = estimateWindow(groupRows(scores.map((score) => ({ score }))), IDENTITY, 0.65);
    expect(e.tp).toBeCloseTo(tp, 12);
    expect(e.fn).toBeCloseTo(fn, 12);
    expect(e.accuracy?.value).toBeCloseTo(correct / scores.length, 12);
    expect(e.rocAuc?.value).toBeCloseTo(right / pairs, 12);
  });

  it("honours the declared threshold", () => {
    const rows = groupRows([{ score: 0.6 }, { score: 0.9 }]);
    const at65 = estimateWindow(rows, IDENTITY, 0.65);
    const at50 = estimateWindow(rows, IDENTITY, 0.5);
    expect(at65.accuracy?.value).toBeCloseTo((0.4 + 0.9) / 2, 12);
    expect(at50.accuracy?.value).toBeCloseTo((0.6 + 0.9) / 2, 12);
    // A score equal to the threshold is a positive prediction, as in the product's SQL.
    expect(estimateWindow(groupRows([{ score: 0.65 }]), IDENTITY, 0.65).tp).toBeCloseTo(0.65, 12);
  });

  it("uses the calibrated probability, not the raw score", () => {
    // History where a 0.6 is positive only one time in five.
    const c = fitCalibration([
      { score: 0.6, positives: 20, negatives: 80 },
      { score: 0.9, positives: 90, negatives: 10 },
    ]);
    const e = estimateWindow(groupRows([{ score: 0.6 }]), c, 0.65);
    expect(e.accuracy?.value).toBeCloseTo(0.8, 12);
  });

  it("blends with the labels already in the window and reaches the realised value at full coverage", () => {
    const rand = seededRandom(11);
    const rows = Array.from({ length: 400 }, () => {
      const score = Math.round(rand() * 100) / 100;
      return { score, label: (rand() < score ? 1 : 0) as 0 | 1 };
    });
    const truth = realised(rows, 0.65);
    const full = estimateWindow(groupRows(rows), IDENTITY, 0.65);
    for (const k of ["accuracy", "precision", "recall", "f1", "rocAuc"] as const) {
      const m = full[k];
      expect(m?.value).toBeCloseTo(truth[k], 12);
      expect(m?.low).toBeCloseTo(truth[k], 12);
      expect(m?.high).toBeCloseTo(truth[k], 12);
    }
    // Half labelled: accuracy is exactly the coverage-weighted mean of the two parts.
    const half = rows.map((r, i) => (i % 2 === 0 ? r : { score: r.score }));
    const e = estimateWindow(groupRows(half), IDENTITY, 0.65);
    const labelledPart = realised(
      rows.filter((_, i) => i % 2 === 0),
      0.65,
    ).accuracy;
    const unlabelledPart = estimateWindow(groupRows(rows.filter((_, i) => i % 2 === 1).map((r) => ({ score: r.score }))), IDENTITY, 0.65)
      .accuracy?.value as number;
    expect(e.labelled).toBe(200);
    expect(e.accuracy?.value).toBeCloseTo(0.5 * labelledPart + 0.5 * unlabelledPart, 12);
    const none = estimateWindow(groupRows(rows.map((r) => ({ score: r.score }))), IDENTITY, 0.65);
    const width = (x: WindowEstimate) => (x.accuracy?.high ?? 0) - (x.accuracy?.low ?? 0);
    expect(width(e)).toBeLessThan(width(none));
  });

  it("covers the realised metrics of a calibrated stream most of the time", () => {
    const rand = seededRandom(2026);
    // True probability: a skewed score whose calibration map is s^1.5 (so calibration is needed).
    const draw = () => {
      const score = Math.round(rand() ** 0.8 * 1000) / 1000;
      return { score, label: (rand() < score ** 1.5 ? 1 : 0) as 0 | 1 };
    };
    const calibration = fitCalibration(groupRows(Array.from({ length: 50_000 }, draw)));
    const windows = 200;
    const hits = { accuracy: 0, precision: 0, recall: 0, f1: 0, rocAuc: 0 };
    for (let w = 0; w < windows; w++) {
      const rows = Array.from({ length: 500 }, draw);
      const truth = realised(rows, 0.65);
      const e = estimateWindow(groupRows(rows.map((r) => ({ score: r.score }))), calibration, 0.65);
      for (const k of Object.keys(hits) as (keyof typeof hits)[]) {
        const m = e[k];
        if (m && m.low <= truth[k] && truth[k] <= m.high) hits[k]++;
      }
    }
    for (const k of Object.keys(hits) as (keyof typeof hits)[]) expect(hits[k] / windows, k).toBeGreaterThan(0.88);
  });

  it("reports undefined metrics as null", () => {
    const e = estimateWindow(groupRows([{ score: 0.1, label: 0 }]), IDENTITY, 0.65);
    expect(e.precision).toBeNull();
    expect(e.recall).toBeNull();
    expect(e.rocAuc).toBeNull();
    expect(e.accuracy?.value).toBe(1);
    expect(estimateWindow([], IDENTITY, 0.65).accuracy).toBeNull();
  });
});
