-- Raw prediction and label events: the store of record, one row per event as it arrived.
-- ReplacingMergeTree collapses re-deliveries (a replayed Kafka batch, a re-posted HTTP batch) that
-- share the sorting key; until a background merge runs, duplicates may still sit in these tables,
-- so exact counts read the *_events views below, which use FINAL.

CREATE TABLE IF NOT EXISTS {{db}}.predictions
(
    prediction_id String,
    model_id String,
    model_version String,
    stage String,
    event_time DateTime,
    event_time_ms UInt64,
    feature_keys Array(String),
    feature_types Array(Enum8('null' = 0, 'number' = 1, 'string' = 2, 'boolean' = 3)),
    feature_numbers Array(Nullable(Float64)),
    feature_strings Array(Nullable(String)),
    pred_label Nullable(String),
    pred_score Nullable(Float64),
    pred_class_keys Array(String),
    pred_class_scores Array(Float64),
    pred_value Nullable(Float64),
    segment_keys Array(String),
    segment_values Array(String),
    received_at_ms Nullable(UInt64),
    schema_id UInt16,
    kafka_partition UInt32,
    kafka_offset UInt64,
    ingested_at DateTime DEFAULT now()
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(event_time)
ORDER BY (model_id, prediction_id);

CREATE TABLE IF NOT EXISTS {{db}}.labels
(
    prediction_id String,
    model_id String,
    label Nullable(String),
    value Nullable(Float64),
    labeled_at DateTime,
    labeled_at_ms UInt64,
    source String,
    received_at_ms Nullable(UInt64),
    schema_id UInt16,
    kafka_partition UInt32,
    kafka_offset UInt64,
    ingested_at DateTime DEFAULT now()
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(labeled_at)
ORDER BY (model_id, prediction_id, source, labeled_at_ms);

-- The deduplicated views analysts query: exactly one row per prediction (model_id, prediction_id)
-- and per label observation (model_id, prediction_id, source, labeled_at_ms).
CREATE VIEW IF NOT EXISTS {{db}}.prediction_events AS
SELECT * FROM {{db}}.predictions FINAL;

CREATE VIEW IF NOT EXISTS {{db}}.label_events AS
SELECT * FROM {{db}}.labels FINAL;
