-- Drift and data quality against a reference.
--
-- A reference is a sample (uploaded, or a pinned or automatic time range of live traffic) reduced
-- to a profile per feature: the bins every later window is compared on and the reference's own
-- counts on them. Each base window's predictions are reduced to the same bins
-- (window_feature_summaries, recomputed from the raw rows, so replays change nothing); larger
-- windows are sums of base windows. Scores and checks are computed from those summaries by the
-- processor and written to window_drift and window_quality, read through the views below.

-- Predictions' features sorted by model, version and event time, to read whole windows through
-- the primary index.
CREATE TABLE IF NOT EXISTS {{db}}.features_by_time
(
    model_id LowCardinality(String),
    model_version LowCardinality(String),
    event_time DateTime64(3) CODEC(Delta, ZSTD(1)),
    prediction_id String,
    feature_keys Array(LowCardinality(String)) CODEC(ZSTD(1)),
    feature_types Array(Enum8('null' = 0, 'number' = 1, 'string' = 2, 'boolean' = 3)) CODEC(ZSTD(1)),
    feature_numbers Array(Nullable(Float64)) CODEC(ZSTD(1)),
    feature_strings Array(Nullable(String)) CODEC(ZSTD(1)),
    pred_label LowCardinality(Nullable(String)),
    pred_score Nullable(Float64),
    pred_value Nullable(Float64)
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(event_time)
ORDER BY (model_id, model_version, event_time, prediction_id);

CREATE MATERIALIZED VIEW IF NOT EXISTS {{db}}.features_by_time_mv TO {{db}}.features_by_time AS
SELECT model_id, model_version, event_time, prediction_id, feature_keys, feature_types, feature_numbers,
       feature_strings, pred_label, pred_score, pred_value
FROM {{db}}.predictions;

INSERT INTO {{db}}.features_by_time
SELECT model_id, model_version, event_time, prediction_id, feature_keys, feature_types, feature_numbers,
       feature_strings, pred_label, pred_score, pred_value
FROM {{db}}.predictions;

-- Uploaded reference samples (POST /v1/models/:id/reference), in the layout of the raw
-- predictions; re-posting the same sample under the same id replaces it.
CREATE TABLE IF NOT EXISTS {{db}}.reference_samples
(
    reference_id String,
    row_number UInt64,
    feature_keys Array(String),
    feature_types Array(Enum8('null' = 0, 'number' = 1, 'string' = 2, 'boolean' = 3)),
    feature_numbers Array(Nullable(Float64)),
    feature_strings Array(Nullable(String)),
    pred_label Nullable(String),
    pred_score Nullable(Float64),
    pred_value Nullable(Float64)
)
ENGINE = ReplacingMergeTree
ORDER BY (reference_id, row_number);

-- Every reference ever built; model_version '' applies to every version without one of its own.
CREATE TABLE IF NOT EXISTS {{db}}.drift_references
(
    reference_id String,
    model_id String,
    model_version String,
    source String,
    from_ms UInt64,
    to_ms UInt64,
    rows UInt64,
    created_at_ms UInt64
)
ENGINE = ReplacingMergeTree(created_at_ms)
ORDER BY (model_id, model_version, reference_id);

-- The profile of one feature in one reference. Numeric: bins are [edges[i-1], edges[i]) with
-- open ends; coarse_edges (the deciles) are the subset PSI and Jensen–Shannon use. Categorical:
-- bin i is categories[i] (1-based), bin 0 anything else.
CREATE TABLE IF NOT EXISTS {{db}}.reference_features
(
    reference_id String,
    feature String,
    kind String,
    rows UInt64,
    present UInt64,
    nulls UInt64,
    mismatches UInt64,
    n UInt64,
    edges Array(Float64),
    coarse_edges Array(Float64),
    categories Array(String),
    counts Array(UInt64),
    sums Array(Float64),
    min Float64,
    max Float64,
    mean Float64,
    std Float64
)
ENGINE = ReplacingMergeTree
ORDER BY (reference_id, feature);

-- Declared per-feature rules of a model (bounds, required, categories, drift overrides), as JSON
-- validated at the HTTP boundary; the latest declaration wins.
CREATE TABLE IF NOT EXISTS {{db}}.model_rules
(
    model_id String,
    rules String,
    updated_at_ms UInt64
)
ENGINE = ReplacingMergeTree(updated_at_ms)
ORDER BY model_id;

-- One base window of one feature of one model version, on its reference's bins.
CREATE TABLE IF NOT EXISTS {{db}}.window_feature_summaries
(
    model_id String,
    model_version String,
    window_start DateTime,
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
ORDER BY (model_id, model_version, window_start, feature);

CREATE TABLE IF NOT EXISTS {{db}}.window_drift
(
    model_id String,
    model_version String,
    window_start DateTime,
    window_seconds UInt32,
    feature String,
    kind String,
    reference_id String,
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
    ks_p_value Nullable(Float64),
    ks_error_bound Nullable(Float64),
    jensen_shannon Nullable(Float64),
    wasserstein Nullable(Float64),
    wasserstein_error_bound Nullable(Float64),
    chi2 Nullable(Float64),
    chi2_p_value Nullable(Float64),
    unseen_share Nullable(Float64),
    computed_at_ms UInt64
)
ENGINE = ReplacingMergeTree(computed_at_ms)
PARTITION BY toYYYYMM(window_start)
ORDER BY (model_id, model_version, window_seconds, window_start, feature);

CREATE TABLE IF NOT EXISTS {{db}}.window_quality
(
    model_id String,
    model_version String,
    window_start DateTime,
    window_seconds UInt32,
    feature String,
    check String,
    value Float64,
    expected Float64,
    violated UInt8,
    count UInt64,
    rule String,
    detail String,
    computed_at_ms UInt64
)
ENGINE = ReplacingMergeTree(computed_at_ms)
PARTITION BY toYYYYMM(window_start)
ORDER BY (model_id, model_version, window_seconds, window_start, feature, check);

-- For analysts: one row per model version, window, and feature (prediction drift appears as the
-- features 'prediction.score', 'prediction.label' and 'prediction.value').
CREATE VIEW IF NOT EXISTS {{db}}.drift_scores AS
SELECT model_id, model_version, window_start, window_seconds, feature, kind, method, score, p_value,
       threshold, drifted, decision, reference_id, n, reference_n, psi, ks, ks_p_value, ks_error_bound,
       jensen_shannon, wasserstein, wasserstein_error_bound, chi2, chi2_p_value, unseen_share
FROM {{db}}.window_drift FINAL;

CREATE VIEW IF NOT EXISTS {{db}}.data_quality AS
SELECT model_id, model_version, window_start, window_seconds, feature, check, value, expected, violated,
       count, rule, detail
FROM {{db}}.window_quality FINAL;
