/**
 * The product's label-free estimate of one window from the state it stores. Pure.
 *
 * A window keeps two sparse histograms on the same score bins (floor(score × bins)): every scored
 * prediction (window_volume, migration 018) and the labelled ones by class (window_label_stats'
 * AUC bins). Their difference per bin is the rows still without a label. The version's
 * calibration is fitted on its labelled bins over a bounded look-back (`calibrationSpan`), and
 * CBPE (cbpe.ts) gives accuracy, precision, recall, F1 and ROC AUC with intervals, counting the
 * window's own labels as certain, so the estimate becomes the realised value at full coverage.
 */
import type { Calibration } from "./calibration.js";
import { estimateWindow, type Estimate, type WindowEstimate } from "./cbpe.js";
import { type ScoreBins, windowGroupsFromBins } from "./score-bins.js";

/** One window's two histograms as stored: bins of every scored prediction, and of the labelled ones. */
export interface StoredWindowBins {
  scoreBins: readonly number[];
  scoreCounts: readonly number[];
  labelledBins: readonly number[];
  labelledPositives: readonly number[];
  labelledNegatives: readonly number[];
}

/**
 * The union of both histograms' bins, with the predictions, positives and negatives of each. A
 * bin's predictions are never fewer than its labelled rows: the two histograms are recomputed
 * apart, so for a moment the labels may count rows the volume has not yet.
 */
export function mergeWindowBins(w: StoredWindowBins): Required<ScoreBins> {
  const at = new Map<number, number>();
  const out = { bins: [] as number[], positives: [] as number[], negatives: [] as number[], predictions: [] as number[] };
  const slot = (bin: number) => {
    let i = at.get(bin);
    if (i === undefined) {
      i = out.bins.push(bin) - 1;
      out.positives.push(0);
      out.negatives.push(0);
      out.predictions.push(0);
      at.set(bin, i);
    }
    return i;
  };
  w.scoreBins.forEach((b, k) => {
    const i = slot(b);
    out.predictions[i]! += w.scoreCounts[k] ?? 0;
  });
  w.labelledBins.forEach((b, k) => {
    const i = slot(b);
    out.positives[i]! += w.labelledPositives[k] ?? 0;
    out.negatives[i]! += w.labelledNegatives[k] ?? 0;
  });
  for (let i = 0; i < out.bins.length; i++) out.predictions[i] = Math.max(out.predictions[i]!, out.positives[i]! + out.negatives[i]!);
  return out;
}

/** The estimate of one window: its merged histograms under the version's calibration and the declared threshold. */
export function estimateStoredWindow(
  w: StoredWindowBins,
  calibration: Calibration,
  threshold: number,
  bins: number,
  confidence = 0.95,
): WindowEstimate {
  return estimateWindow(windowGroupsFromBins(mergeWindowBins(w), bins), calibration, threshold, confidence);
}

/**
 * Where a version's calibration is fitted: its labelled windows in [fromS, toS), the label horizon
 * before the end of the range asked about (now, for a range reaching the present). The end is
 * rounded up to a whole day so that every request of a day shares one fit (and one cache entry),
 * and the read covers a horizon's windows however long the version's history.
 */
export function calibrationSpan(toMs: number | undefined, nowMs: number, horizonMs: number): { fromS: number; toS: number } {
  const endMs = toMs === undefined ? nowMs : Math.min(toMs, nowMs);
  const toS = Math.ceil(endMs / 86_400_000) * 86_400;
  return { fromS: Math.max(0, toS - Math.ceil(horizonMs / 1000)), toS };
}

/** The estimated metrics by their rule names (`estimated_accuracy`, …). */
export const ESTIMATE_FIELDS = {
  estimated_accuracy: "accuracy",
  estimated_precision: "precision",
  estimated_recall: "recall",
  estimated_f1: "f1",
  estimated_roc_auc: "rocAuc",
} as const satisfies Record<string, keyof WindowEstimate>;

export type EstimatedMetric = keyof typeof ESTIMATE_FIELDS;

export function estimatedValue(e: WindowEstimate, metric: EstimatedMetric): Estimate | null {
  return e[ESTIMATE_FIELDS[metric]];
}
