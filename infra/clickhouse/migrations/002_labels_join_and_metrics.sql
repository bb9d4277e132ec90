-- Delayed-label join and windowed quality metrics.
--
-- Every table here is derived from the raw events and rewritten idempotently: joined rows are
-- keyed by prediction (the latest label wins through the version column), and per-window
-- statistics are recomputed from the joined rows and replace the previous computation. Replaying
-- a topic or restarting the processor therefore leaves every metric as it was.

-- Declared (PUT /v1/models/:id) or inferred model specifications; a declared one always wins
-- (inferred rows carry updated_at_ms 1, or 2 once their positive class is known).
CREATE TABLE IF NOT EXISTS {{db}}.models
(
    model_id String,
    task String,
    positive_class String,
    threshold Float64,
    slice_keys Array(String),
    declared UInt8,
    updated_at_ms UInt64
)
ENGINE = ReplacingMergeTree(updated_at_ms)
ORDER BY model_id;

-- The window sizes the views aggregate to (written by the processor from its configuration).
CREATE TABLE IF NOT EXISTS {{db}}.window_sizes
(
    window_seconds UInt32
)
ENGINE = ReplacingMergeTree
ORDER BY window_seconds;

-- Predictions sorted by event time, for reading whole windows through the primary index.
CREATE TABLE IF NOT EXISTS {{db}}.predictions_by_time
(
    model_id LowCardinality(String),
    model_version LowCardinality(String),
    stage LowCardinality(String),
    event_time DateTime64(3) CODEC(Delta, ZSTD(1)),
    prediction_id String,
    pred_label LowCardinality(Nullable(String)),
    pred_score Nullable(Float64),
    pred_class_scores Array(Float64),
    segment_keys Array(LowCardinality(String)),
    segment_values Array(LowCardinality(String))
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(event_time)
ORDER BY (model_id, event_time, prediction_id);

CREATE MATERIALIZED VIEW IF NOT EXISTS {{db}}.predictions_by_time_mv TO {{db}}.predictions_by_time AS
SELECT model_id, model_version, stage, event_time, prediction_id, pred_label, pred_score,
       pred_class_scores, segment_keys, segment_values
FROM {{db}}.predictions;

INSERT INTO {{db}}.predictions_by_time
SELECT model_id, model_version, stage, event_time, prediction_id, pred_label, pred_score,
       pred_class_scores, segment_keys, segment_values
FROM {{db}}.predictions;

-- One row per labelled prediction: the prediction's attributes with its winning label (the
-- latest labeled_at; ties go to the greater source, then label, then value: a total order, so the
-- choice never depends on arrival order) and the feedback delay. The processor writes the winner
-- among every label known for the prediction; label_version ranks it (labeled_at in ms · 1024 + its
-- rank among that millisecond's labels), and known labels only grow, so the highest version wins.
CREATE TABLE IF NOT EXISTS {{db}}.labeled_predictions
(
    model_id LowCardinality(String),
    prediction_id String,
    model_version LowCardinality(String),
    stage LowCardinality(String),
    event_time DateTime64(3) CODEC(Delta, ZSTD(1)),
    pred_label LowCardinality(Nullable(String)),
    pred_score Nullable(Float64),
    pred_class_keys Array(LowCardinality(String)),
    pred_class_scores Array(Float64),
    pred_value Nullable(Float64),
    segment_keys Array(LowCardinality(String)),
    segment_values Array(LowCardinality(String)),
    label LowCardinality(Nullable(String)),
    value Nullable(Float64),
    labeled_at DateTime64(3),
    source LowCardinality(String),
    delay_ms Int64,
    label_version UInt64
)
ENGINE = ReplacingMergeTree(label_version)
PARTITION BY toYYYYMM(event_time)
ORDER BY (model_id, event_time, prediction_id);

-- Per base window (the smallest configured size) and slice: volume and the label-free estimate.
CREATE TABLE IF NOT EXISTS {{db}}.window_volume
(
    model_id String,
    model_version String,
    stage String,
    window_start DateTime,
    slice_key String,
    slice_value String,
    predictions UInt64,
    expected_correct Float64,
    expected_n UInt64,
    computed_at_ms UInt64
)
ENGINE = ReplacingMergeTree(computed_at_ms)
PARTITION BY toYYYYMM(window_start)
ORDER BY (model_id, window_start, model_version, stage, slice_key, slice_value);

-- Per base window and slice: the sufficient statistics of every quality metric, mergeable by
-- sums (and sumMap for the histograms), so larger windows are exact sums of base windows.
-- Per-class counts (multi-class macro averages) are keyed by cityHash64 of the class name:
-- sumMap on 18.16 takes only numeric keys.
CREATE TABLE IF NOT EXISTS {{db}}.window_label_stats
(
    model_id String,
    model_version String,
    stage String,
    window_start DateTime,
    slice_key String,
    slice_value String,
    labeled UInt64,
    class_n UInt64,
    correct UInt64,
    tp UInt64,
    fp UInt64,
    fn UInt64,
    tn UInt64,
    class_keys Array(UInt64),
    class_tp Array(UInt64),
    class_fp Array(UInt64),
    class_fn Array(UInt64),
    prob_n UInt64,
    log_loss_sum Float64,
    brier_sum Float64,
    auc_bins Array(UInt32),
    auc_pos Array(UInt64),
    auc_neg Array(UInt64),
    ece_bins Array(UInt8),
    ece_n Array(UInt64),
    ece_conf Array(Float64),
    ece_correct Array(UInt64),
    reg_n UInt64,
    abs_err_sum Float64,
    sq_err_sum Float64,
    ape_sum Float64,
    ape_n UInt64,
    y_sum Float64,
    -- Σ (y − this window's mean y)² over its regression rows (Welford's stable pass, not Σ y² − (Σ y)²/n,
    -- which loses every digit for targets like epoch seconds); merged with y_sum and reg_n by Chan's formula.
    y_m2 Float64,
    delay_bins Array(UInt16),
    delay_counts Array(UInt64),
    delay_max_ms Int64,
    computed_at_ms UInt64
)
ENGINE = ReplacingMergeTree(computed_at_ms)
PARTITION BY toYYYYMM(window_start)
ORDER BY (model_id, window_start, model_version, stage, slice_key, slice_value);
