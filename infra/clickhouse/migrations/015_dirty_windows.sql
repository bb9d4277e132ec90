-- Base windows waiting to be recomputed, durable: the metrics consumer group marks the windows a
-- batch touched and commits its offsets once the marks are stored, and a worker recomputes them
-- apart from it (services/processor/window-worker.ts). So a backfill's thousands of old windows no
-- longer hold up the partitions that carry live traffic, and a crash between the mark and the
-- recomputation loses nothing: the mark is still there.
--   kind: 'volume' and 'labels' (a model's quality metrics; model_version ''), 'drift' (a version's
--   drift and data quality).
--   marked_at: ClickHouse's clock. A mark is written with dirty = 1 and the time of its insert; a
--   recomputation that began at t clears the windows it read with dirty = 0 and a time just before t.
--   The highest time wins, so a window marked again while it was being recomputed stays dirty.
-- Cleared rows expire after a day, so the table holds what is pending and what was recently done,
-- never a model's history.
CREATE TABLE IF NOT EXISTS {{db}}.dirty_windows
(
    kind LowCardinality(String),
    model_id String,
    model_version String,
    window_start DateTime,
    marked_at DateTime64(3) DEFAULT now64(3),
    dirty UInt8
)
ENGINE = ReplacingMergeTree(marked_at)
ORDER BY (kind, model_id, model_version, window_start)
TTL toDateTime(marked_at) + INTERVAL 1 DAY DELETE WHERE dirty = 0;
