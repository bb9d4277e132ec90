-- Paired comparison of variants (issue 18): shadow and canary deployments score one request with
-- two versions (or stages). A prediction may carry the request_id its variants share (prediction_id
-- stays unique per variant); a label may name a request_id instead of a prediction, and then joins
-- every variant's prediction of that request, those that arrive after it too. '' means none.
ALTER TABLE {{db}}.predictions ADD COLUMN IF NOT EXISTS request_id String DEFAULT '';
-- Request labels have no prediction_id: the request is part of a label observation's identity, or
-- two requests' labels of one source and millisecond would collapse into one row. (A column joining
-- the sorting key may have no DEFAULT expression; a String's own default is '' all the same.)
ALTER TABLE {{db}}.labels ADD COLUMN IF NOT EXISTS request_id String, MODIFY ORDER BY (model_id, prediction_id, source, labeled_at, request_id);
ALTER TABLE {{db}}.labeled_predictions ADD COLUMN IF NOT EXISTS request_id String DEFAULT '';
-- The analysts' raw views again, so that their columns include request_id.
CREATE OR REPLACE VIEW {{db}}.prediction_events AS
SELECT * FROM {{db}}.predictions FINAL;
CREATE OR REPLACE VIEW {{db}}.label_events AS
SELECT * FROM {{db}}.labels FINAL;

-- The join's look-ups by request, through the primary index (never a scan of a model's history):
-- a label for a request finds its variants' predictions here, a prediction its request's labels.
-- Only rows that carry a request id. (No rows before this migration do: nothing to copy.)
CREATE TABLE IF NOT EXISTS {{db}}.predictions_by_request
(
    model_id LowCardinality(String),
    request_id String,
    prediction_id String,
    model_version LowCardinality(String),
    stage LowCardinality(String),
    event_time DateTime64(3),
    pred_label LowCardinality(Nullable(String)),
    pred_score Nullable(Float64),
    pred_class_keys Array(LowCardinality(String)),
    pred_class_scores Array(Float64),
    pred_value Nullable(Float64),
    segment_keys Array(LowCardinality(String)),
    segment_values Array(LowCardinality(String))
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(event_time)
ORDER BY (model_id, request_id, prediction_id);

CREATE MATERIALIZED VIEW IF NOT EXISTS {{db}}.predictions_by_request_mv TO {{db}}.predictions_by_request AS
SELECT model_id, request_id, prediction_id, model_version, stage, event_time, pred_label, pred_score,
       pred_class_keys, pred_class_scores, pred_value, segment_keys, segment_values
FROM {{db}}.predictions WHERE request_id != '';

CREATE TABLE IF NOT EXISTS {{db}}.labels_by_request
(
    model_id LowCardinality(String),
    request_id String,
    prediction_id String,
    label LowCardinality(Nullable(String)),
    value Nullable(Float64),
    labeled_at DateTime64(3),
    source LowCardinality(String)
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(labeled_at)
ORDER BY (model_id, request_id, prediction_id, source, labeled_at);

CREATE MATERIALIZED VIEW IF NOT EXISTS {{db}}.labels_by_request_mv TO {{db}}.labels_by_request AS
SELECT model_id, request_id, prediction_id, label, value, labeled_at, source
FROM {{db}}.labels WHERE request_id != '';

-- Requests' predictions by event time, for recomputing a window's pairs through the time index.
CREATE TABLE IF NOT EXISTS {{db}}.request_predictions_by_time
(
    model_id LowCardinality(String),
    event_time DateTime64(3) CODEC(Delta, ZSTD(1)),
    request_id String,
    prediction_id String,
    model_version LowCardinality(String),
    stage LowCardinality(String),
    pred_label LowCardinality(Nullable(String)),
    pred_score Nullable(Float64),
    pred_class_keys Array(LowCardinality(String)),
    pred_class_scores Array(Float64),
    pred_value Nullable(Float64),
    segment_keys Array(LowCardinality(String)),
    segment_values Array(LowCardinality(String))
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(event_time)
ORDER BY (model_id, event_time, request_id, prediction_id);

CREATE MATERIALIZED VIEW IF NOT EXISTS {{db}}.request_predictions_by_time_mv TO {{db}}.request_predictions_by_time AS
SELECT model_id, event_time, request_id, prediction_id, model_version, stage, pred_label, pred_score,
       pred_class_keys, pred_class_scores, pred_value, segment_keys, segment_values
FROM {{db}}.predictions WHERE request_id != '';

-- Per base window, slice and pair of variants (A and B: the two (version, stage) in ascending
-- order) seen on the same requests, the sufficient statistics of the paired comparison, mergeable
-- by addition: pairs and agreeing pairs (same predicted class; labelled or not), the 2×2 table of
-- labelled pairs by correctness, and for regression the moments of d = |error B| − |error A| over
-- labelled pairs (d_sum, and d_m2 = Σ (d − this window's mean d)², merged by Chan's formula) with
-- each side's absolute-error sum. A pair belongs to the base window of its request's first variant,
-- and counts the variants that came within PAIR_SLACK of it (services/common/clickhouse/
-- paired-stats.query.ts); its slices are variant A's segments.
CREATE TABLE IF NOT EXISTS {{db}}.window_paired_stats
(
    model_id String,
    window_start DateTime,
    version_a String,
    stage_a String,
    version_b String,
    stage_b String,
    slice_key String,
    slice_value String,
    pairs UInt64,
    agreeing UInt64,
    labelled UInt64,
    both_right UInt64,
    only_a UInt64,
    only_b UInt64,
    both_wrong UInt64,
    reg_n UInt64,
    d_sum Float64,
    d_m2 Float64,
    abs_err_a Float64,
    abs_err_b Float64,
    computed_at_ms UInt64
)
ENGINE = ReplacingMergeTree(computed_at_ms)
PARTITION BY toYYYYMM(window_start)
ORDER BY (model_id, window_start, version_a, stage_a, version_b, stage_b, slice_key, slice_value);

-- For analysts: the paired statistics per configured window size, with the derived figures.
-- GET /v1/models/:id/compare adds McNemar's test, Newcombe's interval, the t-interval of the
-- regression difference and the promote / hold / roll back reading, over any time range.
CREATE OR REPLACE VIEW {{db}}.paired_comparison AS
SELECT
    model_id, window_seconds, window_start, version_a, stage_a, version_b, stage_b, slice_key, slice_value,
    pairs, agreeing, if(pairs = 0, NULL, agreeing / pairs) AS agreement,
    labelled, both_right, only_a, only_b, both_wrong,
    if(labelled = 0, NULL, (both_right + only_a) / labelled) AS accuracy_a,
    if(labelled = 0, NULL, (both_right + only_b) / labelled) AS accuracy_b,
    if(labelled = 0, NULL, (only_b - only_a) / labelled) AS accuracy_difference,
    reg_n AS regression_pairs,
    if(reg_n = 0, NULL, abs_err_a / reg_n) AS mae_a,
    if(reg_n = 0, NULL, abs_err_b / reg_n) AS mae_b,
    if(reg_n = 0, NULL, d_sum / reg_n) AS mean_abs_error_difference
FROM
(
    SELECT model_id, window_seconds,
           toDateTime(intDiv(toUInt32(base_start), window_seconds) * window_seconds) AS window_start,
           version_a, stage_a, version_b, stage_b, slice_key, slice_value,
           sum(s_pairs) AS pairs, sum(s_agreeing) AS agreeing, sum(s_labelled) AS labelled,
           sum(s_both_right) AS both_right, sum(s_only_a) AS only_a, sum(s_only_b) AS only_b, sum(s_both_wrong) AS both_wrong,
           sum(s_reg_n) AS reg_n, sum(s_d_sum) AS d_sum, sum(s_abs_err_a) AS abs_err_a, sum(s_abs_err_b) AS abs_err_b
    FROM
    (
        SELECT model_id, window_start AS base_start, version_a, stage_a, version_b, stage_b, slice_key, slice_value,
               pairs AS s_pairs, agreeing AS s_agreeing, labelled AS s_labelled, both_right AS s_both_right,
               only_a AS s_only_a, only_b AS s_only_b, both_wrong AS s_both_wrong, reg_n AS s_reg_n, d_sum AS s_d_sum,
               abs_err_a AS s_abs_err_a, abs_err_b AS s_abs_err_b
        FROM {{db}}.window_paired_stats FINAL
    ) AS base
    CROSS JOIN {{db}}.window_sizes
    GROUP BY model_id, window_seconds, window_start, version_a, stage_a, version_b, stage_b, slice_key, slice_value
) AS windows;

-- Label quality (003) with labels for whole requests: observations are grouped by what they
-- label (a prediction, or a request when prediction_id is empty), and a request's label is an
-- orphan only while no variant of its request has been seen.
CREATE OR REPLACE VIEW {{db}}.label_quality AS
SELECT
    model_id, source,
    count() AS labels,
    countIf(position > 1 AND observed = first_observed) AS duplicates,
    countIf(position > 1 AND observed != first_observed) AS conflicts,
    countIf(if(prediction_id = '', seen_request, seen) = 0) AS orphans
FROM
(
    SELECT model_id, prediction_id, request_id, observed, source, position, first_observed, seen, seen_request
    FROM
    (
        SELECT model_id, prediction_id, request_id,
               arraySort((o, t) -> t, groupArray(observed_value), groupArray(labeled_at)) AS observations,
               arraySort((s, t) -> t, groupArray(label_source), groupArray(labeled_at)) AS sources,
               observations[1] AS first_observed
        FROM
        (
            SELECT model_id, prediction_id, request_id, labeled_at, source AS label_source,
                   ifNull(label, toString(value)) AS observed_value
            FROM {{db}}.labels FINAL
        )
        GROUP BY model_id, prediction_id, request_id
    ) AS by_prediction
    ARRAY JOIN observations AS observed, sources AS source, arrayEnumerate(observations) AS position
    ANY LEFT JOIN
    (
        SELECT DISTINCT model_id, prediction_id, toUInt8(1) AS seen FROM {{db}}.predictions_by_time
    ) AS seen_predictions
    USING (model_id, prediction_id)
    ANY LEFT JOIN
    (
        SELECT DISTINCT model_id, request_id, toUInt8(1) AS seen_request FROM {{db}}.predictions_by_request
    ) AS seen_requests
    USING (model_id, request_id)
) AS observations
GROUP BY model_id, source;
