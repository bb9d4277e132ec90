/**
 * Estimation from binned scores: the bounded state the product keeps. Pure.
 *
 * Windows already hold labelled rows as sparse score bins (bin = floor(score × bins), with positive
 * and negative counts; `auc_bins`, `auc_pos`, `auc_neg`). Summed over a version's labelled history
 * they are the calibration's input; with a window's score histogram over every prediction beside
 * them they are the estimate's. Both stay within `bins` entries whatever the history's length.
 *
 * A bin stands for its midpoint. A threshold on a bin edge (0.65 with 10,000 bins) splits bins
 * exactly; otherwise the one bin straddling it is predicted by its midpoint, which can misplace at
 * most that bin's rows.
 */
import { type Calibration, fitCalibration } from "./calibration.js";
import type { WindowGroup } from "./cbpe.js";

export interface ScoreBins {
  /** Bin indexes, floor(score × bins). */
  bins: readonly number[];
  positives: readonly number[];
  negatives: readonly number[];
  /** Every prediction in the bin, labelled or not (omit for labelled history). */
  predictions?: readonly number[];
}

const midpoint = (bin: number, bins: number) => (Math.min(bin, bins - 1) + 0.5) / bins;

/** Calibration fitted on a version's labelled history, summed per bin. */
export function calibrationFromBins(history: ScoreBins, bins: number): Calibration {
  return fitCalibration(
    history.bins.map((b, i) => ({
      score: midpoint(b, bins),
      positives: history.positives[i] ?? 0,
      negatives: history.negatives[i] ?? 0,
    })),
  );
}

/** A window's groups for `estimateWindow`: unlabelled = predictions − labelled, per bin. */
export function windowGroupsFromBins(window: ScoreBins, bins: number): WindowGroup[] {
  return window.bins.map((b, i) => {
    const positives = window.positives[i] ?? 0;
    const negatives = window.negatives[i] ?? 0;
    const predictions = window.predictions?.[i] ?? positives + negatives;
    return { score: midpoint(b, bins), positives, negatives, unlabelled: Math.max(0, predictions - positives - negatives) };
  });
}

/** Bins a window's rows the way the product does; for tests and benchmarks. */
export function binRows(rows: readonly { score: number; label?: 0 | 1 | null }[], bins: number): Required<ScoreBins> {
  const at = new Map<number, number>();
  const out = { bins: [] as number[], positives: [] as number[], negatives: [] as number[], predictions: [] as number[] };
  for (const r of rows) {
    const b = Math.floor(r.score * bins);
    let i = at.get(b);
    if (i === undefined) {
      i = out.bins.push(b) - 1;
      out.positives.push(0);
      out.negatives.push(0);
      out.predictions.push(0);
      at.set(b, i);
    }
    out.predictions[i] = (out.predictions[i] ?? 0) + 1;
    if (r.label === 1) out.positives[i] = (out.positives[i] ?? 0) + 1;
    else if (r.label === 0) out.negatives[i] = (out.negatives[i] ?? 0) + 1;
  }
  return out;
}
