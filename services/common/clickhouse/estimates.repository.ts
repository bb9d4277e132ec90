/**
 * Label-free estimates per window and slice of binary models (issue 18): the windows' score
 * histograms (migration 018) under each version's calibration, fitted on its labelled score bins
 * over the label horizon and cached, refitted at most every `refreshMs` so that arriving labels
 * move it at a bounded cost. Used by GET /v1/models/:id/estimates, the metrics route's
 * `estimated_accuracy`, and the alert rules' `estimated_*` metrics.
 */
import { z } from "zod";
import type { ClickHouse } from "./client.js";
import { float, int, row, str } from "./row-schema.js";
import type { SliceSelection } from "./slice-metrics.query.js";
import { calibrationBinsQuery, ESTIMATE_BINS, windowBinsQuery, windowErrorsQuery } from "./estimates.query.js";
import { errorModelsRepository } from "./error-models.repository.js";
import { estimateErrorWindow, type RegressionWindowEstimate, type VersionErrorSummary } from "../domain/estimation/regression-window.js";
import { metricsRepository } from "./metrics.repository.js";
import type { Calibration } from "../domain/estimation/calibration.js";
import type { WindowEstimate } from "../domain/estimation/cbpe.js";
import { calibrationFromBins } from "../domain/estimation/score-bins.js";
import { calibrationSpan, estimateStoredWindow } from "../domain/estimation/window-estimates.js";
import type { ModelSpec } from "../domain/model-spec.js";

export interface EstimatesQuery {
  /** Every binary model when omitted; never an empty list. */
  models?: readonly string[] | undefined;
  windowSeconds: number;
  /** Windows starting in [fromS, toS), epoch seconds. */
  fromS?: number | undefined;
  toS?: number | undefined;
  slices: SliceSelection;
  modelVersion?: string | undefined;
  stage?: string | undefined;
  confidence?: number | undefined;
  /** Most windows returned; one more is read to tell that the answer was cut. */
  limit: number;
}

export interface WindowEstimateRow {
  model_id: string;
  model_version: string;
  stage: string;
  slice_key: string;
  slice_value: string;
  window_start_s: number;
  predictions: number;
  labeled: number;
  /** Labelled rows the version's calibration was fitted on (0: none yet, scores taken as probabilities). */
  calibration_rows: number;
  threshold: number;
  estimate: WindowEstimate;
}

export interface EstimatesOptions {
  /** How far back a version's labelled windows feed its calibration (the label horizon). */
  horizonMs: number;
  /** Least time between two fits of one version's calibration (default one minute). */
  refreshMs?: number;
  /** Most calibrations kept (default 1,000); the oldest go first. */
  maxCached?: number;
  clock?: () => number;
}

const counts = z.array(int);
const BinsRow = row({
  model_id: str,
  model_version: str,
  stage: str,
  window_start_s: int,
  slice_key: str,
  slice_value: str,
  predictions: int,
  score_bins: counts,
  score_counts: counts,
  labeled: int,
  labeled_bins: counts,
  labeled_positives: counts,
  labeled_negatives: counts,
});
const ErrorsRow = row({
  model_id: str,
  model_version: str,
  stage: str,
  window_start_s: int,
  slice_key: str,
  slice_value: str,
  v_predictions: int,
  v_exp_n: int,
  v_exp_abs_sum: float,
  v_exp_sq_sum: float,
  v_exp_var_sum: float,
  v_exp_sq2_sum: float,
  l_reg_n: int,
  l_abs_err_sum: float,
  l_sq_err_sum: float,
  l_exp_n: int,
  l_exp_abs_sum: float,
  l_exp_sq_sum: float,
  l_exp_var_sum: float,
  l_exp_sq2_sum: float,
});

export interface WindowErrorEstimateRow {
  model_id: string;
  model_version: string;
  stage: string;
  slice_key: string;
  slice_value: string;
  window_start_s: number;
  predictions: number;
  labeled: number;
  /** The version's current error model: the rows it was fitted on and when (0 and null: none yet). */
  error_model_rows: number;
  error_model_fitted_at_ms: number | null;
  estimate: RegressionWindowEstimate;
}

const CalibrationRow = row({ model_version: str, labelled_rows: int, bins: counts, positives: counts, negatives: counts });

/** The stored windows of these models matching `q`, one more than its limit (to tell a truncated answer). */
const windowsOf = (q: EstimatesQuery, specs: ModelSpec[]) => ({
  models: specs.map((s) => s.modelId),
  windowSeconds: q.windowSeconds,
  fromS: q.fromS,
  toS: q.toS,
  slices: q.slices,
  modelVersion: q.modelVersion,
  stage: q.stage,
  limit: q.limit + 1,
});

/** Leaves out slices of keys the model no longer declares (state computed under an older declaration), as slice_metrics does. */
const declaredIn =
  (specs: Map<string, ModelSpec>) =>
  (w: { model_id: string; slice_key: string }): boolean => {
    const keys = specs.get(w.model_id)?.sliceKeys ?? [];
    return w.slice_key === "" || keys.length === 0 || keys.includes(w.slice_key);
  };

export function estimatesRepository(ch: ClickHouse, options: EstimatesOptions) {
  const specsOf = metricsRepository(ch);
  const errorModels = errorModelsRepository(ch);
  const clock = options.clock ?? Date.now;
  const refreshMs = options.refreshMs ?? 60_000;
  const maxCached = options.maxCached ?? 1_000;
  const cache = new Map<string, { fittedAt: number; calibration: Calibration }>();

  /** The versions' calibrations for a span: cached ones still fresh, the others fitted in one read. */
  async function calibrations(
    modelId: string,
    versions: string[],
    span: { fromS: number; toS: number },
  ): Promise<Map<string, Calibration>> {
    const now = clock();
    const key = (v: string) => JSON.stringify([modelId, v, span.toS]);
    const out = new Map<string, Calibration>();
    const stale: string[] = [];
    for (const v of versions) {
      const hit = cache.get(key(v));
      if (hit && now - hit.fittedAt < refreshMs) out.set(v, hit.calibration);
      else stale.push(v);
    }
    if (stale.length === 0) return out;
    const rows = await ch.rows(CalibrationRow, calibrationBinsQuery(ch.database, modelId, stale, span.fromS, span.toS));
    const fitted = new Map(rows.map((r) => [r.model_version, calibrationFromBins(r, ESTIMATE_BINS)]));
    for (const v of stale) {
      const calibration = fitted.get(v) ?? { knots: [], rates: [], rows: 0 };
      cache.delete(key(v));
      cache.set(key(v), { fittedAt: now, calibration });
      out.set(v, calibration);
    }
    for (const k of cache.keys()) {
      if (cache.size <= maxCached) break;
      cache.delete(k);
    }
    return out;
  }

  return {
    /**
     * Estimates of the binary models' windows matching `q`, in window order; models of other
     * tasks are left out. `truncated` when more than `q.limit` windows matched.
     */
    async windows(q: EstimatesQuery): Promise<{ rows: WindowEstimateRow[]; truncated: boolean; specs: Map<string, ModelSpec> }> {
      const specs = await specsOf.loadModelSpecs();
      const binary = [...specs.values()].filter((s) => s.task === "binary" && (q.models === undefined || q.models.includes(s.modelId)));
      if (binary.length === 0) return { rows: [], truncated: false, specs };
      const read = await ch.rows(BinsRow, windowBinsQuery(ch.database, windowsOf(q, binary)));
      const truncated = read.length > q.limit;
      const windows = read.slice(0, q.limit).filter(declaredIn(specs));
      const span = calibrationSpan(q.toS === undefined ? undefined : q.toS * 1000, clock(), options.horizonMs);
      const fits = new Map<string, Map<string, Calibration>>();
      for (const s of binary) {
        const versions = [...new Set(windows.filter((w) => w.model_id === s.modelId).map((w) => w.model_version))];
        if (versions.length > 0) fits.set(s.modelId, await calibrations(s.modelId, versions, span));
      }
      const rows = windows.map((w): WindowEstimateRow => {
        const spec = specs.get(w.model_id)!;
        const calibration = fits.get(w.model_id)?.get(w.model_version) ?? { knots: [], rates: [], rows: 0 };
        const estimate = estimateStoredWindow(
          {
            scoreBins: w.score_bins,
            scoreCounts: w.score_counts,
            labelledBins: w.labeled_bins,
            labelledPositives: w.labeled_positives,
            labelledNegatives: w.labeled_negatives,
          },
          calibration,
          spec.threshold,
          ESTIMATE_BINS,
          q.confidence,
        );
        return {
          model_id: w.model_id,
          model_version: w.model_version,
          stage: w.stage,
          slice_key: w.slice_key,
          slice_value: w.slice_value,
          window_start_s: w.window_start_s,
          predictions: w.predictions,
          labeled: w.labeled,
          calibration_rows: calibration.rows,
          threshold: spec.threshold,
          estimate,
        };
      });
      return { rows, truncated, specs };
    },

    /**
     * MAE and RMSE estimates of the regression models' windows matching `q` (migration 020), under
     * each version's current error model (its kurtosis, and its sample's mean error for predictions
     * stamped with none), in window order.
     */
    async regressionWindows(q: EstimatesQuery): Promise<{ rows: WindowErrorEstimateRow[]; truncated: boolean }> {
      const specs = await specsOf.loadModelSpecs();
      const regression = [...specs.values()].filter(
        (s) => s.task === "regression" && (q.models === undefined || q.models.includes(s.modelId)),
      );
      if (regression.length === 0) return { rows: [], truncated: false };
      const read = await ch.rows(ErrorsRow, windowErrorsQuery(ch.database, windowsOf(q, regression)));
      const truncated = read.length > q.limit;
      const windows = read.slice(0, q.limit).filter(declaredIn(specs));
      const fits = new Map<string, { summary: VersionErrorSummary; rows: number; fittedAtMs: number }>();
      for (const modelId of new Set(windows.map((w) => w.model_id)))
        for (const m of await errorModels.summaries(modelId))
          fits.set(JSON.stringify([modelId, m.model_version]), {
            summary: { kurtosis: m.kurtosis, meanAbs: m.mean_abs, meanSq: m.mean_sq },
            rows: m.rows,
            fittedAtMs: m.fitted_at_ms,
          });
      const rows = windows.map((w): WindowErrorEstimateRow => {
        const fit = fits.get(JSON.stringify([w.model_id, w.model_version]));
        const estimate = estimateErrorWindow(
          {
            predictions: w.v_predictions,
            labelled: w.l_reg_n,
            realisedAbs: w.l_abs_err_sum,
            realisedSq: w.l_sq_err_sum,
            stamped: { n: w.v_exp_n, abs: w.v_exp_abs_sum, sq: w.v_exp_sq_sum, variance: w.v_exp_var_sum, sqSquared: w.v_exp_sq2_sum },
            labelledStamped: {
              n: w.l_exp_n,
              abs: w.l_exp_abs_sum,
              sq: w.l_exp_sq_sum,
              variance: w.l_exp_var_sum,
              sqSquared: w.l_exp_sq2_sum,
            },
          },
          fit?.summary ?? null,
          q.confidence,
        );
        return {
          model_id: w.model_id,
          model_version: w.model_version,
          stage: w.stage,
          slice_key: w.slice_key,
          slice_value: w.slice_value,
          window_start_s: w.window_start_s,
          predictions: w.v_predictions,
          labeled: w.l_reg_n,
          error_model_rows: fit?.rows ?? 0,
          error_model_fitted_at_ms: fit?.fittedAtMs ?? null,
          estimate,
        };
      });
      return { rows, truncated };
    },
  };
}

export type EstimatesRepository = ReturnType<typeof estimatesRepository>;
