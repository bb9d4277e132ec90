/**
 * The product's label-free MAE and RMSE of one regression window from the sums it stores (migration
 * 020). Pure.
 *
 * Each prediction of a version with an error model was stamped at ingest with its expected |e| and
 * e² (version-error-model.ts); a window keeps the sums of those stamps over every stamped prediction
 * (with the volume) and over the labelled stamped ones (with the label statistics), beside the
 * labelled rows' realised Σ|e| and Σe². Their difference is the unlabelled stamped rows, which is
 * what dle.ts's `WindowErrorSums` holds for them, so `estimateFromSums` gives the estimate.
 *
 * Predictions stamped with nothing (their version had no error model yet when they arrived) are
 * counted apart (`unmodelled`) and estimated by a mean error: the version's current error model's
 * sample means when it has one, else the window's own labelled rows' means; with neither, the
 * window has no estimate.
 */
import { type RegressionEstimate, type WindowErrorSums, estimateFromSums } from "./dle.js";

export interface ExpectationSums {
  n: number;
  abs: number;
  sq: number;
  /** Σ (E[e²] − E|e|²) */
  variance: number;
  /** Σ E[e²]² */
  sqSquared: number;
}

export interface StoredErrorWindow {
  predictions: number;
  /** Labelled rows with a predicted and a true value, and their realised sums. */
  labelled: number;
  realisedAbs: number;
  realisedSq: number;
  stamped: ExpectationSums;
  labelledStamped: ExpectationSums;
}

export type Fallback = "version" | "window" | null;

export interface RegressionWindowEstimate extends RegressionEstimate {
  /** Unlabelled predictions estimated without an error model (by a mean error: `fallback`). */
  unmodelled: number;
  fallback: Fallback;
}

/** The version's current error model as the estimate needs it (none: `null`). */
export interface VersionErrorSummary {
  kurtosis: number;
  meanAbs: number;
  meanSq: number;
}

const nonNegative = (x: number) => Math.max(0, x);

/** The window's state in dle.ts's terms, and how many unlabelled rows went without a model. */
export function windowErrorSums(
  w: StoredErrorWindow,
  version: VersionErrorSummary | null,
): { sums: WindowErrorSums | null; unmodelled: number; fallback: Fallback } {
  const unlabelledStamped = Math.max(0, w.stamped.n - w.labelledStamped.n);
  // The two sums are recomputed apart, so for a moment the labels may count rows the volume has not yet.
  const rows = Math.max(w.predictions, w.labelled + unlabelledStamped);
  const unmodelled = rows - w.labelled - unlabelledStamped;
  const sums: WindowErrorSums = {
    rows,
    labelled: w.labelled,
    realisedAbs: w.realisedAbs,
    realisedSq: w.realisedSq,
    expectedAbs: unlabelledStamped === 0 ? 0 : nonNegative(w.stamped.abs - w.labelledStamped.abs),
    expectedSq: unlabelledStamped === 0 ? 0 : nonNegative(w.stamped.sq - w.labelledStamped.sq),
    varianceAbs: unlabelledStamped === 0 ? 0 : nonNegative(w.stamped.variance - w.labelledStamped.variance),
    expectedSqSquared: unlabelledStamped === 0 ? 0 : nonNegative(w.stamped.sqSquared - w.labelledStamped.sqSquared),
  };
  if (unmodelled === 0) return { sums, unmodelled, fallback: null };
  let mean: { abs: number; sq: number };
  let fallback: Fallback;
  if (version) {
    mean = { abs: version.meanAbs, sq: version.meanSq };
    fallback = "version";
  } else if (w.labelled > 0) {
    mean = { abs: w.realisedAbs / w.labelled, sq: w.realisedSq / w.labelled };
    fallback = "window";
  } else return { sums: null, unmodelled, fallback: null };
  return {
    sums: {
      ...sums,
      expectedAbs: sums.expectedAbs + unmodelled * mean.abs,
      expectedSq: sums.expectedSq + unmodelled * mean.sq,
      varianceAbs: sums.varianceAbs + unmodelled * nonNegative(mean.sq - mean.abs * mean.abs),
      expectedSqSquared: sums.expectedSqSquared + unmodelled * mean.sq * mean.sq,
    },
    unmodelled,
    fallback,
  };
}

/** MAE and RMSE with intervals (kurtosis: the version's current model's, else 3 as for normal errors). */
export function estimateErrorWindow(
  w: StoredErrorWindow,
  version: VersionErrorSummary | null,
  confidence = 0.95,
): RegressionWindowEstimate {
  const { sums, unmodelled, fallback } = windowErrorSums(w, version);
  if (!sums) return { rows: w.predictions, labelled: w.labelled, mae: null, rmse: null, unmodelled, fallback };
  return { ...estimateFromSums(sums, version?.kurtosis ?? 3, confidence), unmodelled, fallback };
}
