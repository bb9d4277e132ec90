-- Label-free estimates of regression models (DLE, services/common/domain/estimation/dle.ts).
-- Per model version, an error model (boosted trees learning a row's expected |error| and error²
-- from its prediction and features) is fitted by the evaluator on a bounded sample of the version's
-- labelled rows and stored here as JSON; the latest fit of a version wins. Two evaluators fitting
-- at once write two rows, and readers keep the one with the greater fitted_at_ms.
CREATE TABLE IF NOT EXISTS {{db}}.error_models
(
    model_id String,
    model_version String,
    fitted_at_ms UInt64,
    rows UInt64,
    model String CODEC(ZSTD(3))
)
ENGINE = ReplacingMergeTree(fitted_at_ms)
ORDER BY (model_id, model_version);

-- Each regression prediction of a version with a stored error model carries its expected |e| and
-- e², computed by the processor at ingest with the model it held then (NULL: no model yet). They
-- travel with the prediction to the tables the windows are computed from.
ALTER TABLE {{db}}.predictions
    ADD COLUMN IF NOT EXISTS exp_abs_err Nullable(Float64) AFTER pred_value,
    ADD COLUMN IF NOT EXISTS exp_sq_err Nullable(Float64) AFTER exp_abs_err;
ALTER TABLE {{db}}.predictions_by_time
    ADD COLUMN IF NOT EXISTS exp_abs_err Nullable(Float64) AFTER pred_class_scores,
    ADD COLUMN IF NOT EXISTS exp_sq_err Nullable(Float64) AFTER exp_abs_err;
ALTER TABLE {{db}}.predictions_by_time_mv MODIFY QUERY
SELECT model_id, model_version, stage, event_time, prediction_id, pred_label, pred_score,
       pred_class_scores, exp_abs_err, exp_sq_err, segment_keys, segment_values
FROM {{db}}.predictions;
ALTER TABLE {{db}}.predictions_by_request
    ADD COLUMN IF NOT EXISTS exp_abs_err Nullable(Float64) AFTER pred_value,
    ADD COLUMN IF NOT EXISTS exp_sq_err Nullable(Float64) AFTER exp_abs_err;
ALTER TABLE {{db}}.predictions_by_request_mv MODIFY QUERY
SELECT model_id, request_id, prediction_id, model_version, stage, event_time, pred_label, pred_score,
       pred_class_keys, pred_class_scores, pred_value, exp_abs_err, exp_sq_err, segment_keys, segment_values
FROM {{db}}.predictions WHERE request_id != '';
ALTER TABLE {{db}}.labeled_predictions
    ADD COLUMN IF NOT EXISTS exp_abs_err Nullable(Float64) AFTER pred_value,
    ADD COLUMN IF NOT EXISTS exp_sq_err Nullable(Float64) AFTER exp_abs_err;

-- Per base window and slice, with the volume: over the predictions stamped with an expectation
-- (exp_n), Σ E|e|, Σ E[e²], Σ (E[e²] − E|e|²) and Σ E[e²]²; with the
-- label statistics the same sums over the labelled stamped rows. Unlabelled = volume − labelled,
-- and every column merges by addition, so windows of every size are sums of base windows.
-- Windows computed before this migration hold zeros until they are recomputed.
ALTER TABLE {{db}}.window_volume
    ADD COLUMN IF NOT EXISTS exp_n UInt64 AFTER score_counts,
    ADD COLUMN IF NOT EXISTS exp_abs_sum Float64 AFTER exp_n,
    ADD COLUMN IF NOT EXISTS exp_sq_sum Float64 AFTER exp_abs_sum,
    ADD COLUMN IF NOT EXISTS exp_var_sum Float64 AFTER exp_sq_sum,
    ADD COLUMN IF NOT EXISTS exp_sq2_sum Float64 AFTER exp_var_sum;
ALTER TABLE {{db}}.window_label_stats
    ADD COLUMN IF NOT EXISTS exp_n UInt64 AFTER y_m2,
    ADD COLUMN IF NOT EXISTS exp_abs_sum Float64 AFTER exp_n,
    ADD COLUMN IF NOT EXISTS exp_sq_sum Float64 AFTER exp_abs_sum,
    ADD COLUMN IF NOT EXISTS exp_var_sum Float64 AFTER exp_sq_sum,
    ADD COLUMN IF NOT EXISTS exp_sq2_sum Float64 AFTER exp_var_sum;
