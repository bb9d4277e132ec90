/**
 * The statements that rebuild base windows' statistics: prediction volume per window and slice,
 * and the per-metric sums of the labelled rows, each first per cell from the raw rows (a thirtieth
 * of a window, migrations 023 and 024) and then per window as the sum of its cells. Pure: they
 * return SQL whose every value is a typed parameter (the windows and cells go as one Array), so a
 * statement's text is the same whatever the model, its ids or the number of windows
 * (window-stats.query.test.ts).
 */
import type { ModelSpec } from "../domain/model-spec.js";
import { CROSS, splitCross } from "../domain/model-spec.js";
import { eventSeconds, type Identifier, list, raw, sql, type Sql, typed } from "./sql.js";

// Log-spaced delay histogram: bin b holds delays in (1.05^(b-1) − 1, 1.05^b − 1] seconds, so a
// quantile read from it overstates the true one by at most 5 % of (delay + 1 s). Bin 0: ≤ 0.
export const DELAY_BIN_RATIO = 1.05;
// Score histogram for ROC AUC: 10,001 bins of width 1e-4.
export const AUC_BINS = 10_000;
export const ECE_BINS = 10;
// Probabilities are clipped before the logarithm, as scikit-learn does.
export const LOG_LOSS_EPS = 1e-15;

/**
 * Rows of the given windows or cells (aligned starts, seconds, `seconds` long), found through the
 * time index.
 */
function inWindows(seconds: number, starts: number[]): Sql {
  const min = Math.min(...starts);
  const max = Math.max(...starts) + seconds;
  return sql`event_time >= ${eventSeconds(min)} AND event_time < ${eventSeconds(max)}
             AND intDiv(toUInt32(event_time), ${seconds}) * ${seconds} IN ${list(starts)}`;
}

/**
 * The length of a cell of label statistics and volume (migrations 023 and 024): the largest divisor of the base window
 * that is at most a thirtieth of it (10 s for 300 s), so a window has at most a few dozen cells.
 */
export function windowCellSeconds(baseSeconds: number): number {
  for (let d = Math.floor(baseSeconds / 30); d > 1; d--) if (baseSeconds % d === 0) return d;
  return 1;
}

/**
 * A cell's or a window's version, ClickHouse's clock when the statement starts: it reads what was
 * stored by then, so of two computations of the same row the later-started, which saw more, wins.
 * A version taken by the caller before waiting its turn could let an earlier snapshot win for good
 * when two computations of one window (a live worker's and a recompute job's) overlap.
 */
const COMPUTED_NOW = raw("toUnixTimestamp64Milli(now64(3))");

/** Which rows a cell statement reads: whole base windows, or some cells (of windowCellSeconds). */
export type CellSelection = { windows: number[] } | { cells: number[] };

/**
 * The slices a row counts in, as (key, value) pairs: the population ('', ''), one slice per segment
 * key and value, limited to the declared keys, and one per declared intersection of two keys
 * ("country × device", value "DE × mobile") when the row carries both.
 */
export function sliceExpansion(spec: ModelSpec): { arrayJoin: Sql; where: Sql } {
  const crosses = spec.sliceKeys.flatMap((k) => {
    const parts = splitCross(k);
    return parts ? [parts] : [];
  });
  const pairs =
    crosses.length === 0
      ? raw("")
      : sql`,
        arrayFilter(c -> c.1 != '', arrayMap(k -> if(has(segment_keys, k[1]) AND has(segment_keys, k[2]),
          (concat(k[1], ${CROSS}, k[2]), concat(segment_values[indexOf(segment_keys, k[1])], ${CROSS}, segment_values[indexOf(segment_keys, k[2])])),
          ('', '')), ${typed(crosses, "Array(Array(String))")}))`;
  return {
    arrayJoin: sql`ARRAY JOIN arrayConcat([('', '')], arrayZip(segment_keys, segment_values)${pairs}) AS slice`,
    where: spec.sliceKeys.length === 0 ? raw("1") : sql`slice.1 = '' OR has(${spec.sliceKeys}, slice.1)`,
  };
}

/**
 * A regression prediction's expected |e| and e², stamped at ingest (migration 020), as terms of
 * the sums below; `counts` says which rows count (all for the volume, the labelled regression rows
 * for the label statistics). Unstamped rows add nothing.
 */
function expectationTerms(counts: Sql): Sql {
  return sql`toUInt8((${counts}) AND exp_abs_err IS NOT NULL AND exp_sq_err IS NOT NULL) AS has_exp,
               if(has_exp, ifNull(exp_abs_err, 0), 0) AS x_abs, if(has_exp, ifNull(exp_sq_err, 0), 0) AS x_sq`;
}

const EXPECTATION_SUMS = raw("sum(has_exp), sum(x_abs), sum(x_sq), sum(x_sq - x_abs * x_abs), sum(x_sq * x_sq)");

/** Rows of the selected cells, or of every cell of the selected base windows. */
function selectedRows(baseSeconds: number, selection: CellSelection): Sql {
  return "cells" in selection ? inWindows(windowCellSeconds(baseSeconds), selection.cells) : inWindows(baseSeconds, selection.windows);
}

/** The base window and the cell of a row, as `ws` and `cs`. */
function windowAndCell(baseSeconds: number): Sql {
  const cellSeconds = windowCellSeconds(baseSeconds);
  return sql`toDateTime(intDiv(toUInt32(event_time), ${baseSeconds}) * ${baseSeconds}) AS ws,
           toDateTime(intDiv(toUInt32(event_time), ${cellSeconds}) * ${cellSeconds}) AS cs`;
}

/** The volume of cells (migration 024): of the chosen cells, or of every cell of the chosen base windows. */
export function volumeCellsSql(
  source: Identifier,
  target: Identifier,
  spec: ModelSpec,
  baseSeconds: number,
  selection: CellSelection,
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
  // Every scored prediction of a binary model, labelled or not, in the labelled rows' AUC bins
  // (018_score_histograms.sql): the label-free estimates' input.
  const scoreBin =
    spec.task === "binary"
      ? raw(`if(pred_score IS NULL, emptyArrayUInt32(), [toUInt32(floor(ifNull(pred_score, 0) * ${AUC_BINS}))])`)
      : raw("emptyArrayUInt32()");
  const slices = sliceExpansion(spec);
  return sql`
    INSERT INTO ${target} (model_id, model_version, stage, window_start, cell_start, slice_key, slice_value, predictions, expected_correct,
                           expected_n, score_bins, score_counts, exp_n, exp_abs_sum, exp_sq_sum, exp_var_sum, exp_sq2_sum, computed_at_ms)
    SELECT model_id, model_version, stage, ${windowAndCell(baseSeconds)},
           slice.1 AS sk, slice.2 AS sv,
           count(), sum(ec), sum(en),
           tupleElement(sumMap(sb, sc), 1), tupleElement(sumMap(sb, sc), 2),
           ${EXPECTATION_SUMS},
           ${COMPUTED_NOW}
    FROM
    (
        SELECT model_id, model_version, stage, event_time, segment_keys, segment_values,
               ${expected} AS ec, ${expectedN} AS en,
               ${scoreBin} AS sb, arrayMap(b -> toUInt64(1), sb) AS sc,
               ${expectationTerms(raw("1"))}
        FROM ${source} FINAL
        WHERE model_id = ${spec.modelId} AND ${selectedRows(baseSeconds, selection)}
    )
    ${slices.arrayJoin}
    WHERE ${slices.where}
    GROUP BY model_id, model_version, stage, ws, cs, sk, sv`;
}

/** A base window's volume as the sum of its cells: counts and sums add, the score histogram by bin. */
export function volumeFromCellsSql(cells: Identifier, target: Identifier, modelId: string, windows: number[]): Sql {
  return sql`
    INSERT INTO ${target} (model_id, model_version, stage, window_start, slice_key, slice_value, predictions, expected_correct, expected_n,
                           score_bins, score_counts, exp_n, exp_abs_sum, exp_sq_sum, exp_var_sum, exp_sq2_sum, computed_at_ms)
    SELECT model_id, model_version, stage, window_start, slice_key, slice_value,
           sum(predictions), sum(expected_correct), sum(expected_n),
           tupleElement(sumMap(score_bins, score_counts) AS sm, 1), sm.2,
           sum(exp_n), sum(exp_abs_sum), sum(exp_sq_sum), sum(exp_var_sum), sum(exp_sq2_sum),
           ${COMPUTED_NOW}
    FROM ${cells} FINAL
    WHERE ${cellsOfWindows(modelId, windows)}
    GROUP BY model_id, model_version, stage, window_start, slice_key, slice_value`;
}

/** A model's cells of these base windows, found through the sorting key. */
function cellsOfWindows(modelId: string, windows: number[]): Sql {
  return sql`model_id = ${modelId} AND window_start >= toDateTime(${Math.min(...windows)}) AND window_start <= toDateTime(${Math.max(...windows)})
      AND toUInt32(window_start) IN ${list(windows)}`;
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
        emptyArrayUInt64() AS pair_k, emptyArrayUInt64() AS pair_n,
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
        -- (truth, predicted) packed: the low 32 bits of each class key (014_confusion_pairs.sql).
        if(is_class, [bitOr(bitShiftLeft(cityHash64(truth) % 4294967296, 32), cityHash64(predicted) % 4294967296)], emptyArrayUInt64()) AS pair_k,
        if(is_class, [toUInt64(1)], emptyArrayUInt64()) AS pair_n,
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
        emptyArrayUInt64() AS pair_k, emptyArrayUInt64() AS pair_n,
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
 * The label statistics of cells (migration 023): of the chosen cells, or of every cell of the
 * chosen base windows. y_m2 is Σ (y − the cell's mean)² from Welford's stable pass (varPopStable)
 * on shifted values, not Σ y²: for targets near 1.7e9 (epoch-second ETAs) Σ y² − (Σ y)²/n cancels
 * every significant digit. Cells and windows still merge by sums: SST = Σ M2ᵢ + Σ nᵢ (meanᵢ − mean)²
 * (labelStatsFromCellsSql, and the slice_metrics view for larger windows; Chan et al.).
 */
export function labelCellsSql(source: Identifier, target: Identifier, spec: ModelSpec, baseSeconds: number, selection: CellSelection): Sql {
  const rows = selectedRows(baseSeconds, selection);
  const slices = sliceExpansion(spec);
  // M2 does not change with a shift of y; Welford's pass is exact to ~1e-16 relative only once the
  // values are small, so they are shifted by the smallest target of the statement's rows.
  const yShift =
    spec.task === "regression" ? sql`ifNull((SELECT min(value) FROM ${source} WHERE model_id = ${spec.modelId} AND ${rows}), 0)` : raw("0");
  return sql`
    INSERT INTO ${target}
      (model_id, model_version, stage, window_start, cell_start, slice_key, slice_value, labeled, class_n, correct, tp, fp, fn, tn,
       class_keys, class_tp, class_fp, class_fn, pair_keys, pair_counts, prob_n, log_loss_sum, brier_sum, auc_bins, auc_pos, auc_neg,
       ece_bins, ece_n, ece_conf, ece_correct, reg_n, abs_err_sum, sq_err_sum, ape_sum, ape_n, y_sum, y_m2,
       exp_n, exp_abs_sum, exp_sq_sum, exp_var_sum, exp_sq2_sum,
       delay_bins, delay_counts, delay_max_ms, computed_at_ms)
    SELECT model_id, model_version, stage, ${windowAndCell(baseSeconds)},
           slice.1 AS sk, slice.2 AS sv,
           count(), sum(is_class), sum(is_class * is_correct),
           sum(is_class * y * yhat), sum(is_class * (1 - y) * yhat), sum(is_class * y * (1 - yhat)), sum(is_class * (1 - y) * (1 - yhat)),
           tupleElement(sumMap(c_keys, c_tp, c_fp, c_fn), 1), tupleElement(sumMap(c_keys, c_tp, c_fp, c_fn), 2), tupleElement(sumMap(c_keys, c_tp, c_fp, c_fn), 3), tupleElement(sumMap(c_keys, c_tp, c_fp, c_fn), 4),
           tupleElement(sumMap(pair_k, pair_n), 1), tupleElement(sumMap(pair_k, pair_n), 2),
           sum(has_prob), sum(ll), sum(br),
           tupleElement(sumMap(a_bins, a_pos, a_neg), 1), tupleElement(sumMap(a_bins, a_pos, a_neg), 2), tupleElement(sumMap(a_bins, a_pos, a_neg), 3),
           tupleElement(sumMap(e_bins, e_n, e_conf, e_correct), 1), tupleElement(sumMap(e_bins, e_n, e_conf, e_correct), 2), tupleElement(sumMap(e_bins, e_n, e_conf, e_correct), 3), tupleElement(sumMap(e_bins, e_n, e_conf, e_correct), 4),
           sum(is_reg), sum(abs_err), sum(sq_err), sum(ape), sum(has_ape), sum(yv),
           if(sum(is_reg) = 0, 0, varPopStableIf(yv - ${yShift}, is_reg = 1) * sum(is_reg)),
           ${EXPECTATION_SUMS},
           tupleElement(sumMap(d_bins, d_counts), 1), tupleElement(sumMap(d_bins, d_counts), 2), max(delay_ms),
           ${COMPUTED_NOW}
    FROM
    (
        SELECT *,
               if(has_conf, [toUInt8(least(floor(conf * ${ECE_BINS}), ${ECE_BINS - 1}))], emptyArrayUInt8()) AS e_bins,
               if(has_conf, [toUInt64(1)], emptyArrayUInt64()) AS e_n,
               if(has_conf, [conf], emptyArrayFloat64()) AS e_conf,
               if(has_conf, [toUInt64(is_correct)], emptyArrayUInt64()) AS e_correct,
               [toUInt16(if(delay_ms <= 0, 0, ceil(log(delay_ms / 1000 + 1) / log(${DELAY_BIN_RATIO}))))] AS d_bins,
               [toUInt64(1)] AS d_counts,
               ${expectationTerms(raw("is_reg"))}
        FROM
        (
            SELECT model_id, model_version, stage, event_time, segment_keys, segment_values, delay_ms, exp_abs_err, exp_sq_err,
                   ${rowTerms(spec)}
            FROM ${source} FINAL
            WHERE model_id = ${spec.modelId} AND ${rows}
        )
    )
    ${slices.arrayJoin}
    WHERE ${slices.where}
    GROUP BY model_id, model_version, stage, ws, cs, sk, sv`;
}

/**
 * A base window's label statistics as the sum of its cells: counts and sums add, histograms add by
 * key, the delay's maximum is the largest, and y_m2 merges by Chan's formula (each cell's M2 plus
 * nᵢ (meanᵢ − mean)²). Reads a few dozen cells per window and slice, never the window's rows.
 */
export function labelStatsFromCellsSql(cells: Identifier, target: Identifier, modelId: string, windows: number[]): Sql {
  return sql`
    INSERT INTO ${target}
      (model_id, model_version, stage, window_start, slice_key, slice_value, labeled, class_n, correct, tp, fp, fn, tn,
       class_keys, class_tp, class_fp, class_fn, pair_keys, pair_counts, prob_n, log_loss_sum, brier_sum, auc_bins, auc_pos, auc_neg,
       ece_bins, ece_n, ece_conf, ece_correct, reg_n, abs_err_sum, sq_err_sum, ape_sum, ape_n, y_sum, y_m2,
       exp_n, exp_abs_sum, exp_sq_sum, exp_var_sum, exp_sq2_sum,
       delay_bins, delay_counts, delay_max_ms, computed_at_ms)
    SELECT model_id, model_version, stage, window_start, slice_key, slice_value,
           sum(labeled), sum(class_n), sum(correct), sum(tp), sum(fp), sum(fn), sum(tn),
           tupleElement(sumMap(class_keys, class_tp, class_fp, class_fn) AS cm, 1), cm.2, cm.3, cm.4,
           tupleElement(sumMap(pair_keys, pair_counts) AS pm, 1), pm.2,
           sum(prob_n), sum(log_loss_sum), sum(brier_sum),
           tupleElement(sumMap(auc_bins, auc_pos, auc_neg) AS am, 1), am.2, am.3,
           tupleElement(sumMap(ece_bins, ece_n, ece_conf, ece_correct) AS em, 1), em.2, em.3, em.4,
           sum(reg_n) AS n, sum(abs_err_sum), sum(sq_err_sum), sum(ape_sum), sum(ape_n), sum(y_sum) AS ys,
           sum(y_m2) + arraySum((cn, cy) -> if(cn = 0, 0, cn * pow(cy / cn - ys / n, 2)), groupArray(reg_n), groupArray(y_sum)),
           sum(exp_n), sum(exp_abs_sum), sum(exp_sq_sum), sum(exp_var_sum), sum(exp_sq2_sum),
           tupleElement(sumMap(delay_bins, delay_counts) AS dm, 1), dm.2, max(delay_max_ms),
           ${COMPUTED_NOW}
    FROM ${cells} FINAL
    WHERE ${cellsOfWindows(modelId, windows)}
    GROUP BY model_id, model_version, stage, window_start, slice_key, slice_value`;
}

/** Which of these base windows of a model have cells in `cells` (a window without is computed whole, cells and all). */
export function windowsWithCellsSql(cells: Identifier, modelId: string, windows: number[]): Sql {
  return sql`SELECT DISTINCT toUInt32(window_start) AS window_start FROM ${cells} WHERE ${cellsOfWindows(modelId, windows)}`;
}
