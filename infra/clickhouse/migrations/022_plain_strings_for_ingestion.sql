-- Plain String instead of LowCardinality in the tables written once per event: the raw events,
-- the views that copy them, and the joined rows. Inserting the processor's RowBinary predictions
-- into the predictions table took 2.7x as long with LowCardinality names and key arrays (121,000
-- against 323,000 rows/s for 500,000 demo predictions on ClickHouse 26.9); with its views, 63,000
-- against 135,000 (npm run bench:ingest). The cost: 1.22x the bytes on disk, and a GROUP BY over
-- the feature keys 1.65x slower (the slices' GROUP BY the same); the drift summary of bench:drift
-- 1.13x slower, end to end the same. Derived tables, written per recomputation and read by every
-- query, keep theirs. A type change is a background mutation that rewrites the column; reads
-- meanwhile see the new type.
ALTER TABLE {{db}}.predictions
    MODIFY COLUMN model_id String,
    MODIFY COLUMN model_version String,
    MODIFY COLUMN stage String,
    MODIFY COLUMN feature_keys Array(String) CODEC(ZSTD(1)),
    MODIFY COLUMN pred_label Nullable(String),
    MODIFY COLUMN pred_class_keys Array(String),
    MODIFY COLUMN segment_keys Array(String),
    MODIFY COLUMN segment_values Array(String);
ALTER TABLE {{db}}.labels
    MODIFY COLUMN model_id String,
    MODIFY COLUMN label Nullable(String),
    MODIFY COLUMN source String;
ALTER TABLE {{db}}.predictions_by_time
    MODIFY COLUMN model_id String,
    MODIFY COLUMN model_version String,
    MODIFY COLUMN stage String,
    MODIFY COLUMN pred_label Nullable(String),
    MODIFY COLUMN segment_keys Array(String),
    MODIFY COLUMN segment_values Array(String);
ALTER TABLE {{db}}.features_by_time
    MODIFY COLUMN model_id String,
    MODIFY COLUMN model_version String,
    MODIFY COLUMN feature_keys Array(String) CODEC(ZSTD(1)),
    MODIFY COLUMN pred_label Nullable(String),
    MODIFY COLUMN segment_keys Array(String) CODEC(ZSTD(1)),
    MODIFY COLUMN segment_values Array(String) CODEC(ZSTD(1));
ALTER TABLE {{db}}.labeled_predictions
    MODIFY COLUMN model_id String,
    MODIFY COLUMN model_version String,
    MODIFY COLUMN stage String,
    MODIFY COLUMN pred_label Nullable(String),
    MODIFY COLUMN pred_class_keys Array(String),
    MODIFY COLUMN segment_keys Array(String),
    MODIFY COLUMN segment_values Array(String),
    MODIFY COLUMN label Nullable(String),
    MODIFY COLUMN source String;
ALTER TABLE {{db}}.predictions_by_request
    MODIFY COLUMN model_id String,
    MODIFY COLUMN model_version String,
    MODIFY COLUMN stage String,
    MODIFY COLUMN pred_label Nullable(String),
    MODIFY COLUMN pred_class_keys Array(String),
    MODIFY COLUMN segment_keys Array(String),
    MODIFY COLUMN segment_values Array(String);
ALTER TABLE {{db}}.labels_by_request
    MODIFY COLUMN model_id String,
    MODIFY COLUMN label Nullable(String),
    MODIFY COLUMN source String;
ALTER TABLE {{db}}.request_predictions_by_time
    MODIFY COLUMN model_id String,
    MODIFY COLUMN model_version String,
    MODIFY COLUMN stage String,
    MODIFY COLUMN pred_label Nullable(String),
    MODIFY COLUMN pred_class_keys Array(String),
    MODIFY COLUMN segment_keys Array(String),
    MODIFY COLUMN segment_values Array(String);
-- A view takes its columns' types when it is created: made again, the analysts' views answer String too.
CREATE OR REPLACE VIEW {{db}}.prediction_events AS
SELECT * FROM {{db}}.predictions FINAL;
CREATE OR REPLACE VIEW {{db}}.label_events AS
SELECT * FROM {{db}}.labels FINAL;
