-- Drift per slice (issue 18): the drift of a model version's features within one slice of its
-- declared slice keys (country = DE, or an intersection "country × device" = "DE × mobile"),
-- scored against the version's reference (over all traffic), with the same decisions as overall.
-- Computed only for models that declare slice keys; bounded per window by
-- HINDSIGHT_DRIFT_SLICES_PER_KEY (the busiest slices of each key; the rest counted in other_rows).

-- The features' rows carry their segments, so a window's slices are read through the time index.
ALTER TABLE {{db}}.features_by_time ADD COLUMN IF NOT EXISTS segment_keys Array(LowCardinality(String)) CODEC(ZSTD(1));
ALTER TABLE {{db}}.features_by_time ADD COLUMN IF NOT EXISTS segment_values Array(LowCardinality(String)) CODEC(ZSTD(1));
ALTER TABLE {{db}}.features_by_time_mv MODIFY QUERY
SELECT model_id, model_version, event_time, prediction_id, feature_keys, feature_types, feature_numbers,
       feature_strings, pred_label, pred_score, pred_value, segment_keys, segment_values
FROM {{db}}.predictions;

-- The stored history of the models that already declare slice keys, with its segments (the
-- replacing table keeps the copy with them); other models' rows are left as they are.
INSERT INTO {{db}}.features_by_time
SELECT model_id, model_version, event_time, prediction_id, feature_keys, feature_types, feature_numbers,
       feature_strings, pred_label, pred_score, pred_value, segment_keys, segment_values
FROM {{db}}.predictions
WHERE model_id IN (SELECT model_id FROM {{db}}.models FINAL WHERE notEmpty(slice_keys));

-- One base window of one slice and feature on the reference's bins, as window_feature_summaries.
-- other = 1: the key's rows beyond its busiest slices in that base window (the row count only,
-- feature ''). A recomputation writes every slice of a base window with one computed_at_ms; readers
-- take each base window's latest computation, so a slice that dropped out of the busiest is gone.
CREATE TABLE IF NOT EXISTS {{db}}.window_slice_summaries
(
    model_id String,
    model_version String,
    window_start DateTime,
    slice_key String,
    other UInt8,
    slice_value String,
    feature String,
    reference_id String,
    rows UInt64,
    present UInt64,
    nulls UInt64,
    mismatches UInt64,
    n UInt64,
    bins Array(UInt16),
    counts Array(UInt64),
    sums Array(Float64),
    min Float64,
    max Float64,
    unseen_distinct UInt64,
    unseen_top Array(String),
    computed_at_ms UInt64
)
ENGINE = ReplacingMergeTree(computed_at_ms)
PARTITION BY toYYYYMM(window_start)
ORDER BY (model_id, model_version, window_start, slice_key, other, slice_value, feature);

-- Scores per window size, slice and feature. rows: the slice's rows in the window; other_rows: the
-- key's rows in slices not listed (beyond the busiest, or too small to decide).
CREATE TABLE IF NOT EXISTS {{db}}.window_slice_drift
(
    model_id String,
    model_version String,
    window_start DateTime,
    window_seconds UInt32,
    slice_key String,
    slice_value String,
    feature String,
    kind String,
    reference_id String,
    rows UInt64,
    other_rows UInt64,
    n UInt64,
    reference_n UInt64,
    method String,
    score Nullable(Float64),
    p_value Nullable(Float64),
    threshold Float64,
    drifted UInt8,
    decision String,
    psi Nullable(Float64),
    ks Nullable(Float64),
    jensen_shannon Nullable(Float64),
    wasserstein Nullable(Float64),
    chi2 Nullable(Float64),
    unseen_share Nullable(Float64),
    computed_at_ms UInt64
)
ENGINE = ReplacingMergeTree(computed_at_ms)
PARTITION BY toYYYYMM(window_start)
ORDER BY (model_id, model_version, window_seconds, window_start, slice_key, slice_value, feature);

-- For analysts: one row per model version, window, slice and feature, from each window's latest
-- computation (the slices of a window are rewritten together).
CREATE OR REPLACE VIEW {{db}}.slice_drift_scores AS
SELECT model_id, model_version, window_start, window_seconds, slice_key, slice_value, feature, kind, method, score, p_value,
       threshold, drifted, decision, reference_id, rows, other_rows, n, reference_n, psi, ks, jensen_shannon, wasserstein,
       chi2, unseen_share
FROM {{db}}.window_slice_drift FINAL
QUALIFY computed_at_ms = max(computed_at_ms) OVER (PARTITION BY model_id, model_version, window_seconds, window_start);
