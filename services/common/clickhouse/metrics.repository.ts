/**
 * ClickHouse access for the label join and the windowed metrics: batched look-ups of the other
 * side of a join, the joined rows, model specifications, and the recomputation of per-window
 * statistics from the joined rows (so a recomputation after a replay gives the same numbers).
 */
import type { ClickHouse } from "./client.js";
import { serialize } from "./batch-writer.js";
import { ident, join, list, listSlices, raw, sql, type Sql } from "./sql.js";
import type { JoinableLabel, JoinablePrediction, JoinedRow } from "../domain/label-join.js";
import type { ModelSpec } from "../domain/model-spec.js";
import type { Task } from "../../../schemas/models.js";

export interface ModelKey {
  model_id: string;
  prediction_id: string;
}

// Look-ups go out in slices so that no single query text grows without bound.
const LOOKUP_SLICE = 5_000;

// Log-spaced delay histogram: bin b holds delays in (1.05^(b-1) − 1, 1.05^b − 1] seconds, so a
// quantile read from it overstates the true one by at most 5 % of (delay + 1 s). Bin 0: ≤ 0.
export const DELAY_BIN_RATIO = 1.05;
// Score histogram for ROC AUC: 10,001 bins of width 1e-4.
export const AUC_BINS = 10_000;
export const ECE_BINS = 10;
// Probabilities are clipped before the logarithm, as scikit-learn does.
export const LOG_LOSS_EPS = 1e-15;

export function metricsRepository(ch: ClickHouse) {
  const db = ch.database;
  const t = (name: string) => ident(`${db}.${name}`);

  function byModel(keys: ModelKey[]): Map<string, string[]> {
    const out = new Map<string, string[]>();
    for (const k of keys) {
      const ids = out.get(k.model_id) ?? [];
      ids.push(k.prediction_id);
      out.set(k.model_id, ids);
    }
    return out;
  }

  async function lookup<T>(keys: ModelKey[], query: (modelId: string, ids: string[]) => Sql): Promise<T[]> {
    const out: T[] = [];
    for (const [modelId, ids] of byModel(keys)) {
      for (const slice of listSlices([...new Set(ids)], LOOKUP_SLICE)) out.push(...(await ch.rows<T>(query(modelId, slice))));
    }
    return out;
  }

  return {
    /** The predictions these labels refer to (those already stored). */
    async findPredictions(keys: ModelKey[]): Promise<JoinablePrediction[]> {
      const rows = await lookup<Omit<JoinablePrediction, "event_time_ms"> & { event_time_ms: string }>(
        keys,
        (modelId, ids) => sql`
          SELECT prediction_id, model_id, model_version, stage, event_time_ms, pred_label, pred_score,
                 pred_class_keys, pred_class_scores, pred_value, segment_keys, segment_values
          FROM ${t("predictions")} FINAL
          WHERE model_id = ${modelId} AND prediction_id IN ${list(ids)}`,
      );
      return rows.map((r) => ({ ...r, event_time_ms: Number(r.event_time_ms) }));
    },

    /** Every label observation stored for these predictions. */
    async findLabels(keys: ModelKey[]): Promise<JoinableLabel[]> {
      const rows = await lookup<Omit<JoinableLabel, "labeled_at_ms"> & { labeled_at_ms: string }>(
        keys,
        (modelId, ids) => sql`
          SELECT prediction_id, model_id, label, value, labeled_at_ms, source
          FROM ${t("labels")} FINAL
          WHERE model_id = ${modelId} AND prediction_id IN ${list(ids)}`,
      );
      return rows.map((r) => ({ ...r, labeled_at_ms: Number(r.labeled_at_ms) }));
    },

    async insertJoined(rows: JoinedRow[]): Promise<void> {
      if (rows.length > 0) await ch.insertJsonEachRow(t("labeled_predictions").name, await serialize(rows, 2_000));
    },

    async loadModelSpecs(): Promise<Map<string, ModelSpec>> {
      const rows = await ch.rows<{
        model_id: string;
        task: Task;
        positive_class: string;
        threshold: number;
        slice_keys: string[];
        declared: number;
      }>(sql`
        SELECT model_id, argMax(task, updated_at_ms) AS task, argMax(positive_class, updated_at_ms) AS positive_class,
               argMax(threshold, updated_at_ms) AS threshold, argMax(slice_keys, updated_at_ms) AS slice_keys,
               argMax(declared, updated_at_ms) AS declared
        FROM ${t("models")} GROUP BY model_id`);
      return new Map(
        rows.map((r) => [
          r.model_id,
          {
            modelId: r.model_id,
            task: r.task,
            positiveClass: r.positive_class,
            threshold: Number(r.threshold),
            sliceKeys: r.slice_keys,
            declared: Number(r.declared) === 1,
          },
        ]),
      );
    },

    /**
     * Declared specs carry the time of declaration as version, so a declaration always wins;
     * inferred ones 1, or 2 once their positive class is known, so the refinement wins over the guess.
     */
    async saveModelSpec(spec: ModelSpec, nowMs: number): Promise<void> {
      await ch.command(sql`
        INSERT INTO ${t("models")} (model_id, task, positive_class, threshold, slice_keys, declared, updated_at_ms)
        VALUES (${spec.modelId}, ${spec.task}, ${spec.positiveClass}, ${spec.threshold}, ${spec.sliceKeys}, ${spec.declared ? 1 : 0}, ${spec.declared ? nowMs : spec.positiveClass ? 2 : 1})`);
    },

    async writeWindowSizes(sizes: number[]): Promise<void> {
      await ch.command(sql`TRUNCATE TABLE ${t("window_sizes")}`);
      await ch.command(
        sql`INSERT INTO ${t("window_sizes")} (window_seconds) VALUES ${join(
          sizes.map((s) => sql`(${s})`),
          ", ",
        )}`,
      );
    },

    recomputeVolume(spec: ModelSpec, baseSeconds: number, windows: number[], nowMs: number): Promise<void> {
      return ch.command(volumeSql(t("predictions_by_time"), t("window_volume"), spec, baseSeconds, windows, nowMs));
    },

    recomputeLabelStats(spec: ModelSpec, baseSeconds: number, windows: number[], nowMs: number): Promise<void> {
      return ch.command(labelStatsSql(t("labeled_predictions"), t("window_label_stats"), spec, baseSeconds, windows, nowMs));
    },
  };
}

export type MetricsRepository = ReturnType<typeof metricsRepository>;

/** Rows of the given base windows (seconds), found through the time index. */
function inWindows(baseSeconds: number, windows: number[]): Sql {
  const min = Math.min(...windows);
  const max = Math.max(...windows) + baseSeconds;
  return sql`event_time >= toDateTime(${min}) AND event_time < toDateTime(${max})
             AND intDiv(toUInt32(event_time), ${baseSeconds}) * ${baseSeconds} IN ${list(windows)}`;
}

/** The population (slice index 0) plus one slice per segment key/value, limited to the declared keys. */
function sliceExpansion(spec: ModelSpec): { arrayJoin: Sql; where: Sql } {
  return {
    arrayJoin: raw("ARRAY JOIN arrayPushFront(arrayEnumerate(segment_keys), 0) AS si"),
    where: spec.sliceKeys.length === 0 ? raw("1") : sql`si = 0 OR has(${spec.sliceKeys}, segment_keys[si])`,
  };
}

function volumeSql(
  source: ReturnType<typeof ident>,
  target: ReturnType<typeof ident>,
  spec: ModelSpec,
  baseSeconds: number,
  windows: number[],
  nowMs: number,
): Sql {
  // The label-free estimate: for a calibrated classifier, the probability its prediction is right.
  const expected =
    spec.task === "binary"
      ? sql`if(pred_score IS NULL, 0, if(pred_score >= ${spec.threshold}, pred_score, 1 - pred_score))`
      : spec.task === "multiclass"
        ? raw("if(length(pred_class_scores) = 0, 0, arrayReduce('max', pred_class_scores) / arraySum(pred_class_scores))")
        : raw("0");
  const expectedN =
    spec.task === "binary"
      ? raw("toUInt64(pred_score IS NOT NULL)")
      : spec.task === "multiclass"
        ? raw("toUInt64(length(pred_class_scores) > 0)")
        : raw("toUInt64(0)");
  const slices = sliceExpansion(spec);
  return sql`
    INSERT INTO ${target} (model_id, model_version, stage, window_start, slice_key, slice_value, predictions, expected_correct, expected_n, computed_at_ms)
    SELECT model_id, model_version, stage, toDateTime(intDiv(toUInt32(event_time), ${baseSeconds}) * ${baseSeconds}) AS ws,
           if(si = 0, '', segment_keys[si]) AS sk, if(si = 0, '', segment_values[si]) AS sv,
           count(), sum(ec), sum(en), ${nowMs}
    FROM
    (
        SELECT model_id, model_version, stage, event_time, segment_keys, segment_values,
               ${expected} AS ec, ${expectedN} AS en
        FROM ${source} FINAL
        WHERE model_id = ${spec.modelId} AND ${inWindows(baseSeconds, windows)}
    )
    ${slices.arrayJoin}
    WHERE ${slices.where}
    GROUP BY model_id, model_version, stage, ws, sk, sv`;
}

/**
 * Per-row terms of every metric for the model's task; summed per base window and slice below.
 * Binary: positive = label is the positive class; predicted positive = score ≥ threshold (or, with
 * no score, the predicted label is the positive class). Multi-class: the predicted class is the
 * label sent, else the class with the highest score; log loss and Brier use the scores normalised
 * to sum to 1. Regression: MAPE leaves out rows whose true value is 0.
 */
function rowTerms(spec: ModelSpec): Sql {
  const eps = LOG_LOSS_EPS;
  if (spec.task === "binary") {
    const pos = spec.positiveClass;
    return sql`
        toUInt8(ifNull(label, '') = ${pos}) AS y,
        toUInt8(if(pred_score IS NOT NULL, ifNull(pred_score, 0) >= ${spec.threshold}, ifNull(pred_label, '') = ${pos})) AS yhat,
        toUInt8(label IS NOT NULL) AS is_class,
        toUInt8(y = yhat) AS is_correct,
        emptyArrayUInt64() AS c_keys, emptyArrayUInt64() AS c_tp, emptyArrayUInt64() AS c_fp, emptyArrayUInt64() AS c_fn,
        toUInt8(pred_score IS NOT NULL AND label IS NOT NULL) AS has_prob,
        if(has_prob, least(greatest(ifNull(pred_score, 0), ${eps}), 1 - ${eps}), 0.5) AS p_clipped,
        if(has_prob, -(y * log(p_clipped) + (1 - y) * log(1 - p_clipped)), 0) AS ll,
        if(has_prob, pow(ifNull(pred_score, 0) - y, 2), 0) AS br,
        if(has_prob, [toUInt32(floor(ifNull(pred_score, 0) * ${AUC_BINS}))], emptyArrayUInt32()) AS a_bins,
        if(has_prob, [toUInt64(y)], emptyArrayUInt64()) AS a_pos,
        if(has_prob, [toUInt64(1 - y)], emptyArrayUInt64()) AS a_neg,
        if(yhat = 1, ifNull(pred_score, 1), 1 - ifNull(pred_score, 0)) AS conf,
        toUInt8(has_prob) AS has_conf,
        toUInt8(0) AS is_reg, 0. AS abs_err, 0. AS sq_err, 0. AS ape, toUInt8(0) AS has_ape, 0. AS yv`;
  }
  if (spec.task === "multiclass") {
    return sql`
        ifNull(label, '') AS truth,
        if(pred_label IS NOT NULL, ifNull(pred_label, ''),
           if(length(pred_class_scores) = 0, '', pred_class_keys[indexOf(pred_class_scores, arrayReduce('max', pred_class_scores))])) AS predicted,
        toUInt8(label IS NOT NULL AND predicted != '') AS is_class,
        toUInt8(truth = predicted) AS is_correct,
        toUInt8(0) AS y, toUInt8(0) AS yhat,
        if(is_class, [cityHash64(truth), cityHash64(predicted)], emptyArrayUInt64()) AS c_keys,
        if(is_class, [toUInt64(is_correct), toUInt64(0)], emptyArrayUInt64()) AS c_tp,
        if(is_class, [toUInt64(0), toUInt64(1 - is_correct)], emptyArrayUInt64()) AS c_fp,
        if(is_class, [toUInt64(1 - is_correct), toUInt64(0)], emptyArrayUInt64()) AS c_fn,
        toUInt8(label IS NOT NULL AND length(pred_class_scores) > 0 AND arraySum(pred_class_scores) > 0) AS has_prob,
        if(has_prob, arrayMap(s -> s / arraySum(pred_class_scores), pred_class_scores), emptyArrayFloat64()) AS probs,
        if(has_prob AND has(pred_class_keys, truth), probs[indexOf(pred_class_keys, truth)], 0) AS p_true,
        if(has_prob, -log(least(greatest(p_true, ${eps}), 1 - ${eps})), 0) AS ll,
        if(has_prob, arraySum(arrayMap((k, p) -> pow(p - (k = truth), 2), pred_class_keys, probs)) + if(has(pred_class_keys, truth), 0, 1), 0) AS br,
        emptyArrayUInt32() AS a_bins, emptyArrayUInt64() AS a_pos, emptyArrayUInt64() AS a_neg,
        if(has_prob, arrayReduce('max', probs), 0) AS conf,
        toUInt8(has_prob AND predicted != '') AS has_conf,
        toUInt8(0) AS is_reg, 0. AS abs_err, 0. AS sq_err, 0. AS ape, toUInt8(0) AS has_ape, 0. AS yv`;
  }
  return sql`
        toUInt8(0) AS is_class, toUInt8(0) AS is_correct, toUInt8(0) AS y, toUInt8(0) AS yhat,
        emptyArrayUInt64() AS c_keys, emptyArrayUInt64() AS c_tp, emptyArrayUInt64() AS c_fp, emptyArrayUInt64() AS c_fn,
        toUInt8(0) AS has_prob, 0. AS ll, 0. AS br,
        emptyArrayUInt32() AS a_bins, emptyArrayUInt64() AS a_pos, emptyArrayUInt64() AS a_neg,
        0. AS conf, toUInt8(0) AS has_conf,
        toUInt8(value IS NOT NULL AND pred_value IS NOT NULL) AS is_reg,
        if(is_reg, ifNull(value, 0) - ifNull(pred_value, 0), 0) AS err,
        abs(err) AS abs_err, err * err AS sq_err,
        toUInt8(is_reg AND ifNull(value, 0) != 0) AS has_ape,
        if(has_ape, abs(err) / abs(ifNull(value, 1)), 0) AS ape,
        if(is_reg, ifNull(value, 0), 0) AS yv`;
}

/**
 * y_m2 is Σ (y − the window's mean)² from Welford's stable pass (varPopStable) on shifted values, not Σ y²: for
 * targets near 1.7e9 (epoch-second ETAs) Σ y² − (Σ y)²/n cancels every significant digit. Windows
 * still merge by sums: SST = Σ M2ᵢ + Σ nᵢ (meanᵢ − mean)² (the slice_metrics view, Chan et al.).
 */
function labelStatsSql(
  source: ReturnType<typeof ident>,
  target: ReturnType<typeof ident>,
  spec: ModelSpec,
  baseSeconds: number,
  windows: number[],
  nowMs: number,
): Sql {
  const slices = sliceExpansion(spec);
  // M2 does not change with a shift of y; Welford's pass is exact to ~1e-16 relative only once the
  // values are small, so they are shifted by the smallest target of the statement's windows.
  const yShift =
    spec.task === "regression"
      ? sql`ifNull((SELECT min(value) FROM ${source} WHERE model_id = ${spec.modelId} AND ${inWindows(baseSeconds, windows)}), 0)`
      : raw("0");
  return sql`
    INSERT INTO ${target}
      (model_id, model_version, stage, window_start, slice_key, slice_value, labeled, class_n, correct, tp, fp, fn, tn,
       class_keys, class_tp, class_fp, class_fn, prob_n, log_loss_sum, brier_sum, auc_bins, auc_pos, auc_neg,
       ece_bins, ece_n, ece_conf, ece_correct, reg_n, abs_err_sum, sq_err_sum, ape_sum, ape_n, y_sum, y_m2,
       delay_bins, delay_counts, delay_max_ms, computed_at_ms)
    SELECT model_id, model_version, stage, toDateTime(intDiv(toUInt32(event_time), ${baseSeconds}) * ${baseSeconds}) AS ws,
           if(si = 0, '', segment_keys[si]) AS sk, if(si = 0, '', segment_values[si]) AS sv,
           count(), sum(is_class), sum(is_class * is_correct),
           sum(is_class * y * yhat), sum(is_class * (1 - y) * yhat), sum(is_class * y * (1 - yhat)), sum(is_class * (1 - y) * (1 - yhat)),
           tupleElement(sumMap(c_keys, c_tp, c_fp, c_fn), 1), tupleElement(sumMap(c_keys, c_tp, c_fp, c_fn), 2), tupleElement(sumMap(c_keys, c_tp, c_fp, c_fn), 3), tupleElement(sumMap(c_keys, c_tp, c_fp, c_fn), 4),
           sum(has_prob), sum(ll), sum(br),
           tupleElement(sumMap(a_bins, a_pos, a_neg), 1), tupleElement(sumMap(a_bins, a_pos, a_neg), 2), tupleElement(sumMap(a_bins, a_pos, a_neg), 3),
           tupleElement(sumMap(e_bins, e_n, e_conf, e_correct), 1), tupleElement(sumMap(e_bins, e_n, e_conf, e_correct), 2), tupleElement(sumMap(e_bins, e_n, e_conf, e_correct), 3), tupleElement(sumMap(e_bins, e_n, e_conf, e_correct), 4),
           sum(is_reg), sum(abs_err), sum(sq_err), sum(ape), sum(has_ape), sum(yv),
           if(sum(is_reg) = 0, 0, varPopStableIf(yv - ${yShift}, is_reg = 1) * sum(is_reg)),
           tupleElement(sumMap(d_bins, d_counts), 1), tupleElement(sumMap(d_bins, d_counts), 2), max(delay_ms),
           ${nowMs}
    FROM
    (
        SELECT *,
               if(has_conf, [toUInt8(least(floor(conf * ${ECE_BINS}), ${ECE_BINS - 1}))], emptyArrayUInt8()) AS e_bins,
               if(has_conf, [toUInt64(1)], emptyArrayUInt64()) AS e_n,
               if(has_conf, [conf], emptyArrayFloat64()) AS e_conf,
               if(has_conf, [toUInt64(is_correct)], emptyArrayUInt64()) AS e_correct,
               [toUInt16(if(delay_ms <= 0, 0, ceil(log(delay_ms / 1000 + 1) / log(${DELAY_BIN_RATIO}))))] AS d_bins,
               [toUInt64(1)] AS d_counts
        FROM
        (
            SELECT model_id, model_version, stage, event_time, segment_keys, segment_values, delay_ms,
                   ${rowTerms(spec)}
            FROM ${source} FINAL
            WHERE model_id = ${spec.modelId} AND ${inWindows(baseSeconds, windows)}
        )
    )
    ${slices.arrayJoin}
    WHERE ${slices.where}
    GROUP BY model_id, model_version, stage, ws, sk, sv`;
}
