/**
 * Confidence-based performance estimation (CBPE) of a binary classifier over one window. Pure.
 *
 * With calibrated probabilities p, a row predicted positive (score ≥ the declared threshold) is a
 * true positive with probability p and a false positive otherwise; a row predicted negative is a
 * false negative with probability p. Summing gives the expected confusion matrix, hence accuracy,
 * precision, recall and F1; ROC AUC is the expected share of (positive, negative) pairs ranked right
 * by the model's own score.
 *
 * Labels already in the window count as certain: a labelled row contributes its realised outcome
 * and no variance, an unlabelled one its expectation and Bernoulli variance. Accuracy is then
 * exactly coverage × realised-on-labelled + (1 − coverage) × expected-on-unlabelled, and every
 * metric reaches its realised value with a zero-width interval at full coverage.
 *
 * Intervals (normal approximation, clipped to [0, 1]) come from the per-row Bernoulli variance:
 * exact for accuracy and precision, by the delta method for recall and F1 (TP and FN are
 * independent sums), and for ROC AUC Hanley & McNeil's standard error at the expected class counts,
 * scaled by √(unlabelled share), a documented approximation.
 */
import { type Calibration, calibrate } from "./calibration.js";
import { normalQuantile } from "../intervals.js";

/** Rows of the window sharing a score (or a narrow score bin that does not straddle the threshold). */
export interface WindowGroup {
  score: number;
  /** Rows without a label yet. */
  unlabelled: number;
  /** Labelled rows whose label is the positive class. */
  positives: number;
  negatives: number;
}

export interface Estimate {
  value: number;
  low: number;
  high: number;
}

export interface WindowEstimate {
  rows: number;
  labelled: number;
  /** Expected confusion matrix (realised counts for labelled rows). */
  tp: number;
  fp: number;
  fn: number;
  tn: number;
  accuracy: Estimate | null;
  precision: Estimate | null;
  recall: Estimate | null;
  f1: Estimate | null;
  rocAuc: Estimate | null;
}

function interval(value: number, variance: number, z: number): Estimate {
  const half = z * Math.sqrt(Math.max(0, variance));
  return { value, low: Math.max(0, value - half), high: Math.min(1, value + half) };
}

export function estimateWindow(
  groups: readonly WindowGroup[],
  calibration: Calibration,
  threshold: number,
  confidence = 0.95,
): WindowEstimate {
  return estimateWithProbabilities(
    groups.map((g) => ({ ...g, probability: calibrate(calibration, g.score) })),
    threshold,
    confidence,
  );
}

/**
 * The same with each group's probability of the positive class given: from a calibration, or
 * (in a benchmark's oracle) the true one. The score still decides the prediction and the ranking.
 */
export function estimateWithProbabilities(
  groups: readonly (WindowGroup & { probability: number })[],
  threshold: number,
  confidence = 0.95,
): WindowEstimate {
  const z = normalQuantile(confidence);
  let tp = 0;
  let fp = 0;
  let fn = 0;
  let tn = 0;
  let varTp = 0;
  let varFn = 0;
  let rows = 0;
  let labelled = 0;
  let unlabelledVar = 0;
  const masses: { score: number; pos: number; neg: number }[] = [];
  for (const g of groups) {
    const n = g.unlabelled + g.positives + g.negatives;
    if (n <= 0) continue;
    const p = g.probability;
    const pos = g.positives + g.unlabelled * p;
    const neg = g.negatives + g.unlabelled * (1 - p);
    const v = g.unlabelled * p * (1 - p);
    rows += n;
    labelled += g.positives + g.negatives;
    unlabelledVar += v;
    if (g.score >= threshold) {
      tp += pos;
      fp += neg;
      varTp += v;
    } else {
      fn += pos;
      tn += neg;
      varFn += v;
    }
    masses.push({ score: g.score, pos, neg });
  }
  const predictedPositive = tp + fp;
  const actualPositive = tp + fn;
  const f1Denominator = predictedPositive + actualPositive;
  return {
    rows,
    labelled,
    tp,
    fp,
    fn,
    tn,
    accuracy: rows > 0 ? interval((tp + tn) / rows, (varTp + varFn) / (rows * rows), z) : null,
    precision: predictedPositive > 0 ? interval(tp / predictedPositive, varTp / predictedPositive ** 2, z) : null,
    recall: actualPositive > 0 ? interval(tp / actualPositive, (fn ** 2 * varTp + tp ** 2 * varFn) / actualPositive ** 4, z) : null,
    f1:
      f1Denominator > 0
        ? interval((2 * tp) / f1Denominator, (4 * ((predictedPositive + fn) ** 2 * varTp + tp ** 2 * varFn)) / f1Denominator ** 4, z)
        : null,
    rocAuc: expectedRocAuc(masses, unlabelledVar, rows - labelled, rows, z),
  };
}

/**
 * E[pairs ranked right] / E[positive × negative pairs], ties counting one half. A row is never
 * paired with itself, so its own p(1 − p) leaves both sums (that is all `selfPairs` corrects).
 */
function expectedRocAuc(
  masses: { score: number; pos: number; neg: number }[],
  selfPairs: number,
  unlabelled: number,
  rows: number,
  z: number,
): Estimate | null {
  masses.sort((a, b) => a.score - b.score);
  let negBelow = 0;
  let right = 0;
  let positives = 0;
  // Rows sharing a score are tied: pairs among them count one half.
  for (let i = 0; i < masses.length; ) {
    const score = masses[i]?.score;
    let pos = 0;
    let neg = 0;
    for (let m = masses[i]; m !== undefined && m.score === score; m = masses[++i]) {
      pos += m.pos;
      neg += m.neg;
    }
    right += pos * (negBelow + neg / 2);
    negBelow += neg;
    positives += pos;
  }
  const negatives = negBelow;
  const pairs = positives * negatives - selfPairs;
  if (!(pairs > 0) || positives < 1 || negatives < 1) return null;
  const auc = Math.min(1, Math.max(0, (right - selfPairs / 2) / pairs));
  // Hanley & McNeil (1982) at the expected class counts.
  const q1 = auc / (2 - auc);
  const q2 = (2 * auc * auc) / (1 + auc);
  const hm = (auc * (1 - auc) + (positives - 1) * (q1 - auc * auc) + (negatives - 1) * (q2 - auc * auc)) / (positives * negatives);
  return interval(auc, hm * (unlabelled / rows), z);
}

/** Groups a window's rows by score: the shape `estimateWindow` takes. */
export function groupRows(rows: readonly { score: number; label?: 0 | 1 | null }[]): WindowGroup[] {
  const byScore = new Map<number, WindowGroup>();
  for (const r of rows) {
    let g = byScore.get(r.score);
    if (g === undefined) {
      g = { score: r.score, unlabelled: 0, positives: 0, negatives: 0 };
      byScore.set(r.score, g);
    }
    if (r.label === 1) g.positives++;
    else if (r.label === 0) g.negatives++;
    else g.unlabelled++;
  }
  return [...byScore.values()];
}
