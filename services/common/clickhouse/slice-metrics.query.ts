/**
 * The `slice_metrics` view (migration 003) as a query with its filters pushed down into the base
 * windows. ClickHouse 18.16 computes a view in full (every model, window size and slice) before
 * an outer WHERE narrows it; this builds the same SELECT (same columns, same formulas, same joins)
 * with the model, version, stage, window size, time range and slice conditions applied where the
 * base-window tables `window_volume` and `window_label_stats` are read, so only the base windows
 * the answer needs are read, merged and summed.
 *
 * Equivalence with `SELECT * FROM slice_metrics WHERE …` (checked in
 * test/slice-metrics-query.int.test.ts): model, version, stage, slice key and value are grouping
 * keys of every step, so filtering them early removes whole groups and changes no other; a window
 * of W seconds is the sum of the base windows b with ⌊b/W⌋·W = window_start, so "window_start in
 * [from, to)" is exactly "b in [⌈from/W⌉·W, ⌈to/W⌉·W)": whole windows are summed, never a part of
 * one. The formulas below are copied from the migration (003); keep the two in step.
 *
 * Every value is a typed query parameter; table names pass the identifier whitelist.
 */
import { ident, join, list, raw, sql, type Sql } from "./sql.js";

/** Which slices: the whole population (slice_key ''), every value of one key, one slice, or all of them (population included). */
export type SliceSelection =
  | { kind: "population" }
  | { kind: "key"; key: string }
  | { kind: "slice"; key: string; value: string }
  | { kind: "all" };

export interface SliceMetricsFilter {
  /** Every model when omitted; never an empty list. */
  models?: readonly string[] | undefined;
  modelVersion?: string | undefined;
  stage?: string | undefined;
  /** One configured window size; the answer is empty when it is not one. */
  windowSeconds: number;
  /** Windows whose start lies in [fromS, toS), epoch seconds; either end open when omitted. */
  fromS?: number | undefined;
  toS?: number | undefined;
  slices: SliceSelection;
  /** Also the regression sums behind mae (reg_n, abs_err_sum, sq_err_sum), which the view does not show. */
  errorSums?: boolean | undefined;
  /**
   * Also the per-class counts of multi-class models (cm_keys, cm_tp, cm_fp, cm_fn; keys are
   * cityHash64 of the class) and their confusion pairs (pm_keys, pm_counts; 014_confusion_pairs.sql).
   */
  classSums?: boolean | undefined;
}

const DATETIME_MAX = 4_294_967_295;

// Copied from infra/clickhouse/migrations/003_metric_views.sql (trusted text, no values in it).
const OUTER_COLUMNS = raw(`
    model_id, model_version, stage, window_start, window_seconds, slice_key, slice_value,
    task,
    predictions,
    labeled,
    if(predictions = 0, NULL, labeled / predictions) AS label_coverage,
    if(class_n = 0, NULL, correct / class_n) AS accuracy,
    if(task = 'multiclass',
       if(length(cm_keys) = 0, NULL, arrayReduce('avg', arrayMap((t, p) -> if(t + p = 0, 0, t / (t + p)), cm_tp, cm_fp))),
       if(tp + fp = 0, NULL, tp / (tp + fp))) AS precision,
    if(task = 'multiclass',
       if(length(cm_keys) = 0, NULL, arrayReduce('avg', arrayMap((t, n) -> if(t + n = 0, 0, t / (t + n)), cm_tp, cm_fn))),
       if(tp + fn = 0, NULL, tp / (tp + fn))) AS recall,
    if(task = 'multiclass',
       if(length(cm_keys) = 0, NULL, arrayReduce('avg', arrayMap((t, p, n) -> if(2 * t + p + n = 0, 0, 2 * t / (2 * t + p + n)), cm_tp, cm_fp, cm_fn))),
       if(2 * tp + fp + fn = 0, NULL, 2 * tp / (2 * tp + fp + fn))) AS f1,
    if(prob_n = 0, NULL, log_loss_sum / prob_n) AS log_loss,
    if(prob_n = 0, NULL, brier_sum / prob_n) AS brier,
    if(task != 'binary' OR arraySum(am_pos) = 0 OR arraySum(am_neg) = 0, NULL,
       arraySum(arrayMap((n, c, p) -> n * (arraySum(am_pos) - c + 0.5 * p), am_neg, arrayCumSum(am_pos), am_pos))
         / (arraySum(am_pos) * arraySum(am_neg))) AS roc_auc,
    if(task != 'binary' OR arraySum(am_pos) = 0 OR arraySum(am_neg) = 0, NULL,
       arraySum(arrayMap((n, p) -> 0.5 * n * p, am_neg, am_pos)) / (arraySum(am_pos) * arraySum(am_neg))) AS roc_auc_error_bound,
    if(task != 'binary' OR arraySum(am_pos) = 0, NULL,
       arraySum(arrayMap((p, cp, n, cn) -> if(p = 0, 0, p * (arraySum(am_pos) - cp + p) / ((arraySum(am_pos) - cp + p) + (arraySum(am_neg) - cn + n))),
                         am_pos, arrayCumSum(am_pos), am_neg, arrayCumSum(am_neg))) / arraySum(am_pos)) AS pr_auc,
    if(arraySum(em_n) = 0, NULL,
       arraySum(arrayMap((c, a) -> abs(a - c), em_conf, em_correct)) / arraySum(em_n)) AS ece,
    if(reg_n = 0, NULL, abs_err_sum / reg_n) AS mae,
    if(reg_n = 0, NULL, sqrt(sq_err_sum / reg_n)) AS rmse,
    if(ape_n = 0, NULL, ape_sum / ape_n) AS mape,
    if(reg_n < 2 OR y_m2_within + arraySum((n, s) -> if(n = 0, 0, n * pow(s / n - y_sum / reg_n, 2)), y_ns, y_sums) <= 0, NULL,
       1 - sq_err_sum / (y_m2_within + arraySum((n, s) -> if(n = 0, 0, n * pow(s / n - y_sum / reg_n, 2)), y_ns, y_sums))) AS r2,
    if(arraySum(dm_counts) = 0, NULL,
       if(dm_bins[arrayFirstIndex(x -> x >= 0.5 * arraySum(dm_counts), arrayCumSum(dm_counts))] = 0, 0,
          pow(1.05, dm_bins[arrayFirstIndex(x -> x >= 0.5 * arraySum(dm_counts), arrayCumSum(dm_counts))]) - 1)) AS delay_p50_s,
    if(arraySum(dm_counts) = 0, NULL,
       if(dm_bins[arrayFirstIndex(x -> x >= 0.9 * arraySum(dm_counts), arrayCumSum(dm_counts))] = 0, 0,
          pow(1.05, dm_bins[arrayFirstIndex(x -> x >= 0.9 * arraySum(dm_counts), arrayCumSum(dm_counts))]) - 1)) AS delay_p90_s,
    if(labeled = 0, NULL, delay_max_ms / 1000) AS delay_max_s,
    if(expected_n = 0, NULL, expected_correct / expected_n) AS estimated_accuracy,
    correct, class_n, tp, fp, fn, tn`);

const VOLUME_BASE = raw(`model_id, model_version, stage, window_start AS base_start, slice_key, slice_value,
                   predictions AS v_predictions, expected_correct AS v_expected_correct, expected_n AS v_expected_n`);

const VOLUME_SUMS = raw(`sum(v_predictions) AS predictions, sum(v_expected_correct) AS expected_correct, sum(v_expected_n) AS expected_n`);

const STATS_BASE = raw(`model_id, model_version, stage, window_start AS base_start, slice_key, slice_value,
                   labeled AS s_labeled, class_n AS s_class_n, correct AS s_correct,
                   tp AS s_tp, fp AS s_fp, fn AS s_fn, tn AS s_tn,
                   class_keys AS s_class_keys, class_tp AS s_class_tp, class_fp AS s_class_fp, class_fn AS s_class_fn,
                   prob_n AS s_prob_n, log_loss_sum AS s_log_loss_sum, brier_sum AS s_brier_sum,
                   auc_bins AS s_auc_bins, auc_pos AS s_auc_pos, auc_neg AS s_auc_neg,
                   ece_bins AS s_ece_bins, ece_n AS s_ece_n, ece_conf AS s_ece_conf, ece_correct AS s_ece_correct,
                   reg_n AS s_reg_n, abs_err_sum AS s_abs_err_sum, sq_err_sum AS s_sq_err_sum,
                   ape_sum AS s_ape_sum, ape_n AS s_ape_n, y_sum AS s_y_sum, y_m2 AS s_y_m2,
                   delay_bins AS s_delay_bins, delay_counts AS s_delay_counts, delay_max_ms AS s_delay_max_ms`);

const STATS_SUMS = raw(`sum(s_labeled) AS labeled, sum(s_class_n) AS class_n, sum(s_correct) AS correct,
               sum(s_tp) AS tp, sum(s_fp) AS fp, sum(s_fn) AS fn, sum(s_tn) AS tn,
               sumMap(s_class_keys, s_class_tp, s_class_fp, s_class_fn) AS cm,
               cm.1 AS cm_keys, cm.2 AS cm_tp, cm.3 AS cm_fp, cm.4 AS cm_fn,
               sum(s_prob_n) AS prob_n, sum(s_log_loss_sum) AS log_loss_sum, sum(s_brier_sum) AS brier_sum,
               sumMap(s_auc_bins, s_auc_pos, s_auc_neg) AS am,
               am.2 AS am_pos, am.3 AS am_neg,
               sumMap(s_ece_bins, s_ece_n, s_ece_conf, s_ece_correct) AS em,
               em.2 AS em_n, em.3 AS em_conf, em.4 AS em_correct,
               sum(s_reg_n) AS reg_n, sum(s_abs_err_sum) AS abs_err_sum, sum(s_sq_err_sum) AS sq_err_sum,
               sum(s_ape_sum) AS ape_sum, sum(s_ape_n) AS ape_n, sum(s_y_sum) AS y_sum, sum(s_y_m2) AS y_m2_within,
               groupArray(s_reg_n) AS y_ns, groupArray(s_y_sum) AS y_sums,
               sumMap(s_delay_bins, s_delay_counts) AS dm, dm.1 AS dm_bins, dm.2 AS dm_counts,
               max(s_delay_max_ms) AS delay_max_ms`);

const WINDOW_KEYS = raw(`model_id, model_version, stage, window_seconds,
               toDateTime(intDiv(toUInt32(base_start), window_seconds) * window_seconds) AS window_start,
               slice_key, slice_value`);

const GROUP_KEYS = raw("model_id, model_version, stage, window_seconds, window_start, slice_key, slice_value");

/** The first multiple of `w` at or after `s`, kept inside DateTime's range. */
function alignUp(s: number, w: number): number {
  return Math.min(Math.max(0, Math.ceil(s / w) * w), DATETIME_MAX);
}

/** Conditions on a base-window table (`window_volume` or `window_label_stats`, columns as stored). */
export function baseWhere(f: SliceMetricsFilter): Sql {
  const where: Sql[] = [];
  if (f.models !== undefined) where.push(f.models.length === 1 ? sql`model_id = ${f.models[0]!}` : sql`model_id IN ${list(f.models)}`);
  if (f.modelVersion !== undefined) where.push(sql`model_version = ${f.modelVersion}`);
  if (f.stage !== undefined) where.push(sql`stage = ${f.stage}`);
  const s = f.slices;
  if (s.kind === "population") where.push(sql`slice_key = ''`);
  else if (s.kind === "key") where.push(sql`slice_key = ${s.key}`);
  else if (s.kind === "slice") where.push(sql`slice_key = ${s.key}`, sql`slice_value = ${s.value}`);
  // Every base window of a larger window shares its ⌊b/W⌋·W, so these bounds keep windows whole.
  if (f.fromS !== undefined) where.push(sql`window_start >= toDateTime(${alignUp(f.fromS, f.windowSeconds)})`);
  if (f.toS !== undefined) where.push(sql`window_start < toDateTime(${alignUp(f.toS, f.windowSeconds)})`);
  // PREWHERE: 18.16 applies a WHERE only after FINAL has merged every row of the parts read (with
  // their histogram arrays); a PREWHERE runs first. Exact here because every condition is on the
  // sorting key, which all versions of a row share.
  return where.length === 0 ? raw("") : sql`PREWHERE ${join(where, " AND ")}`;
}

/**
 * `SELECT <the view's columns> …` narrowed by `f`; wrap it as a subquery to sort, limit or
 * aggregate (`SELECT … FROM (${sliceMetricsQuery(db, f)}) ORDER BY …`).
 */
export function sliceMetricsQuery(database: string, f: SliceMetricsFilter): Sql {
  if (!Number.isInteger(f.windowSeconds) || f.windowSeconds <= 0)
    throw new Error(`window size must be a positive whole number of seconds, got ${f.windowSeconds}`);
  if (f.models !== undefined && f.models.length === 0) throw new Error("refusing an empty list of models");
  for (const s of [f.fromS, f.toS])
    if (s !== undefined && !Number.isInteger(s)) throw new Error(`time bounds are whole epoch seconds, got ${s}`);
  const t = (name: string) => ident(`${database}.${name}`);
  const where = baseWhere(f);
  const sizes = sql`(SELECT window_seconds FROM ${t("window_sizes")} WHERE window_seconds = ${f.windowSeconds})`;
  const modelsWhere = f.models === undefined ? raw("") : sql`WHERE model_id IN ${list(f.models)}`;
  return sql`
SELECT ${OUTER_COLUMNS}${f.errorSums ? raw(", reg_n, abs_err_sum, sq_err_sum") : raw("")}${f.classSums ? raw(", cm_keys, cm_tp, cm_fp, cm_fn, pm_keys, pm_counts") : raw("")}
FROM
(
    SELECT *
    FROM
    (
        SELECT ${WINDOW_KEYS},
               ${VOLUME_SUMS}
        FROM
        (
            SELECT ${VOLUME_BASE}
            FROM ${t("window_volume")} FINAL
            ${where}
        ) AS base
        CROSS JOIN ${sizes} AS sizes
        GROUP BY ${GROUP_KEYS}
    ) AS volume
    ANY LEFT JOIN
    (
        SELECT ${WINDOW_KEYS},
               ${STATS_SUMS}${f.classSums ? raw(", sumMap(s_pair_keys, s_pair_counts) AS pm, pm.1 AS pm_keys, pm.2 AS pm_counts") : raw("")}
        FROM
        (
            SELECT ${STATS_BASE}${f.classSums ? raw(", pair_keys AS s_pair_keys, pair_counts AS s_pair_counts") : raw("")}
            FROM ${t("window_label_stats")} FINAL
            ${where}
        ) AS base
        CROSS JOIN ${sizes} AS sizes
        GROUP BY ${GROUP_KEYS}
    ) AS label_stats
    USING (${GROUP_KEYS})
) AS windows
ANY LEFT JOIN
(
    SELECT model_id, argMax(task, updated_at_ms) AS task, argMax(slice_keys, updated_at_ms) AS model_slice_keys
    FROM ${t("models")} ${modelsWhere} GROUP BY model_id
) AS model_specs
USING (model_id)
WHERE slice_key = '' OR empty(model_slice_keys) OR has(model_slice_keys, slice_key)`;
}
