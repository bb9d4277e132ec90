/**
 * Label-free estimates per window and slice of binary models (issue 18): the windows' score
 * histograms (migration 018) under each version's calibration, fitted on its labelled score bins
 * over the label horizon and cached, refitted at most every `refreshMs` so that arriving labels
 * move it at a bounded cost. Used by GET /v1/models/:id/estimates, the metrics route's
 * `estimated_accuracy`, and the alert rules' `estimated_*` metrics.
 */
import { z } from "zod";
import type { ClickHouse } from "./client.js";
import { int, row, str } from "./row-schema.js";
import type { SliceSelection } from "./slice-metrics.query.js";
import { calibrationBinsQuery, ESTIMATE_BINS, windowBinsQuery } from "./estimates.query.js";
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
const CalibrationRow = row({ model_version: str, labelled_rows: int, bins: counts, positives: counts, negatives: counts });

export function estimatesRepository(ch: ClickHouse, options: EstimatesOptions) {
  const specsOf = metricsRepository(ch);
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
      const read = await ch.rows(
        BinsRow,
        windowBinsQuery(ch.database, {
          models: binary.map((s) => s.modelId),
          windowSeconds: q.windowSeconds,
          fromS: q.fromS,
          toS: q.toS,
          slices: q.slices,
          modelVersion: q.modelVersion,
          stage: q.stage,
          limit: q.limit + 1,
        }),
      );
      const truncated = read.length > q.limit;
      // Slices of keys the model no longer declares (histograms computed under an older declaration), as slice_metrics does.
      const declared = (w: { model_id: string; slice_key: string }) => {
        const keys = specs.get(w.model_id)?.sliceKeys ?? [];
        return w.slice_key === "" || keys.length === 0 || keys.includes(w.slice_key);
      };
      const windows = read.slice(0, q.limit).filter(declared);
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
  };
}

export type EstimatesRepository = ReturnType<typeof estimatesRepository>;
