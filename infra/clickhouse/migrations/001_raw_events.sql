-- Raw prediction and label events: the store of record, one row per event as it arrived.
-- Event times are DateTime64(3): the exact millisecond, in one column that also serves the index
-- and the monthly partitions. Names repeated on every row (model, version, stage, source, keys)
-- are LowCardinality; the wide per-row arrays are compressed with ZSTD.
-- ReplacingMergeTree collapses re-deliveries (a replayed Kafka batch, a re-posted HTTP batch) that
-- share the sorting key; until a background merge runs, duplicates may still sit in these tables,
-- so exact counts read the *_events views below, which use FINAL.

CREATE TABLE IF NOT EXISTS {{db}}.predictions
(
    prediction_id String,
    model_id LowCardinality(String),
    model_version LowCardinality(String),
    stage LowCardinality(String),
    event_time DateTime64(3),
    feature_keys Array(LowCardinality(String)) CODEC(ZSTD(1)),
    feature_types Array(Enum8('null' = 0, 'number' = 1, 'string' = 2, 'boolean' = 3)) CODEC(ZSTD(1)),
    feature_numbers Array(Nullable(Float64)) CODEC(ZSTD(1)),
    feature_strings Array(Nullable(String)) CODEC(ZSTD(1)),
    pred_label LowCardinality(Nullable(String)),
    pred_score Nullable(Float64),
    pred_class_keys Array(LowCardinality(String)),
    pred_class_scores Array(Float64),
    pred_value Nullable(Float64),
    segment_keys Array(LowCardinality(String)),
    segment_values Array(LowCardinality(String)),
    received_at Nullable(DateTime64(3)),
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
    model_id LowCardinality(String),
    label LowCardinality(Nullable(String)),
    value Nullable(Float64),
    labeled_at DateTime64(3),
    source LowCardinality(String),
    received_at Nullable(DateTime64(3)),
    schema_id UInt16,
    kafka_partition UInt32,
    kafka_offset UInt64,
    ingested_at DateTime DEFAULT now()
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(labeled_at)
ORDER BY (model_id, prediction_id, source, labeled_at);

-- The deduplicated views analysts query: exactly one row per prediction (model_id, prediction_id)
-- and per label observation (model_id, prediction_id, source, labeled_at).
CREATE VIEW IF NOT EXISTS {{db}}.prediction_events AS
SELECT * FROM {{db}}.predictions FINAL;

CREATE VIEW IF NOT EXISTS {{db}}.label_events AS
SELECT * FROM {{db}}.labels FINAL;
