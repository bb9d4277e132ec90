-- Views for analysts: quality metrics per window and slice, feedback delays, label quality.

-- Metrics per model, version, stage, window and slice. Windows of every configured size are
-- exact sums of the base-window statistics. slice_key = '' is the whole population.
-- pr_auc is average precision (the area under the precision-recall curve, as
-- scikit-learn's average_precision_score computes it) from the same score histograms as roc_auc.
-- Bins are thresholds, high to low: at bin k, predictions scored in bin k or above are positive, so
-- tp = P − (positives below k) and fp = N − (negatives below k); AP = Σ_k pos_k / P · tp / (tp + fp).
-- Scores sharing a bin are one threshold, as equal scores are for scikit-learn.
CREATE VIEW IF NOT EXISTS {{db}}.slice_metrics AS
SELECT
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
    correct, class_n, tp, fp, fn, tn
FROM
(
    SELECT *
    FROM
    (
        SELECT model_id, model_version, stage, window_seconds,
               toDateTime(intDiv(toUInt32(base_start), window_seconds) * window_seconds) AS window_start,
               slice_key, slice_value,
               sum(v_predictions) AS predictions, sum(v_expected_correct) AS expected_correct, sum(v_expected_n) AS expected_n
        FROM
        (
            SELECT model_id, model_version, stage, window_start AS base_start, slice_key, slice_value,
                   predictions AS v_predictions, expected_correct AS v_expected_correct, expected_n AS v_expected_n
            FROM {{db}}.window_volume FINAL
        ) AS base
        CROSS JOIN {{db}}.window_sizes
        GROUP BY model_id, model_version, stage, window_seconds, window_start, slice_key, slice_value
    ) AS volume
    ANY LEFT JOIN
    (
        SELECT model_id, model_version, stage, window_seconds,
               toDateTime(intDiv(toUInt32(base_start), window_seconds) * window_seconds) AS window_start,
               slice_key, slice_value,
               sum(s_labeled) AS labeled, sum(s_class_n) AS class_n, sum(s_correct) AS correct,
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
               max(s_delay_max_ms) AS delay_max_ms
        FROM
        (
            SELECT model_id, model_version, stage, window_start AS base_start, slice_key, slice_value,
                   labeled AS s_labeled, class_n AS s_class_n, correct AS s_correct,
                   tp AS s_tp, fp AS s_fp, fn AS s_fn, tn AS s_tn,
                   class_keys AS s_class_keys, class_tp AS s_class_tp, class_fp AS s_class_fp, class_fn AS s_class_fn,
                   prob_n AS s_prob_n, log_loss_sum AS s_log_loss_sum, brier_sum AS s_brier_sum,
                   auc_bins AS s_auc_bins, auc_pos AS s_auc_pos, auc_neg AS s_auc_neg,
                   ece_bins AS s_ece_bins, ece_n AS s_ece_n, ece_conf AS s_ece_conf, ece_correct AS s_ece_correct,
                   reg_n AS s_reg_n, abs_err_sum AS s_abs_err_sum, sq_err_sum AS s_sq_err_sum,
                   ape_sum AS s_ape_sum, ape_n AS s_ape_n, y_sum AS s_y_sum, y_m2 AS s_y_m2,
                   delay_bins AS s_delay_bins, delay_counts AS s_delay_counts, delay_max_ms AS s_delay_max_ms
            FROM {{db}}.window_label_stats FINAL
        ) AS base
        CROSS JOIN {{db}}.window_sizes
        GROUP BY model_id, model_version, stage, window_seconds, window_start, slice_key, slice_value
    ) AS label_stats
    USING (model_id, model_version, stage, window_seconds, window_start, slice_key, slice_value)
) AS windows
ANY LEFT JOIN
(
    SELECT model_id, argMax(task, updated_at_ms) AS task, argMax(slice_keys, updated_at_ms) AS model_slice_keys
    FROM {{db}}.models GROUP BY model_id
) AS model_specs
USING (model_id)
-- Slices of keys the model no longer declares (statistics computed under an older declaration).
WHERE slice_key = '' OR empty(model_slice_keys) OR has(model_slice_keys, slice_key);

-- Feedback delay (label time − prediction time) per model, version, stage and window of the
-- predictions' event time: exact quantiles over the labelled predictions (winning labels).
CREATE VIEW IF NOT EXISTS {{db}}.label_delays AS
SELECT
    model_id, model_version, stage, window_seconds,
    toDateTime(intDiv(toUInt32(event_time), window_seconds) * window_seconds) AS window_start,
    count() AS labeled,
    quantilesExact(0.5, 0.9, 0.99)(delay_ms / 1000) AS delay_quantiles_s,
    delay_quantiles_s[1] AS delay_p50_s,
    delay_quantiles_s[2] AS delay_p90_s,
    delay_quantiles_s[3] AS delay_p99_s,
    min(delay_ms) / 1000 AS delay_min_s,
    max(delay_ms) / 1000 AS delay_max_s
FROM (SELECT model_id, model_version, stage, event_time, delay_ms FROM {{db}}.labeled_predictions FINAL) AS labelled
CROSS JOIN {{db}}.window_sizes
GROUP BY model_id, model_version, stage, window_seconds, window_start;

-- Label quality per model and source: observations, duplicates (agreeing with the prediction's
-- first label), conflicts (disagreeing with it), and orphans (no prediction seen for them).
CREATE VIEW IF NOT EXISTS {{db}}.label_quality AS
SELECT
    model_id, source,
    count() AS labels,
    countIf(position > 1 AND observed = first_observed) AS duplicates,
    countIf(position > 1 AND observed != first_observed) AS conflicts,
    countIf(seen = 0) AS orphans
FROM
(
    SELECT model_id, prediction_id, observed, source, position, first_observed, seen
    FROM
    (
        SELECT model_id, prediction_id,
               arraySort((o, t) -> t, groupArray(observed_value), groupArray(labeled_at)) AS observations,
               arraySort((s, t) -> t, groupArray(label_source), groupArray(labeled_at)) AS sources,
               observations[1] AS first_observed
        FROM
        (
            SELECT model_id, prediction_id, labeled_at, source AS label_source,
                   ifNull(label, toString(value)) AS observed_value
            FROM {{db}}.label_events
        )
        GROUP BY model_id, prediction_id
    ) AS by_prediction
    ARRAY JOIN observations AS observed, sources AS source, arrayEnumerate(observations) AS position
    ANY LEFT JOIN
    (
        SELECT DISTINCT model_id, prediction_id, toUInt8(1) AS seen FROM {{db}}.predictions_by_time
    ) AS seen_predictions
    USING (model_id, prediction_id)
) AS observations
GROUP BY model_id, source;
