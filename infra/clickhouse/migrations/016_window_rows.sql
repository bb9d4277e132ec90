-- Rows per base window, as marked: each batch adds the rows it stored in each window it marks
-- (predictions for volume and drift, joined labels for labels), so a window worker sizes a
-- statement by the rows it will read rather than by a fixed count of windows: a sparse backfill's
-- windows go a thousand at a time, a dense model's a few. An estimate only: a batch replayed after
-- a crash counts twice, which makes statements smaller, never wrong.
ALTER TABLE {{db}}.dirty_windows ADD COLUMN IF NOT EXISTS rows UInt32 DEFAULT 0;
CREATE TABLE IF NOT EXISTS {{db}}.window_rows
(
    kind LowCardinality(String),
    model_id String,
    model_version String,
    window_start DateTime,
    rows UInt64
)
ENGINE = SummingMergeTree
ORDER BY (kind, model_id, model_version, window_start);
CREATE MATERIALIZED VIEW IF NOT EXISTS {{db}}.window_rows_mv TO {{db}}.window_rows AS
SELECT kind, model_id, model_version, window_start, toUInt64(rows) AS rows FROM {{db}}.dirty_windows WHERE rows > 0;
