/**
 * Label-free estimation of a regression model's error over a window (direct loss estimation, after
 * NannyML's DLE). Pure.
 *
 * On labelled history two models learn, from the prediction and the features, the expected absolute
 * error E|e| and the expected squared error E[e²] of each row (e = actual − prediction). Over a
 * window, labelled rows count their realised error and unlabelled ones their expectation:
 *   MAE  = (Σ_labelled |e| + Σ_unlabelled E|e|) / n
 *   MSE  = (Σ_labelled e² + Σ_unlabelled E[e²]) / n,  RMSE = √MSE,
 * so the estimate reaches the realised value at full coverage. Every term is a sum, so a window's
 * state is six numbers that merge by addition (see `WindowErrorSums`).
 *
 * Intervals count chance, as CBPE's do: an unlabelled row's |e| varies by E[e²] − (E|e|)² around
 * its expectation, and its e² by (κ − 1)·E[e²]², κ being the history's ratio Σ e⁴ / Σ E[e²]² (3 for
 * normal errors); MSE's interval is mapped through the square root. They do not count the error
 * models' own error, which dominates under drift the models did not see.
 *
 * Two error models: boosted regression trees over [prediction, ...features] (the estimate; fitted
 * on a bounded sample of labelled rows), and bins of the prediction alone (the fallback when a
 * version keeps no features: its state is per-bin sums that merge exactly, like the score bins of
 * classification).
 */
import { normalQuantile } from "../intervals.js";
import { firstAtOrAbove } from "../sorted.js";
import {
  type BoostedTrees,
  type BoostingOptions,
  DEFAULT_BOOSTING,
  finish,
  fitBoostedTreesSteps,
  predictBoostedTrees,
} from "./boosted-trees.js";

export interface RegressionRow {
  prediction: number;
  /** Numeric features (categorical ones coded as numbers), the same order on every row; NaN for missing. */
  features: readonly number[];
  actual?: number | null;
}

export interface ExpectedError {
  abs: number;
  sq: number;
}

export type ErrorModel =
  | { kind: "trees"; abs: BoostedTrees; sq: BoostedTrees; kurtosis: number; rows: number }
  | { kind: "bins"; edges: number[]; abs: number[]; sq: number[]; kurtosis: number; rows: number };

const labelledRows = (rows: readonly RegressionRow[]) =>
  rows.filter((r): r is RegressionRow & { actual: number } => typeof r.actual === "number" && Number.isFinite(r.actual));

/** κ = Σ e⁴ / Σ E[e²]², at least 1 (e² cannot vary less than not at all). */
function kurtosis(errors: readonly number[], expectedSq: readonly number[]): number {
  let fourth = 0;
  let square = 0;
  errors.forEach((e, i) => {
    fourth += e ** 4;
    square += (expectedSq[i] as number) ** 2;
  });
  return square > 0 ? Math.max(1, fourth / square) : 3;
}

export function fitTreeErrorModel(history: readonly RegressionRow[], options: BoostingOptions = DEFAULT_BOOSTING): ErrorModel {
  return finish(fitTreeErrorModelSteps(history, options));
}

/** `fitTreeErrorModel` pausing after each boosting round (see `fitBoostedTreesSteps`). */
export function* fitTreeErrorModelSteps(
  history: readonly RegressionRow[],
  options: BoostingOptions = DEFAULT_BOOSTING,
): Generator<void, ErrorModel> {
  const rows = labelledRows(history);
  const x = rows.map((r) => [r.prediction, ...r.features]);
  const errors = rows.map((r) => r.actual - r.prediction);
  const abs = yield* fitBoostedTreesSteps(
    x,
    errors.map((e) => Math.abs(e)),
    options,
  );
  const sq = yield* fitBoostedTreesSteps(
    x,
    errors.map((e) => e * e),
    options,
  );
  const expectedSq = x.map((r) => Math.max(0, predictBoostedTrees(sq, r)));
  return { kind: "trees", abs, sq, kurtosis: kurtosis(errors, expectedSq), rows: rows.length };
}

/** Error by prediction bins: `bins` quantile bins of the history's predictions, each with its mean |e| and e². */
export function fitBinnedErrorModel(history: readonly RegressionRow[], bins = 20): ErrorModel {
  const rows = labelledRows(history);
  const sorted = rows.map((r) => r.prediction).sort((a, b) => a - b);
  const edges: number[] = [];
  for (let k = 1; k < bins; k++) {
    const v = sorted[Math.floor((k * sorted.length) / bins)];
    if (v !== undefined && v !== edges.at(-1)) edges.push(v);
  }
  const n = new Array<number>(edges.length + 1).fill(0);
  const abs = n.slice();
  const sq = n.slice();
  for (const r of rows) {
    const b = firstAtOrAbove(edges, r.prediction);
    const e = r.actual - r.prediction;
    n[b] = (n[b] as number) + 1;
    abs[b] = (abs[b] as number) + Math.abs(e);
    sq[b] = (sq[b] as number) + e * e;
  }
  const model: ErrorModel = {
    kind: "bins",
    edges,
    abs: abs.map((s, b) => (n[b] ? s / (n[b] as number) : 0)),
    sq: sq.map((s, b) => (n[b] ? s / (n[b] as number) : 0)),
    kurtosis: 3,
    rows: rows.length,
  };
  const errors = rows.map((r) => r.actual - r.prediction);
  return {
    ...model,
    kurtosis: kurtosis(
      errors,
      rows.map((r) => expectedError(model, r).sq),
    ),
  };
}

/** A row's expected |e| and e², kept consistent: both ≥ 0 and E[e²] ≥ (E|e|)². */
export function expectedError(model: ErrorModel, row: Pick<RegressionRow, "prediction" | "features">): ExpectedError {
  let abs: number;
  let sq: number;
  if (model.kind === "trees") {
    const x = [row.prediction, ...row.features];
    abs = predictBoostedTrees(model.abs, x);
    sq = predictBoostedTrees(model.sq, x);
  } else {
    const b = firstAtOrAbove(model.edges, row.prediction);
    abs = model.abs[b] as number;
    sq = model.sq[b] as number;
  }
  abs = Math.max(0, abs);
  return { abs, sq: Math.max(abs * abs, sq) };
}

/** A window's state: additive over rows, so windows (and batches) merge by adding fields. */
export interface WindowErrorSums {
  rows: number;
  labelled: number;
  /** Over labelled rows: realised Σ |e| and Σ e². */
  realisedAbs: number;
  realisedSq: number;
  /** Over unlabelled rows: Σ E|e|, Σ E[e²], Σ Var|e| and Σ E[e²]². */
  expectedAbs: number;
  expectedSq: number;
  varianceAbs: number;
  expectedSqSquared: number;
}

export const EMPTY_SUMS: WindowErrorSums = {
  rows: 0,
  labelled: 0,
  realisedAbs: 0,
  realisedSq: 0,
  expectedAbs: 0,
  expectedSq: 0,
  varianceAbs: 0,
  expectedSqSquared: 0,
};

export function addRow(s: WindowErrorSums, row: RegressionRow, model: ErrorModel): WindowErrorSums {
  if (typeof row.actual === "number" && Number.isFinite(row.actual)) {
    const e = row.actual - row.prediction;
    return { ...s, rows: s.rows + 1, labelled: s.labelled + 1, realisedAbs: s.realisedAbs + Math.abs(e), realisedSq: s.realisedSq + e * e };
  }
  const { abs, sq } = expectedError(model, row);
  return {
    ...s,
    rows: s.rows + 1,
    expectedAbs: s.expectedAbs + abs,
    expectedSq: s.expectedSq + sq,
    varianceAbs: s.varianceAbs + (sq - abs * abs),
    expectedSqSquared: s.expectedSqSquared + sq * sq,
  };
}

export function mergeSums(a: WindowErrorSums, b: WindowErrorSums): WindowErrorSums {
  const out = { ...EMPTY_SUMS };
  for (const k of Object.keys(out) as (keyof WindowErrorSums)[]) out[k] = a[k] + b[k];
  return out;
}

export function windowSums(rows: readonly RegressionRow[], model: ErrorModel): WindowErrorSums {
  return rows.reduce((s, r) => addRow(s, r, model), EMPTY_SUMS);
}

export interface Estimate {
  value: number;
  low: number;
  high: number;
}

export interface RegressionEstimate {
  rows: number;
  labelled: number;
  mae: Estimate | null;
  rmse: Estimate | null;
}

/** MAE and RMSE of the window with their intervals; `kurtosis` from the model the sums were scored with. */
export function estimateFromSums(s: WindowErrorSums, kurtosis: number, confidence = 0.95): RegressionEstimate {
  if (s.rows === 0) return { rows: 0, labelled: 0, mae: null, rmse: null };
  const z = normalQuantile(confidence);
  const n = s.rows;
  const mae = (s.realisedAbs + s.expectedAbs) / n;
  const maeHalf = (z * Math.sqrt(Math.max(0, s.varianceAbs))) / n;
  const mse = (s.realisedSq + s.expectedSq) / n;
  const mseHalf = (z * Math.sqrt(Math.max(0, (kurtosis - 1) * s.expectedSqSquared))) / n;
  return {
    rows: n,
    labelled: s.labelled,
    mae: { value: mae, low: Math.max(0, mae - maeHalf), high: mae + maeHalf },
    rmse: { value: Math.sqrt(mse), low: Math.sqrt(Math.max(0, mse - mseHalf)), high: Math.sqrt(mse + mseHalf) },
  };
}

export function estimateRegressionWindow(rows: readonly RegressionRow[], model: ErrorModel, confidence = 0.95): RegressionEstimate {
  return estimateFromSums(windowSums(rows, model), model.kurtosis, confidence);
}
